// Semantic checks (validate.ts) and the messages of shape errors: one line each, naming the field.
import { describe, expect, test } from "bun:test";
import { defaultSpec } from "../../../src/spec/defaults.ts";
import { lintConfig, parseConfig, parseProcess, parseResources } from "../../../src/spec/parse.ts";
import { normalizeSysctlName } from "../../../src/spec/validate.ts";
import { ConfigError } from "../../../src/sys/errors.ts";

/** runc's default config (pid, network, ipc, uts, mount namespaces), changed by `mutate`. */
function config(mutate: (spec: any) => void = () => {}): any {
  const spec: any = structuredClone(defaultSpec());
  mutate(spec);
  return spec;
}

const lint = (mutate: (spec: any) => void) => lintConfig(config(mutate));

/** The ConfigError parseConfig throws (and fails the test if it throws none). */
function parseError(mutate: (spec: any) => void): ConfigError {
  try {
    parseConfig(config(mutate));
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error("parseConfig accepted the config");
}

// [what, change, the error line thrown by parseConfig (lint's first), lint's other lines if any]
const errorCases: Array<[string, (s: any) => void, string, ...string[]]> = [
  // shape
  ["args not an array", (s) => { s.process.args = "sh"; }, "process.args: expected array, got string"],
  ["unknown namespace", (s) => { s.linux.namespaces[2].type = "bogus"; },
    `linux.namespaces[2].type: expected one of "mount" | "pid" | "network" | "uts" | "ipc" | "user" | "cgroup" | "time", got "bogus"`],
  ["uid above uint32", (s) => { s.process.user.uid = 2 ** 32; }, "process.user.uid: expected at most 4294967295, got 4294967296"],
  ["fractional gid", (s) => { s.process.user.gid = 0.5; }, "process.user.gid: expected an integer, got 0.5"],
  ["cwd missing", (s) => { delete s.process.cwd; }, "process.cwd: required"],
  ["root as a string", (s) => { s.root = "rootfs"; }, "root: expected object, got string"],
  ["process as an array", (s) => { s.process = []; }, "process: expected object, got array"],
  ["sysctl value a number", (s) => { s.linux.sysctl = { "net.ipv4.ip_forward": 1 }; },
    `linux.sysctl["net.ipv4.ip_forward"]: expected string, got number`],
  ["empty syscall names", (s) => { s.linux.seccomp = { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: [], action: "SCMP_ACT_ERRNO" }] }; },
    "linux.seccomp.syscalls[0].names: expected at least 1 entry, got 0"],
  ["hook timeout 0", (s) => { s.hooks = { poststop: [{ path: "/bin/true", timeout: 0 }] }; }, "hooks.poststop[0].timeout: expected at least 1, got 0"],
  ["hugepage size", (s) => { s.linux.resources.hugepageLimits = [{ pageSize: "2mb", limit: 1 }]; },
    `linux.resources.hugepageLimits[0].pageSize: expected to match /^[1-9][0-9]*[KMG]B$/, got "2mb"`],
  // root and process
  ["no root", (s) => { delete s.root; }, "root: required on Linux"],
  ["empty root path", (s) => { s.root.path = ""; }, "root.path: must not be empty"],
  ["ociVersion not SemVer", (s) => { s.ociVersion = "1.2"; }, `ociVersion: "1.2" is not a SemVer version (like "1.2.0")`],
  ["relative cwd", (s) => { s.process.cwd = "home"; }, `process.cwd: "home" is not an absolute path`],
  ["no args", (s) => { s.process.args = []; }, "process.args: needs at least one entry (the program to run)"],
  ["env without =", (s) => { s.process.env.push("FOO"); }, `process.env[2]: "FOO" is not NAME=value`],
  ["env with empty name", (s) => { s.process.env.push("=1"); }, `process.env[2]: "=1" has an empty name`],
  ["duplicate rlimit", (s) => { s.process.rlimits.push({ type: "RLIMIT_NOFILE", soft: 1, hard: 1 }); },
    `process.rlimits[1].type: duplicate "RLIMIT_NOFILE" (also at [0])`],
  ["unknown rlimit", (s) => { s.process.rlimits[0].type = "RLIMIT_BOGUS"; }, `process.rlimits[0].type: unknown resource "RLIMIT_BOGUS"`],
  ["soft above hard", (s) => { s.process.rlimits[0].soft = 2048; }, "process.rlimits[0].soft: 2048 is above hard 1024"],
  ["oomScoreAdj", (s) => { s.process.oomScoreAdj = 1001; }, "process.oomScoreAdj: 1001 is outside -1000..1000"],
  ["nice", (s) => { s.process.scheduler = { policy: "SCHED_OTHER", nice: 20 }; }, "process.scheduler.nice: 20 is outside -20..19"],
  ["priority for SCHED_OTHER", (s) => { s.process.scheduler = { policy: "SCHED_OTHER", priority: 5 }; },
    "process.scheduler.priority: only SCHED_FIFO and SCHED_RR take a priority, not SCHED_OTHER"],
  ["deadline fields", (s) => { s.process.scheduler = { policy: "SCHED_RR", priority: 1, runtime: 5 }; },
    "process.scheduler.runtime: only SCHED_DEADLINE takes runtime, not SCHED_RR"],
  ["io priority", (s) => { s.process.ioPriority = { class: "IOPRIO_CLASS_BE", priority: 8 }; }, "process.ioPriority.priority: 8 is outside 0..7"],
  // mounts and hooks
  ["empty mount destination", (s) => { s.mounts[0].destination = ""; }, "mounts[0].destination: must not be empty"],
  ["idmapped non-bind mount", (s) => { s.mounts[0].uidMappings = s.mounts[0].gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }]; },
    `mounts[0].options: uidMappings/gidMappings need a bind mount ("bind" or "rbind")`,
    `mounts[0].source: "proc": an idmapped mount needs an absolute source`],
  ["idmapped mount with one map", (s) => { s.mounts.push({ destination: "/d", source: "/s", options: ["bind"], uidMappings: [{ containerID: 0, hostID: 1, size: 1 }] }); },
    "mounts[7]: an idmapped mount needs both uidMappings and gidMappings"],
  ["relative hook path", (s) => { s.hooks = { createRuntime: [{ path: "hook.sh" }] }; }, `hooks.createRuntime[0].path: "hook.sh" is not an absolute path`],
  // namespaces and id mappings
  ["duplicate namespace", (s) => { s.linux.namespaces.push({ type: "pid" }); }, `linux.namespaces[5].type: duplicate "pid" (also at [0])`],
  ["relative namespace path", (s) => { s.linux.namespaces[1].path = "netns"; }, `linux.namespaces[1].path: "netns" is not an absolute path`],
  ["new user namespace without mappings", (s) => { s.linux.namespaces.push({ type: "user" }); }, "linux.uidMappings: a new user namespace needs uid mappings",
    "linux.gidMappings: a new user namespace needs gid mappings"],
  ["mappings without user namespace", (s) => { s.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }]; },
    "linux.uidMappings: given, but linux.namespaces has no user namespace"],
  ["mappings for a joined user namespace", (s) => {
    s.linux.namespaces.push({ type: "user", path: "/proc/1/ns/user" });
    s.linux.uidMappings = s.linux.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
  }, "linux.uidMappings: the user namespace is joined (/proc/1/ns/user): its mappings are already set",
    "linux.gidMappings: the user namespace is joined (/proc/1/ns/user): its mappings are already set"],
  ["mapping of size 0", (s) => {
    s.linux.namespaces.push({ type: "user" });
    s.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 0 }];
    s.linux.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
  }, "linux.uidMappings[0].size: must be at least 1"],
  ["time offsets without time namespace", (s) => { s.linux.timeOffsets = { monotonic: { secs: 1 } }; },
    "linux.timeOffsets: given, but linux.namespaces has no time namespace"],
  ["nanosecs of a second or more", (s) => { s.linux.namespaces.push({ type: "time" }); s.linux.timeOffsets = { boottime: { nanosecs: 1e9 } }; },
    "linux.timeOffsets.boottime.nanosecs: 1000000000 is not below 1000000000"],
  // devices, cgroups, resources
  ["relative device path", (s) => { s.linux.devices = [{ type: "c", path: "dev/null", major: 1, minor: 3 }]; },
    `linux.devices[0].path: "dev/null" is not an absolute path`],
  ["char device without major", (s) => { s.linux.devices = [{ type: "c", path: "/dev/x", minor: 3 }]; },
    `linux.devices[0].major: required for a device of type "c"`],
  ["cgroupsPath with ..", (s) => { s.linux.cgroupsPath = "/a/../../b"; }, `linux.cgroupsPath: "/a/../../b" climbs out with ".."`],
  ["systemd cgroupsPath with ..", (s) => { s.linux.cgroupsPath = "system.slice:..:x"; }, `linux.cgroupsPath: "system.slice:..:x" climbs out with ".."`],
  ["device rule type", (s) => { s.linux.resources.devices[0].type = "x"; }, `linux.resources.devices[0].type: "x" is not "a", "b" or "c"`],
  ["device rule access", (s) => { s.linux.resources.devices[0].access = "rwx"; }, `linux.resources.devices[0].access: "rwx" may only hold the letters r, w, m`],
  ["swap below limit", (s) => { s.linux.resources.memory = { limit: 200, swap: 100 }; },
    "linux.resources.memory.swap: 100 (memory+swap) is below memory.limit 200"],
  ["swappiness", (s) => { s.linux.resources.memory = { swappiness: 101 }; }, "linux.resources.memory.swappiness: 101 is outside 0..100"],
  ["cpuset list", (s) => { s.linux.resources.cpu = { cpus: "0-3;5" }; }, `linux.resources.cpu.cpus: "0-3;5" is not a list like "0-3,8"`],
  ["unified with a slash", (s) => { s.linux.resources.unified = { "../memory.max": "1" }; },
    `linux.resources.unified["../memory.max"]: must be a cgroup file name (no slashes)`],
  // sysctl
  ["host sysctl", (s) => { s.linux.sysctl = { "kernel.core_pattern": "x" }; }, `linux.sysctl["kernel.core_pattern"]: is not namespaced: it would change the host`],
  ["sysctl climbing with ..", (s) => { s.linux.sysctl = { "net/../kernel/panic": "1" }; },
    `linux.sysctl["net/../kernel/panic"]: is not a sysctl name (like "net.ipv4.ip_forward")`],
  ["sysctl with an empty part", (s) => { s.linux.sysctl = { "net.ipv4..ip_forward": "1" }; },
    `linux.sysctl["net.ipv4..ip_forward"]: is not a sysctl name (like "net.ipv4.ip_forward")`],
  ["net sysctl without netns", (s) => { s.linux.namespaces.splice(1, 1); s.linux.sysctl = { "net.ipv4.ip_forward": "1" }; },
    `linux.sysctl["net.ipv4.ip_forward"]: needs a network namespace (else it changes the host's)`],
  ["ipc sysctl without ipc ns", (s) => { s.linux.namespaces.splice(2, 1); s.linux.sysctl = { "fs/mqueue/msg_max": "20" }; },
    `linux.sysctl["fs/mqueue/msg_max"]: needs an IPC namespace (else it changes the host's)`],
  ["kernel.hostname", (s) => { s.linux.sysctl = { "kernel.hostname": "x" }; },
    `linux.sysctl["kernel.hostname"]: conflicts with the "hostname" field: set that instead`],
  ["kernel.domainname without uts", (s) => { s.linux.namespaces.splice(3, 1); delete s.hostname; s.linux.sysctl = { "kernel.domainname": "x" }; },
    `linux.sysctl["kernel.domainname"]: is not namespaced: it would change the host`],
  // seccomp
  ["notify without listenerPath", (s) => { s.linux.seccomp = { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["mount"], action: "SCMP_ACT_NOTIFY" }] }; },
    "linux.seccomp.listenerPath: required when a rule uses SCMP_ACT_NOTIFY"],
  ["notify as default", (s) => { s.linux.seccomp = { defaultAction: "SCMP_ACT_NOTIFY", listenerPath: "/run/l.sock" }; },
    "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action"],
  ["notify on write", (s) => { s.linux.seccomp = { defaultAction: "SCMP_ACT_ALLOW", listenerPath: "/l", syscalls: [{ names: ["write"], action: "SCMP_ACT_NOTIFY" }] }; },
    `linux.seccomp.syscalls[0].names: SCMP_ACT_NOTIFY cannot be used for "write"`],
  ["relative listenerPath", (s) => { s.linux.seccomp = { defaultAction: "SCMP_ACT_ALLOW", listenerPath: "l.sock" }; },
    `linux.seccomp.listenerPath: "l.sock" is not an absolute path`],
  ["arg index 6", (s) => { s.linux.seccomp = { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["read"], action: "SCMP_ACT_ERRNO", args: [{ index: 6, value: 0, op: "SCMP_CMP_EQ" }] }] }; },
    "linux.seccomp.syscalls[0].args[0].index: 6 is above 5 (a syscall has 6 arguments)"],
  ["errnoRet on ALLOW", (s) => { s.linux.seccomp = { defaultAction: "SCMP_ACT_ERRNO", syscalls: [{ names: ["read"], action: "SCMP_ACT_ALLOW", errnoRet: 1 }] }; },
    "linux.seccomp.syscalls[0].errnoRet: SCMP_ACT_ALLOW takes no errno"],
  ["defaultErrnoRet on KILL", (s) => { s.linux.seccomp = { defaultAction: "SCMP_ACT_KILL", defaultErrnoRet: 1 }; },
    "linux.seccomp.defaultErrnoRet: SCMP_ACT_KILL takes no errno"],
  // paths, net devices, the rest
  ["relative masked path", (s) => { s.linux.maskedPaths.push("proc/kcore"); }, `linux.maskedPaths[10]: "proc/kcore" is not an absolute path`],
  ["masked paths without mount ns", (s) => { s.linux.namespaces.splice(4, 1); }, "linux.maskedPaths: needs a mount namespace (else it changes the host's /proc)",
    "linux.readonlyPaths: needs a mount namespace (else it changes the host's /proc)"],
  ["bad interface name", (s) => { s.linux.netDevices = { eth0: { name: "a/b" } }; }, `linux.netDevices.eth0.name: "a/b" is not a valid interface name`],
  ["two devices, one name", (s) => { s.linux.netDevices = { eth0: { name: "x" }, eth1: { name: "x" } }; },
    `linux.netDevices.eth1: same name in the container as "eth0": "x"`],
  ["closID", (s) => { s.linux.intelRdt = { closID: "../x" }; }, `linux.intelRdt.closID: "../x" is not a valid directory name`],
  ["memory policy without mode", (s) => { s.linux.memoryPolicy = { nodes: "0" }; }, "linux.memoryPolicy.mode: required"],
  ["memory policy nodes", (s) => { s.linux.memoryPolicy = { mode: "MPOL_BIND", nodes: "0-x" }; }, `linux.memoryPolicy.nodes: "0-x" is not a node number or range (like "0-3,7")`],
  ["memory policy reversed range", (s) => { s.linux.memoryPolicy = { mode: "MPOL_BIND", nodes: "3-1" }; }, `linux.memoryPolicy.nodes: "3-1": the range ends before it starts`],
  ["memory policy bind without nodes", (s) => { s.linux.memoryPolicy = { mode: "MPOL_BIND" }; }, "linux.memoryPolicy.nodes: MPOL_BIND needs nodes"],
  ["memory policy local with nodes", (s) => { s.linux.memoryPolicy = { mode: "MPOL_LOCAL", nodes: "0" }; }, "linux.memoryPolicy.nodes: MPOL_LOCAL takes no nodes"],
  ["memory policy flags", (s) => { s.linux.memoryPolicy = { mode: "MPOL_BIND", nodes: "0", flags: ["MPOL_F_STATIC_NODES", "MPOL_F_RELATIVE_NODES"] }; },
    "linux.memoryPolicy.flags: MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other"],
];

