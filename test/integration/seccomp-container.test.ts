// linux.seccomp in real containers: `minidocker run` of a busybox bundle, each probe under the
// libseccomp backend, the builtin compiler, and the automatic choice with libseccomp really
// hidden (an empty file bind-mounted over it in a private mount namespace). Every probe must give
// the same outcome, the expected one, in all three; the differential table is printed at the end.
// Needs root, util-linux `unshare`, dist/minidocker (npm run build) and libseccomp2 (Debian:
// installed with the base system; the hidden column proves we run without it).
import { afterAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { DOCKER_DEFAULT_CAPS, type DockerProfile, dockerProfileToOci } from "../../src/linux/seccomp/docker-profile.ts";
import { syscallsX86_64 } from "../../src/linux/seccomp/syscalls/x86_64.ts";
import type { LinuxSeccomp } from "../../src/linux/seccomp/types.ts";
import type { Spec } from "../../src/spec/types.ts";
import { BIN, REPO, leftovers, makeBundle, makeRoot, removeBundle, uniqueId } from "./lib.ts";

const LIBSECCOMP = "/lib/x86_64-linux-gnu/libseccomp.so.2";
const AGENT = `${REPO}/test/seccomp-agent.ts`;
const root = makeRoot();
const scratch = mkdtempSync(`${tmpdir()}/md-seccomp-`);
const emptyFile = `${scratch}/empty`;
writeFileSync(emptyFile, "");

interface Backend { name: string; env: Record<string, string>; hideLibseccomp: boolean; expectCompiler: string }
const BACKENDS: Backend[] = [
  { name: "libseccomp", env: { MINIDOCKER_SECCOMP: "libseccomp" }, hideLibseccomp: false, expectCompiler: "libseccomp" },
  { name: "builtin", env: { MINIDOCKER_SECCOMP: "builtin" }, hideLibseccomp: false, expectCompiler: "builtin" },
  { name: "auto, lib hidden", env: {}, hideLibseccomp: true, expectCompiler: "builtin" },
];

interface Outcome { code: number; stdout: string; stderr: string; log: string }

/** `minidocker --debug --log FILE run` under one backend; the log says which compiler ran. */
function runUnder(backend: Backend, bundle: string, opts: { stdin?: string } = {}): Outcome {
  const id = uniqueId("sc");
  const log = `${scratch}/${id}.log`;
  const command = [BIN, "--root", root, "--debug", "--log", log, "run", "-b", bundle, id];
  // The wrapper refuses to go on unless the library really is empty in its namespace.
  const hide = ["unshare", "-m", "sh", "-c",
    `mount --bind "$0" ${LIBSECCOMP} && [ ! -s ${LIBSECCOMP} ] && exec "$@"`, emptyFile];
  const p = Bun.spawnSync(backend.hideLibseccomp ? [...hide, ...command] : command, {
    stdin: opts.stdin !== undefined ? Buffer.from(opts.stdin) : "ignore",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...backend.env },
    timeout: 30_000,
  });
  const out = {
    code: p.exitCode ?? 128 + 9, stdout: p.stdout.toString(), stderr: p.stderr.toString(),
    log: existsSync(log) ? readFileSync(log, "utf8") : "",
  };
  expect(leftovers(root, id)).toEqual([]);
  return out;
}

/** One table cell: exit status and the first words that tell outcomes apart. */
function cell(o: Outcome): string {
  const signals: Record<number, string> = { 159: "SIGSYS", 137: "SIGKILL" };
  if (signals[o.code]) return `${o.code} ${signals[o.code]}`;
  const line = (text: string) => text.split("\n").find((l) => l.trim() !== "")?.trim() ?? "";
  // "mkdir: can't create directory '/tmp/d': Operation not permitted" → its errno text
  const err = line(o.stderr).split(": ").pop()!;
  const detail = o.code === 0 || !err ? line(o.stdout) : err;
  return `${o.code} ${detail}`.trim();
}

