// Bad linux.seccomp input through the real binary: a one-line error naming the field (or the
// socket path), a non-zero exit, nothing left behind, and no container process ever started
// (a createRuntime hook, which runs once init exists, must never have run).
// The names are refused by config validation (src/spec: schema + validate.ts, "config.json: "
// prefix); compileSeccomp (src/linux/seccomp/rules.ts) refuses the same for direct callers
// (test/unit/seccomp). An unreachable listener is found when the parent connects to it, before
// it spawns init (src/container/seccomp.ts).
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import type { LinuxSeccomp } from "../../src/linux/seccomp/types.ts";
import { leftovers, makeBundle, makeRoot, md, processesMentioning, removeBundle, uniqueId } from "./lib.ts";

const root = makeRoot();
const scratch = mkdtempSync(`${tmpdir()}/md-seccomp-bad-`);
const notAListener = `${scratch}/plain-file.sock`;
writeFileSync(notAListener, "");

const ALLOW = "SCMP_ACT_ALLOW";
const notify = (listenerPath?: string): LinuxSeccomp => ({
  defaultAction: ALLOW, ...(listenerPath && { listenerPath }),
  syscalls: [{ names: ["mkdir"], action: "SCMP_ACT_NOTIFY" }],
});

const CASES: Array<{ name: string; seccomp: LinuxSeccomp; message: string }> = [
  { name: "unknown default action", seccomp: { defaultAction: "SCMP_ACT_BOGUS" },
    message: 'config.json: linux.seccomp.defaultAction: expected one of "SCMP_ACT_KILL" |' },
  { name: "unknown rule action", seccomp: { defaultAction: ALLOW, syscalls: [{ names: ["mkdir"], action: "SCMP_ACT_NOPE" }] },
    message: "config.json: linux.seccomp.syscalls[0].action: expected one of" },
  { name: "unknown operator",
    seccomp: { defaultAction: ALLOW, syscalls: [{ names: ["kill"], action: "SCMP_ACT_ERRNO", args: [{ index: 0, value: 1, op: "SCMP_CMP_ABOUT" }] }] },
    message: 'config.json: linux.seccomp.syscalls[0].args[0].op: expected one of "SCMP_CMP_NE"' },
  { name: "unknown architecture", seccomp: { defaultAction: ALLOW, architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_Z80"] },
    message: "config.json: linux.seccomp.architectures[1]: expected one of" },
  { name: "unknown flag", seccomp: { defaultAction: ALLOW, flags: ["SECCOMP_FILTER_FLAG_BOGUS"] },
    message: "config.json: linux.seccomp.flags[0]: expected one of" },
  { name: "args index 6",
    seccomp: { defaultAction: ALLOW, syscalls: [{ names: ["kill"], action: "SCMP_ACT_ERRNO", args: [{ index: 6, value: 1, op: "SCMP_CMP_EQ" }] }] },
    message: "config.json: linux.seccomp.syscalls[0].args[0].index: 6 is above 5" },
  { name: "NOTIFY without listenerPath", seccomp: notify(),
    message: "config.json: linux.seccomp.listenerPath: required when a rule uses SCMP_ACT_NOTIFY" },
  { name: "listenerPath missing", seccomp: notify(`${scratch}/nobody.sock`),
    message: `linux.seccomp.listenerPath "${scratch}/nobody.sock": connect "${scratch}/nobody.sock": ENOENT` },
  { name: "listenerPath not listening", seccomp: notify(notAListener),
    message: `linux.seccomp.listenerPath "${notAListener}": connect "${notAListener}": ECONNREFUSED` },
];

describe("bad linux.seccomp", () => {
  for (const c of CASES)
    for (const command of ["run", "create"]) {
      test(`${c.name} (${command})`, () => {
        const marker = `${scratch}/hook-ran-${uniqueId("m")}`;
        const bundle = makeBundle((spec) => {
          spec.linux!.seccomp = c.seccomp as never;
          spec.hooks = { createRuntime: [{ path: "/bin/sh", args: ["sh", "-c", `: > ${marker}`] }] };
        });
        const id = uniqueId("bad");
        try {
          for (const backend of ["libseccomp", "builtin"]) {
            const r = md(root, [command, "-b", bundle, id], { env: { MINIDOCKER_SECCOMP: backend } });
            expect(r.code).not.toBe(0);
            const lines = r.stderr.trim().split("\n");
            expect(lines).toHaveLength(1);
            expect(lines[0]).toContain("level=error");
            expect(lines[0]!.replace(/\\"/g, '"')).toContain(c.message);
            expect(r.stdout).toBe("");
            expect(existsSync(marker)).toBe(false);
            expect(leftovers(root, id)).toEqual([]);
            expect(processesMentioning(id)).toEqual([]);
          }
        } finally {
          md(root, ["delete", "-f", id]);
          removeBundle(bundle);
        }
      }, 20_000);
    }
});

test("an unknown syscall name warns once, with its JSON path, and the container runs", () => {
  const bundle = makeBundle((spec) => {
    spec.linux!.seccomp = { defaultAction: ALLOW, syscalls: [{ names: ["no_such_call", "mkdir"], action: "SCMP_ACT_ERRNO" }] } as never;
  });
  try {
    for (const backend of ["libseccomp", "builtin"]) {
      const id = uniqueId("warn");
      const r = md(root, ["run", "-b", bundle, id], { env: { MINIDOCKER_SECCOMP: backend } });
      expect(r.code).toBe(0);
      const lines = r.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]!.replace(/\\"/g, '"'))
        .toContain('level=warning msg="config.json: linux.seccomp.syscalls[0].names[0]: unknown syscall "no_such_call", ignored"');
      expect(leftovers(root, id)).toEqual([]);
    }
  } finally {
    removeBundle(bundle);
  }
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
  rmSync(root, { recursive: true, force: true });
});