describe("errors: lint lists it, parseConfig throws it", () => {
  for (const [what, mutate, line, ...more] of errorCases)
    test(what, () => {
      const { errors, warnings } = lint(mutate);
      expect(errors).toEqual([line, ...more].map((l) => `config.json: ${l}`));
      // a field this runtime refuses is also named, after the errors (netDevices, memoryPolicy, …)
      expect(warnings.filter((w) => !w.endsWith("not supported by minidocker; create refuses this"))).toEqual([]);
      const error = parseError(mutate);
      expect(error.message).toBe(`config.json: ${line}`);
      expect(line.startsWith(error.jsonPath)).toBe(true);
    });
});

// [what, change, the warning expected; parseConfig still accepts the config]
const warningCases: Array<[string, (s: any) => void, string]> = [
  ["unknown capability", (s) => { s.process.capabilities.bounding.push("CAP_FLY"); }, `process.capabilities.bounding[3]: unknown capability "CAP_FLY", ignored`],
  ["unknown syscall", (s) => { s.linux.seccomp = { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["read", "frobnicate"], action: "SCMP_ACT_ERRNO" }] }; },
    `linux.seccomp.syscalls[0].names[1]: unknown syscall "frobnicate", ignored`],
  ["relative mount destination", (s) => { s.mounts[0].destination = "proc"; }, `mounts[0].destination: "proc" is relative (deprecated), taken as "/proc"`],
  ["missing uid", (s) => { delete s.process.user.uid; }, "process.user.uid: missing, using 0 (the spec requires it)"],
  ["ociVersion 2.x", (s) => { s.ociVersion = "2.0.0"; }, `ociVersion: "2.0.0": this runtime implements spec 1.x`],
  ["prestart hooks", (s) => { s.hooks = { prestart: [{ path: "/bin/true" }] }; }, "hooks.prestart: deprecated: use createRuntime (still run, as runc does)"],
  ["other platform", (s) => { s.solaris = {}; }, "solaris: settings for another platform, ignored on Linux"],
  ["personality flags", (s) => { s.linux.personality = { domain: "LINUX32", flags: ["X"] }; }, "linux.personality.flags: no flags are defined yet, ignored"],
];

