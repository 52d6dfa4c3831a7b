// Real kernel: a Bun driver loads the filter on its JS thread and execve's a busybox applet.
// Every case runs with both compilers. Needs /bin/busybox (Debian package busybox-static).
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import type { LinuxSeccomp } from "../../src/linux/seccomp/types.ts";

const BUN = process.execPath;
const DRIVER = `${import.meta.dir}/../seccomp-driver.ts`;
const AGENT = `${import.meta.dir}/../seccomp-agent.ts`;
const BUSYBOX = "/bin/busybox";
const dir = mkdtempSync(`${tmpdir()}/seccomp-`);

function run(backend: string, profile: LinuxSeccomp, ...command: string[]) {
  const file = `${dir}/profile-${Math.random().toString(36).slice(2)}.json`;
  writeFileSync(file, JSON.stringify(profile));
  const r = Bun.spawnSync([BUN, DRIVER, file, BUSYBOX, ...command], { env: { ...process.env, MINIDOCKER_SECCOMP: backend } });
  return { code: r.exitCode, signal: r.signalCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

const allowAll: LinuxSeccomp = { defaultAction: "SCMP_ACT_ALLOW" };
const mkdirErrno: LinuxSeccomp = { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 1 }] };

test("busybox-static is installed", () => expect(existsSync(BUSYBOX)).toBe(true));

for (const backend of ["libseccomp", "builtin"]) {
  describe(backend, () => {
    test("the filter is on: Seccomp: 2 in /proc/self/status", () => {
      const r = run(backend, allowAll, "grep", "^Seccomp:", "/proc/self/status");
      expect(r.stdout.replace(/\s+/g, " ").trim()).toBe("Seccomp: 2");
    });

    test("ERRNO(1) on mkdir/mkdirat: Operation not permitted", () => {
      const r = run(backend, mkdirErrno, "mkdir", `${dir}/x-${backend}`);
      expect(r.stderr).toContain("Operation not permitted");
      expect(r.code).toBe(1);
      expect(existsSync(`${dir}/x-${backend}`)).toBe(false);
    });

    test("ERRNO with errnoRet 28 (ENOSPC) reaches the process", () => {
      const r = run(backend, { ...mkdirErrno, syscalls: [{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 28 }] }, "mkdir", `${dir}/y`);
      expect(r.stderr).toContain("No space left on device");
    });

    test("KILL ends the process with SIGSYS", () => {
      const r = run(backend, { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_KILL_PROCESS" }] }, "mkdir", `${dir}/z`);
      expect(r.signal).toBe("SIGSYS");
    });

    test("argument filter: kill(pid, 0) refused when arg1 == 0, allowed when the rule wants 15", () => {
      // busybox has no setarch applet to drive personality(); kill's signal argument does the same job.
      const refuse = (value: number): LinuxSeccomp => ({
        defaultAction: "SCMP_ACT_ALLOW",
        syscalls: [{ names: ["kill"], action: "SCMP_ACT_ERRNO", errnoRet: 1, args: [{ index: 1, value, op: "SCMP_CMP_EQ" }] }],
      });
      const refused = run(backend, refuse(0), "kill", "-0", String(process.pid));
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain("Operation not permitted");
      const allowed = run(backend, refuse(15), "kill", "-0", String(process.pid));
      expect(allowed.stderr).toBe("");
      expect(allowed.code).toBe(0);
    });

    test("NOTIFY: the agent gets the fd and state, answers mkdir with success", async () => {
      const socket = `${dir}/agent-${backend}.sock`;
      const agent = Bun.spawn([BUN, AGENT, socket], { stdout: "pipe" });
      const reader = agent.stdout.getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      expect(first).toContain("listening");
      const target = `${dir}/notified-${backend}`;
      const r = run(backend, {
        defaultAction: "SCMP_ACT_ALLOW", listenerPath: socket, listenerMetadata: "test-metadata",
        syscalls: [{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_NOTIFY" }],
      }, "mkdir", target);
      let out = "";
      for (;;) { const { value, done } = await reader.read(); if (done) break; out += new TextDecoder().decode(value); }
      expect(await agent.exited).toBe(0);
      const report = JSON.parse(out.trim().split("\n").pop()!);
      expect(r.code).toBe(0); // the agent said "success"
      expect(existsSync(target)).toBe(false); // ... without running mkdir
      expect(report.state.fds).toEqual(["seccompFd"]);
      expect(report.state.metadata).toBe("test-metadata");
      expect(report.state.state.id).toBe("seccomp-test");
      expect([83, 258]).toContain(report.nr); // mkdir or mkdirat on x86_64
    });
  });
}

test("cleanup", () => rmSync(dir, { recursive: true, force: true }));