interface Probe {
  name: string;
  args: string[];
  stdin?: string;
  /** the expected table cell, the same for every backend */
  expect: string;
  /** extra checks on the full outcome */
  check?: (o: Outcome) => void;
}

interface Profile { name: string; seccomp: LinuxSeccomp; probes: Probe[] }

const ALLOW = "SCMP_ACT_ALLOW";
const status: Probe = { name: "Seccomp: 2", args: ["grep", "^Seccomp:", "/proc/self/status"], expect: "0 Seccomp:\t2" };
const readFile: Probe = { name: "cat /etc/hostname", args: ["cat", "/etc/hostname"], expect: "0 minidocker" };

const docker = dockerProfileToOci(
  JSON.parse(readFileSync(`${REPO}/bundles/seccomp/docker-default.json`, "utf8")) as DockerProfile,
  { arch: "SCMP_ARCH_X86_64", caps: DOCKER_DEFAULT_CAPS },
);
const staticWeb = JSON.parse(readFileSync(`${REPO}/bundles/seccomp/static-web.json`, "utf8")) as LinuxSeccomp;

// A shell session under Docker's default profile: forks, pipes, /proc, time, users.
const SHELL_SESSION = [
  "echo hello", "ls -d /proc /etc", "id", "uname -s", "ps -o pid,comm | grep -c '^ *1 sh$'", "date +%Y >/dev/null && echo date",
  "echo a b c | wc -w", "head -1 /etc/passwd", "mkdir /tmp/d && echo made > /tmp/d/f && cat /tmp/d/f",
  "sleep 0.1 & wait && echo waited", "trap 'echo trapped' USR1; kill -USR1 $$", "echo done",
].join("; ");
const SHELL_OUTPUT = "hello\n/etc\n/proc\nuid=0(root) gid=0(root)\nLinux\n1\ndate\n3\nroot:x:0:0:root:/root:/bin/sh\nmade\nwaited\ntrapped\ndone\n";