describe("warnings: the config is still accepted", () => {
  for (const [what, mutate, line] of warningCases)
    test(what, () => {
      expect(lint(mutate)).toEqual({ errors: [], warnings: [`config.json: ${line}`] });
      expect(parseConfig(config(mutate)).warnings).toEqual([`config.json: ${line}`]);
    });
});

// Allowed by the spec, refused by runc and by us at create: lint only warns.
const refusalCases: Array<[string, (s: any) => void, string]> = [
  ["hostname without UTS namespace", (s) => { s.linux.namespaces.splice(3, 1); }, "hostname: needs a UTS namespace (linux.namespaces has none)"],
  ["netDevices without network namespace", (s) => { s.linux.namespaces.splice(1, 1); s.linux.netDevices = { eth0: {} }; }, "linux.netDevices: needs a network namespace"],
  ["no process", (s) => { delete s.process; }, "process: required to create a container"],
  ["netDevices", (s) => { s.linux.netDevices = { eth0: { name: "e0" } }; }, "linux.netDevices: not supported by minidocker"],
  ["intelRdt", (s) => { s.linux.intelRdt = { closID: "c1" }; }, "linux.intelRdt: not supported by minidocker"],
  ["idmapped mount", (s) => {
    s.mounts.push({ destination: "/d", source: "/s", options: ["bind"], uidMappings: [{ containerID: 0, hostID: 1, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1, size: 1 }] });
  }, "mounts[7].uidMappings: an idmapped mount needs the container's user namespace (linux.namespaces has none): other mappings are not supported by minidocker"],
  ["idmap option", (s) => { s.mounts.push({ destination: "/d", source: "/s", options: ["rbind", "idmap"] }); },
    "mounts[7].options: an idmapped mount needs the container's user namespace (linux.namespaces has none): other mappings are not supported by minidocker"],
  ["idmapped mount with other mappings", (s) => {
    s.linux.namespaces.push({ type: "user" });
    s.linux.uidMappings = s.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    s.mounts.push({ destination: "/d", source: "/s", options: ["bind"], uidMappings: [{ containerID: 0, hostID: 1, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1, size: 1 }] });
  }, "mounts[7].uidMappings: only the container's own mappings (linux.uidMappings/gidMappings) are supported for idmapped mounts; others are not supported by minidocker"],
];

