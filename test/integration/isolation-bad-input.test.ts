// Bad input for the isolation sections (mounts, linux.devices, maskedPaths/readonlyPaths,
// capabilities, rlimits, sysctl): a malformed field fails validation naming it, in `run` (before
// anything is created) and in `lint`; a failure during setup names the operation and the path,
// and leaves no state, cgroup, mount or process. Needs root and busybox-static.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import type { Spec } from "../../src/spec/types.ts";
import { leftovers, makeBundle, makeRoot, md, processesMentioning, removeBundle, uniqueId } from "./lib.ts";

const root = makeRoot();
const bundles: string[] = [];
const scratch = mkdtempSync(`${tmpdir()}/md-bad-input-`);
afterAll(() => {
  for (const b of bundles) removeBundle(b);
  rmSync(root, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

// The default spec has 7 mounts and 10 maskedPaths: an added one is mounts[7], maskedPaths[10].
type Edit = (s: Spec & Record<string, any>) => void;
const MALFORMED: Array<[string, Edit, string]> = [
  ["mount without destination", (s) => { s.mounts!.push({ type: "tmpfs", source: "tmpfs" } as never); }, "mounts[7].destination: required"],
  ["mount destination not a string", (s) => { s.mounts!.push({ destination: 5, type: "tmpfs" } as never); }, "mounts[7].destination: expected string, got number"],
  ["mount destination empty", (s) => { s.mounts!.push({ destination: "", type: "tmpfs" }); }, "mounts[7].destination: must not be empty"],
  ["mount options not an array", (s) => { s.mounts!.push({ destination: "/x", type: "tmpfs", options: "ro" } as never); }, "mounts[7].options: expected array, got string"],
  ["mount option not a string", (s) => { s.mounts!.push({ destination: "/x", type: "tmpfs", options: [1] } as never); }, "mounts[7].options[0]: expected string, got number"],
  ["device type", (s) => { s.linux!.devices = [{ path: "/dev/x", type: "z", major: 1, minor: 3 }]; }, "linux.devices[0].type: expected to match /^[cbup]$/"],
  ["device without major", (s) => { s.linux!.devices = [{ path: "/dev/x", type: "c", minor: 3 } as never]; }, `linux.devices[0].major: required for a device of type \\"c\\"`],
  ["device path relative", (s) => { s.linux!.devices = [{ path: "dev/x", type: "c", major: 1, minor: 3 }]; }, `linux.devices[0].path: \\"dev/x\\" is not an absolute path`],
  ["device fileMode negative", (s) => { s.linux!.devices = [{ path: "/dev/x", type: "c", major: 1, minor: 3, fileMode: -1 }]; }, "linux.devices[0].fileMode: expected at least 0, got -1"],
  ["maskedPaths entry relative", (s) => { s.linux!.maskedPaths!.push("proc/kcore"); }, `linux.maskedPaths[10]: \\"proc/kcore\\" is not an absolute path`],
  ["maskedPaths entry not a string", (s) => { s.linux!.maskedPaths!.push(7 as never); }, "linux.maskedPaths[10]: expected string, got number"],
  ["readonlyPaths not an array", (s) => { s.linux!.readonlyPaths = "/proc/sys" as never; }, "linux.readonlyPaths: expected array, got string"],
  ["capability set not an array", (s) => { s.process!.capabilities!.bounding = "CAP_KILL" as never; }, "process.capabilities.bounding: expected array, got string"],
  ["capability not a string", (s) => { s.process!.capabilities!.effective = [5 as never]; }, "process.capabilities.effective[0]: expected string, got number"],
  ["rlimit type", (s) => { s.process!.rlimits = [{ type: "RLIMIT_FOO", soft: 1, hard: 1 }]; }, `process.rlimits[0].type: unknown resource \\"RLIMIT_FOO\\"`],
  ["rlimit negative", (s) => { s.process!.rlimits = [{ type: "RLIMIT_NOFILE", soft: -1, hard: 1 }]; }, "process.rlimits[0].soft: expected at least 0, got -1"],
  ["rlimit soft above hard", (s) => { s.process!.rlimits = [{ type: "RLIMIT_NOFILE", soft: 10, hard: 1 }]; }, "process.rlimits[0].soft: 10 is above hard 1"],
  ["rlimit without hard", (s) => { s.process!.rlimits = [{ type: "RLIMIT_NOFILE", soft: 10 } as never]; }, "process.rlimits[0].hard: required"],
  ["sysctl value not a string", (s) => { s.linux!.sysctl = { "net.ipv4.ip_forward": 1 as never }; }, `linux.sysctl[\\"net.ipv4.ip_forward\\"]: expected string, got number`],
  ["sysctl not namespaced", (s) => { s.linux!.sysctl = { "kernel.panic": "1" }; }, `linux.sysctl[\\"kernel.panic\\"]: is not namespaced: it would change the host`],
  ["net sysctl without a network namespace", (s) => {
    s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== "network");
    s.linux!.sysctl = { "net.ipv4.ip_forward": "1" };
  }, `linux.sysctl[\\"net.ipv4.ip_forward\\"]: needs a network namespace`],
  ["sysctl name climbing out with ..", (s) => { s.linux!.sysctl = { "net/../kernel/panic": "1" }; }, `linux.sysctl[\\"net/../kernel/panic\\"]: is not a sysctl name`],
];

describe("malformed fields fail validation, naming the field", () => {
  for (const [name, edit, message] of MALFORMED) {
    test(name, () => {
      const bundle = makeBundle(edit as (s: Spec) => void);
      bundles.push(bundle);
      const id = uniqueId("bad");
      const r = md(root, ["run", "-b", bundle, id]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`config.json: ${message}`); // a logrus line: quotes escaped
      expect(r.stdout).toBe("");
      expect(leftovers(root, id)).toEqual([]);
      const lint = md(root, ["lint", `${bundle}/config.json`]);
      expect(lint.code).toBe(1);
      expect(lint.stdout).toContain(`${bundle}/config.json: ${message.replaceAll("\\\"", "\"")}`);
    });
  }
});

describe("a failure during setup names the operation and path and leaves nothing behind", () => {
  const fails = (edit: Edit, ...expected: string[]) => {
    const bundle = makeBundle(edit as (s: Spec) => void);
    bundles.push(bundle);
    const id = uniqueId("setup");
    const r = md(root, ["run", "-b", bundle, id]);
    expect(r.code).toBe(1);
    for (const text of expected) expect(r.stderr).toContain(text.replaceAll("<rootfs>", `${bundle}/rootfs`));
    expect(leftovers(root, id)).toEqual([]);
    expect(processesMentioning(id)).toEqual([]);
    expect(readFileSync("/proc/self/mountinfo", "utf8")).not.toContain(`${bundle}/rootfs`);
  };

  test("a device under a read-only bind cannot be created: mknod, the path, EROFS", () => {
    fails((s) => {
      s.mounts!.push({ destination: "/rodev", type: "bind", source: scratch, options: ["rbind", "ro"] });
      s.linux!.devices = [{ path: "/rodev/null2", type: "c", major: 1, minor: 3 }];
    }, `create devices: mknod \\"<rootfs>/rodev/null2\\": EROFS`);
  });

  test("a sysctl the kernel refuses: the key, the /proc/sys file and the errno", () => {
    fails((s) => { s.linux!.sysctl = { "net.ipv4.ip_local_port_range": "2000 1000" }; },
      `linux.sysctl \\"net.ipv4.ip_local_port_range\\": write \\"/proc/sys/net/ipv4/ip_local_port_range\\": EINVAL`);
  });

  test("a sysctl the kernel does not have", () => {
    fails((s) => { s.linux!.sysctl = { "net.ipv4.no_such_knob": "1" }; },
      `linux.sysctl \\"net.ipv4.no_such_knob\\": write \\"/proc/sys/net/ipv4/no_such_knob\\": ENOENT`);
  });

  test("a tmpfs option the kernel refuses: the mount, its destination on the host, EINVAL", () => {
    fails((s) => { s.mounts!.push({ destination: "/x", type: "tmpfs", source: "tmpfs", options: ["size=abc"] }); },
      `mounts[7] tmpfs on \\"/x\\": mount \\"<rootfs>/x\\": EINVAL`);
  });

  test("a file bound onto a directory, and an unknown filesystem type", () => {
    fails((s) => { s.mounts!.push({ destination: "/etc", type: "bind", source: "/etc/hostname", options: ["bind"] }); },
      `mounts[7] bind on \\"/etc\\": mount \\"<rootfs>/etc\\": ENOTDIR`);
    fails((s) => { s.mounts!.push({ destination: "/x", type: "nosuchfs", source: "x" }); },
      `mounts[7] nosuchfs on \\"/x\\": mount \\"<rootfs>/x\\": ENODEV`);
  });

  test("an exec format error after init is set up fails run with it, once (runc's init prints it, start exits 0)", () => {
    const bundle = makeBundle(() => {}, ["/garbage"]);
    bundles.push(bundle);
    writeFileSync(`${bundle}/rootfs/garbage`, "\x01\x02 not a program", { mode: 0o755 });
    const id = uniqueId("exec");
    const r = md(root, ["run", "-b", bundle, id]);
    expect(r.code).toBe(1);
    // through exec.fifo to start, which run calls: one logged error line (docs/differences.md)
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(String.raw`msg="exec \"/garbage\": ENOEXEC (Exec format error)"`);
    expect(processesMentioning(id)).toEqual([]);
  });
});