const PROFILES: Profile[] = [
  {
    name: "errno",
    seccomp: { defaultAction: ALLOW, syscalls: [{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 28 }] },
    probes: [
      status, readFile,
      { name: "mkdir → ERRNO(28)", args: ["mkdir", "/tmp/d"], expect: "1 No space left on device" },
      { name: "rmdir (not listed)", args: ["rmdir", "/tmp/none"], expect: "1 No such file or directory" },
    ],
  },
  {
    name: "actions",
    seccomp: {
      defaultAction: ALLOW,
      syscalls: [
        { names: ["mkdir", "mkdirat"], action: "SCMP_ACT_KILL" },
        { names: ["chmod", "fchmodat", "fchmodat2"], action: "SCMP_ACT_KILL_PROCESS" },
        { names: ["sethostname"], action: "SCMP_ACT_TRAP" },
        { names: ["rmdir", "unlinkat"], action: "SCMP_ACT_TRACE", errnoRet: 7 },
        { names: ["getcwd"], action: "SCMP_ACT_LOG" },
      ],
    },
    probes: [
      status,
      { name: "KILL: mkdir", args: ["mkdir", "/tmp/d"], expect: "159 SIGSYS" },
      // busybox sh runs `mkdir` in-process (a NOFORK applet): the path makes it fork and exec.
      { name: "KILL child, shell survives", args: ["sh", "-c", "/bin/mkdir /tmp/d; echo status=$?"], expect: "0 status=159" },
      { name: "KILL_PROCESS: chmod", args: ["chmod", "600", "/etc/hostname"], expect: "159 SIGSYS" },
      { name: "TRAP: hostname x (no handler)", args: ["hostname", "x"], expect: "159 SIGSYS" },
      // No tracer attached: the kernel fails the call with ENOSYS.
      { name: "TRACE, no tracer: rmdir", args: ["rmdir", "/tmp"], expect: "1 Function not implemented" },
      { name: "LOG: pwd runs", args: ["pwd"], expect: "0 /" },
    ],
  },
  {
    name: "args",
    seccomp: {
      defaultAction: ALLOW,
      syscalls: [
        // The same index twice: runc makes each condition a rule of its own (ORed).
        { names: ["kill"], action: "SCMP_ACT_ERRNO", errnoRet: 13,
          args: [{ index: 0, value: 2000, op: "SCMP_CMP_GE" }, { index: 0, value: 10, op: "SCMP_CMP_LE" }] },
        // Different indexes: ANDed. setpriority(which, who == 1, prio > 10)
        { names: ["setpriority"], action: "SCMP_ACT_ERRNO", errnoRet: 1,
          args: [{ index: 1, value: 1, op: "SCMP_CMP_EQ" }, { index: 2, value: 10, op: "SCMP_CMP_GT" }] },
        // openat(…, flags & O_ACCMODE == O_WRONLY)
        { names: ["openat", "open"], action: "SCMP_ACT_ERRNO", errnoRet: 30,
          args: [{ index: 2, value: 3, valueTwo: 1, op: "SCMP_CMP_MASKED_EQ" }] },
        // ioprio_set(…, ioprio < IOPRIO_CLASS_IDLE << 13): only the idle class is allowed
        { names: ["ioprio_set"], action: "SCMP_ACT_ERRNO", errnoRet: 1,
          args: [{ index: 2, value: 3 << 13, op: "SCMP_CMP_LT" }] },
        // personality(persona != 0xffffffff (query)) refused
        { names: ["personality"], action: "SCMP_ACT_ERRNO", errnoRet: 1,
          args: [{ index: 0, value: 0xffffffff, op: "SCMP_CMP_NE" }] },
      ],
    },
    probes: [
      status,
      { name: "kill -0 1 (LE 10)", args: ["kill", "-0", "1"], expect: "1 Permission denied" },
      { name: "kill -0 500 (neither)", args: ["kill", "-0", "500"], expect: "1 No such process" },
      { name: "kill -0 3000 (GE 2000)", args: ["kill", "-0", "3000"], expect: "1 Permission denied" },
      { name: "renice +10 (GT 10 false)", args: ["renice", "-n", "10", "-p", "1"], expect: "0" },
      { name: "renice +11 (EQ and GT)", args: ["renice", "-n", "11", "-p", "1"], expect: "1 Operation not permitted" },
      { name: "renice +11 of pid 0 (EQ false)", args: ["renice", "-n", "11", "-p", "0"], expect: "0" },
      { name: "write open (MASKED_EQ)", args: ["tee", "/tmp/f"], stdin: "x", expect: "1 Read-only file system" },
      { name: "read open (MASKED_EQ false)", args: ["cat", "/etc/hostname"], expect: "0 minidocker" },
      { name: "ionice best-effort (LT)", args: ["ionice", "-c", "2", "-n", "0", "-p", "1"], expect: "1 Operation not permitted" },
      { name: "ionice idle (LT false)", args: ["ionice", "-c", "3", "-p", "1"], expect: "0" },
      { name: "linux32 (NE)", args: ["linux32", "true"], expect: "1 Operation not permitted" },
    ],
  },
  {
    name: "docker-default",
    seccomp: docker,
    probes: [
      status,
      { name: "busybox shell session", args: ["sh", "-c", SHELL_SESSION], expect: "0 hello",
        check: (o) => { expect(o.stderr).toBe(""); expect(o.stdout).toBe(SHELL_OUTPUT); } },
      { name: "unshare -U (no CAP_SYS_ADMIN)", args: ["unshare", "-U", "true"], expect: "1 Operation not permitted" },
      { name: "mount tmpfs", args: ["mount", "-t", "tmpfs", "none", "/mnt"], expect: "1 permission denied (are you root?)" },
      { name: "linux32 (personality 8 allowed)", args: ["linux32", "true"], expect: "0" },
      { name: "renice +5", args: ["renice", "-n", "5", "-p", "1"], expect: "0" },
    ],
  },
  {
    name: "static-web",
    seccomp: staticWeb,
    probes: [
      status, readFile,
      { name: "httpd -i serves a file", args: ["httpd", "-i", "-h", "/etc"], stdin: "GET /hostname HTTP/1.0\r\n\r\n",
        expect: "0 HTTP/1.1 200 OK", check: (o) => expect(o.stdout).toEndWith("\r\n\r\nminidocker\n") },
      { name: "write open", args: ["tee", "/tmp/f"], stdin: "x", expect: "1 Operation not permitted" },
      { name: "mkdir", args: ["mkdir", "/tmp/d"], expect: "1 Operation not permitted" },
      { name: "fork → ENOSYS", args: ["sh", "-c", "/bin/true; echo after"], expect: "2 Function not implemented" },
      { name: "AF_INET socket, connect refused", args: ["nc", "127.0.0.1", "80"], expect: "1 Operation not permitted" },
      { name: "AF_NETLINK socket", args: ["ip", "link"], expect: "2 Operation not permitted" },
      { name: "mount → KILL_PROCESS", args: ["mount", "-t", "tmpfs", "none", "/mnt"], expect: "159 SIGSYS" },
      { name: "unshare → KILL_PROCESS", args: ["unshare", "-U", "true"], expect: "159 SIGSYS" },
    ],
  },
];