describe("refusals: lint warns, parseConfig throws", () => {
  for (const [what, mutate, line] of refusalCases)
    test(what, () => {
      expect(lint(mutate)).toEqual({ errors: [], warnings: [`config.json: ${line}; create refuses this`] });
      expect(parseError(mutate).message).toBe(`config.json: ${line}`);
    });
});

// Outside the spec, taken by runc and crun and by us: lint warns, create keeps quiet.
describe("portability: lint warns, parseConfig accepts silently", () => {
  for (const propagation of ["rprivate", "rslave", "rshared", "runbindable"])
    test(`linux.rootfsPropagation ${propagation}`, () => {
      const mutate = (s: any) => { s.linux.rootfsPropagation = propagation; };
      expect(lint(mutate)).toEqual({ errors: [], warnings: [
        `config.json: linux.rootfsPropagation: "${propagation}" is not in the runtime spec (runc and crun take it); "${propagation.slice(1)}" is`,
      ] });
      const parsed = parseConfig(config(mutate));
      expect(parsed.warnings).toEqual([]);
      expect(parsed.spec.linux?.rootfsPropagation).toBe(propagation);
    });
});

test("idmapped mounts through the container's own user namespace are accepted (option, or the same mappings)", () => {
  const mapping = [{ containerID: 0, hostID: 100000, size: 65536 }];
  const spec = config((s) => {
    s.linux.namespaces.push({ type: "user" });
    s.linux.uidMappings = s.linux.gidMappings = mapping;
    s.mounts.push({ destination: "/a", source: "/s", options: ["rbind", "ridmap"] },
      { destination: "/b", source: "/s", options: ["bind"], uidMappings: mapping, gidMappings: mapping });
  });
  expect(lintConfig(spec)).toEqual({ errors: [], warnings: [] });
  expect(parseConfig(spec).warnings).toEqual([]);
});

describe("lint", () => {
  test("lists every problem, shape and meaning, in one pass", () => {
    const { errors } = lint((s) => {
      s.process.args = "sh";
      s.process.user.uid = -1;
      s.linux.namespaces.push({ type: "pid" });
      s.hooks = { poststop: [{ path: "rel" }] };
    });
    expect(errors).toEqual([
      "config.json: process.user.uid: expected at least 0, got -1",
      "config.json: process.args: expected array, got string",
      `config.json: hooks.poststop[0].path: "rel" is not an absolute path`,
      `config.json: linux.namespaces[5].type: duplicate "pid" (also at [0])`,
    ]);
  });

  test("keeps quiet about meaning inside a field already reported", () => {
    const { errors } = lint((s) => { s.linux.namespaces = [null, { type: "pid" }, "x"]; });
    expect(errors).toEqual([
      "config.json: linux.namespaces[0]: expected object, got null",
      "config.json: linux.namespaces[2]: expected object, got string",
    ]);
  });

  test("takes any JSON value and a file name", () => {
    expect(lintConfig(null, "b/config.json").errors).toEqual(["b/config.json: expected object, got null"]);
    expect(lintConfig([], "c.json").errors).toEqual(["c.json: expected object, got array"]);
    expect(lintConfig({}).errors).toEqual(["config.json: ociVersion: required", "config.json: root: required on Linux"]);
  });

  test("ignores unknown properties and drops them from the parsed spec", () => {
    const spec = config((s) => { s.futureField = { x: 1 }; s.process.futureField = 1; s.linux.futureSection = [] });
    expect(lintConfig(spec)).toEqual({ errors: [], warnings: [] });
    const parsed = parseConfig(spec).spec as any;
    expect(parsed.futureField).toBeUndefined();
    expect(parsed.process.futureField).toBeUndefined();
  });
});