/** profile → probe → backend → cell */
const table = new Map<string, Map<string, Map<string, string>>>();
function record(profile: string, probe: string, backend: string, value: string) {
  if (!table.has(profile)) table.set(profile, new Map());
  const row = table.get(profile)!;
  if (!row.has(probe)) row.set(probe, new Map());
  row.get(probe)!.set(backend, value);
}

/** A bundle with a writable rootfs and a fresh tmpfs on /tmp, so runs never see each other. */
function bundleFor(seccomp: LinuxSeccomp, args: string[], edit: (spec: Spec) => void = () => {}) {
  return makeBundle((spec) => {
    spec.root!.readonly = false;
    spec.mounts!.push({ destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev"] });
    spec.linux!.seccomp = seccomp as never;
    edit(spec);
  }, args);
}

for (const profile of PROFILES) {
  describe(`profile ${profile.name}`, () => {
    for (const probe of profile.probes) {
      test(probe.name, () => {
        const bundle = bundleFor(profile.seccomp, probe.args);
        try {
          for (const backend of BACKENDS) {
            const o = runUnder(backend, bundle, { stdin: probe.stdin });
            const got = cell(o);
            record(profile.name, probe.name, backend.name, got);
            expect(o.log).toContain(`compiled with ${backend.expectCompiler}`);
            expect(`${backend.name}: ${got}`).toBe(`${backend.name}: ${probe.expect}`);
            probe.check?.(o);
          }
        } finally {
          removeBundle(bundle);
        }
      }, 30_000);
    }
  });
}

describe("runc's -ENOSYS stub", () => {
  // A static probe (gcc) calls raw syscall numbers. The profile allows every x86_64 syscall below
  // 400 by name: clone3 (435) is newer than all of them → ENOSYS, so a libc falls back to clone;
  // reboot (169) is below and not allowed → the default EPERM. runc 1.1.5 prints the same.
  test("a syscall above the highest the profile names gets ENOSYS; below it, the default action", () => {
    const probe = `${scratch}/probe`;
    writeFileSync(`${probe}.c`, `#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    long r = syscall(strtol(argv[i], 0, 0), 0, 0, 0, 0, 0, 0);
    printf("%s %s\\n", argv[i], r < 0 ? strerror(errno) : "ok");
  }
  return 0;
}
`);
    const cc = Bun.spawnSync(["gcc", "-static", "-O", "-o", probe, `${probe}.c`], { stderr: "pipe" });
    expect(cc.stderr.toString()).toBe("");
    const names = Object.entries(syscallsX86_64).filter(([, nr]) => nr < 400).map(([name]) => name);
    const bundle = bundleFor({
      defaultAction: "SCMP_ACT_ERRNO", architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
      syscalls: [{ names: names.filter((n) => n !== "reboot"), action: ALLOW }],
    }, ["/probe", "435", "169", "39"]);
    try {
      copyFileSync(probe, `${bundle}/rootfs/probe`);
      for (const backend of BACKENDS) {
        const o = runUnder(backend, bundle);
        expect(`${backend.name}: ${o.stdout}`).toBe(`${backend.name}: 435 Function not implemented\n169 Operation not permitted\n39 ok\n`);
      }
    } finally {
      removeBundle(bundle);
    }
  }, 60_000);
});

describe("SCMP_ACT_NOTIFY with listenerPath", () => {
  for (const backend of BACKENDS) {
    test(`${backend.name}: the agent gets the fd and the state, and answers mkdir`, async () => {
      const socket = `${scratch}/agent-${backend.hideLibseccomp ? "hidden" : backend.name}.sock`;
      const seccomp: LinuxSeccomp = {
        defaultAction: ALLOW, listenerPath: socket, listenerMetadata: "probe-metadata",
        syscalls: [{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_NOTIFY" }],
      };
      // The agent answers "success" without running mkdir: the directory must not exist after.
      const bundle = bundleFor(seccomp, ["sh", "-c", "mkdir /tmp/n && echo mkdir=ok && test ! -e /tmp/n && echo not-created"]);
      const agent = Bun.spawn([process.execPath, AGENT, socket], { stdout: "pipe", stderr: "pipe" });
      try {
        const reader = agent.stdout.getReader();
        expect(new TextDecoder().decode((await reader.read()).value)).toContain("listening");
        const o = runUnder(backend, bundle);
        let report = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          report += new TextDecoder().decode(value);
        }
        expect(await agent.exited).toBe(0);
        record("notify", "mkdir answered by agent", backend.name, cell(o));
        expect(o.log).toContain(`compiled with ${backend.expectCompiler}`);
        expect(o.stdout).toBe("mkdir=ok\nnot-created\n");
        expect(o.code).toBe(0);
        const { state, nr, pid } = JSON.parse(report.trim().split("\n").pop()!);
        expect(Object.keys(state).sort()).toEqual(["fds", "metadata", "ociVersion", "pid", "state"]);
        expect(state.fds).toEqual(["seccompFd"]);
        expect(state.metadata).toBe("probe-metadata");
        expect(state.ociVersion).toMatch(/^1\./);
        expect(state.state.status).toBe("creating");
        expect(state.state.bundle).toBe(bundle);
        expect(state.state.pid).toBe(state.pid);
        expect(pid).toBeGreaterThan(0); // the notifying process, seen from the agent's pid namespace
        expect([83, 258]).toContain(nr); // mkdir or mkdirat on x86_64
      } finally {
        agent.kill();
        removeBundle(bundle);
      }
    }, 30_000);
  }
});

afterAll(() => {
  const names = BACKENDS.map((b) => b.name);
  const rows: string[][] = [["profile", "probe", ...names, "same"]];
  for (const [profile, probes] of table)
    for (const [probe, cells] of probes) {
      const values = names.map((n) => cells.get(n) ?? "—");
      rows.push([profile, probe, ...values, values.every((v) => v === values[0]) ? "yes" : "NO"]);
    }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.replace(/\t/g, " ").length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.replace(/\t/g, " ").padEnd(widths[i]!)).join(" | ")} |`;
  console.log(["", "seccomp differential table (real containers, minidocker run):", line(rows[0]!),
    line(widths.map((w) => "-".repeat(w))), ...rows.slice(1).map(line)].join("\n"));
  rmSync(scratch, { recursive: true, force: true });
  rmSync(root, { recursive: true, force: true });
});