describe("parseProcess (exec --process)", () => {
  test("accepts a process", () => {
    const { spec } = parseProcess({ cwd: "/", args: ["ls"], user: { uid: 1, gid: 1 }, terminal: false });
    expect(spec.args).toEqual(["ls"]);
  });
  test("names the file and the field", () => {
    expect(() => parseProcess({ cwd: "/", args: "ls" })).toThrow("process.json: args: expected array, got string");
    expect(() => parseProcess({ cwd: "tmp", args: ["ls"] }, "p.json")).toThrow(`p.json: cwd: "tmp" is not an absolute path`);
    expect(() => parseProcess({ cwd: "/", args: [] })).toThrow("process.json: args: needs at least one entry");
  });
  test("warns like config.json", () => {
    expect(parseProcess({ cwd: "/", args: ["ls"], user: { uid: 0 } }).warnings).toEqual(["process.json: user.gid: missing, using 0 (the spec requires it)"]);
  });
});

describe("parseResources (update --resources)", () => {
  test("accepts linux.resources", () => {
    const { spec } = parseResources({ memory: { limit: 1 << 20 }, pids: { limit: 10 }, cpu: { cpus: "0" } }, "r.json");
    expect(spec.pids?.limit).toBe(10);
  });
  test("names the file and the field", () => {
    expect(() => parseResources({ memory: { limit: "1G" } }, "r.json")).toThrow("r.json: memory.limit: expected number, got string");
    expect(() => parseResources({ pids: {} }, "r.json")).toThrow("r.json: pids.limit: required");
    expect(() => parseResources({ cpu: { mems: "x" } }, "r.json")).toThrow(`r.json: cpu.mems: "x" is not a list like "0-3,8"`);
  });
});

test("sysctl names with slashes read as sysctl(8) does", () => {
  expect(normalizeSysctlName("net/ipv4/conf/eno2.100/rp_filter")).toBe("net.ipv4.conf.eno2/100.rp_filter");
  expect(normalizeSysctlName("net.ipv4.ip_forward")).toBe("net.ipv4.ip_forward");
  expect(normalizeSysctlName("kernel")).toBe("kernel");
});

test("Docker's default seccomp profile: no unknown syscall", async () => {
  const profile = await Bun.file(`${import.meta.dir}/../../../bundles/seccomp/docker-default.json`).json();
  // Docker's format adds archMap and per-rule includes/excludes; the OCI fields are a subset.
  expect(lint((s) => { s.linux.seccomp = profile; })).toEqual({ errors: [], warnings: [] });
});
