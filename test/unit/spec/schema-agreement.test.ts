// Our valibot schema against the runtime-spec's JSON schema run by ajv (the oracle): the upstream
// fixtures, then a table of single-field changes to a full config, each on both sides of a bound.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { defaultSpec } from "../../../src/spec/defaults.ts";
import { lintConfig, parseConfig, parseJson } from "../../../src/spec/parse.ts";
import { schemaErrors, SPEC_DIR } from "./json-schema-oracle.ts";

const fixtureDir = (kind: string) => `${SPEC_DIR}/test/config/${kind}`;
const fixtures = (kind: string) => readdirSync(fixtureDir(kind)).filter((f) => f.endsWith(".json")).sort();

/** lint's verdict on a file: its errors, an unparsable file counting as one. */
function lintFile(path: string, name: string): string[] {
  try {
    return lintConfig(parseJson(readFileSync(path, "utf8"), name), name).errors;
  } catch (e) {
    return [(e as Error).message];
  }
}

describe("upstream fixtures", () => {
  test("are there", () => {
    expect(fixtures("good").length).toBeGreaterThanOrEqual(9);
    expect(fixtures("bad").length).toBeGreaterThanOrEqual(5);
  });

  for (const name of fixtures("good"))
    test(`good/${name}: the JSON schema and lint both accept it`, () => {
      const json = JSON.parse(readFileSync(`${fixtureDir("good")}/${name}`, "utf8"));
      expect(schemaErrors(json)).toEqual([]);
      expect(lintFile(`${fixtureDir("good")}/${name}`, name)).toEqual([]);
    });

  // What each bad fixture breaks, and the line lint must print for it.
  const expectedBad: Record<string, string> = {
    "freebsd-vnet-disable.json": `freebsd.jail.vnet: expected one of "new" | "inherit", got "disable"`,
    "invalid-json.json": "invalid JSON",
    "linux-hugepage.json": `linux.resources.hugepageLimits[0].pageSize: expected to match /^[1-9][0-9]*[KMG]B$/, got "64kB"`,
    "linux-netdevice.json": "linux.netDevices.eth0.name: expected string, got number",
    "linux-rdma.json": "linux.resources.rdma.mlx5_1.hcaHandles: expected number, got string",
  };
  for (const name of fixtures("bad"))
    test(`bad/${name}: the JSON schema and lint both refuse it, for the same field`, () => {
      const path = `${fixtureDir("bad")}/${name}`;
      let oracle: string[];
      try {
        oracle = schemaErrors(JSON.parse(readFileSync(path, "utf8")));
      } catch (e) {
        oracle = [(e as Error).message];
      }
      expect(oracle.length).toBeGreaterThan(0);
      const errors = lintFile(path, name);
      expect(errors.length).toBeGreaterThan(0);
      expect(expectedBad[name]).toBeDefined();
      expect(errors[0]).toContain(`${name}: ${expectedBad[name]}`);
    });
});

// ── single changes to a full, valid config ─────────────────────────────────────────────

/** A config using every Linux section, valid for both the schema and our semantic checks. */
function fullConfig(): any {
  const spec: any = JSON.parse(readFileSync(`${fixtureDir("good")}/spec-example.json`, "utf8"));
  spec.ociVersion = "1.3.0";
  spec.hooks.createRuntime = spec.hooks.prestart;
  delete spec.hooks.prestart;
  Object.assign(spec.process, {
    consoleSize: { height: 24, width: 80 },
    oomScoreAdj: 100,
    scheduler: { policy: "SCHED_OTHER", nice: 5, flags: ["SCHED_FLAG_RESET_ON_FORK"] },
    ioPriority: { class: "IOPRIO_CLASS_BE", priority: 4 },
    execCPUAffinity: { initial: "0", final: "0-1" },
  });
  Object.assign(spec.process.user, { umask: 18 });
  Object.assign(spec.linux, {
    netDevices: { eth1: { name: "net0" } },
    intelRdt: { closID: "guaranteed", l3CacheSchema: "L3:0=7f0", memBwSchema: "MB:0=20", enableMonitoring: true },
    memoryPolicy: { mode: "MPOL_BIND", nodes: "0", flags: ["MPOL_F_STATIC_NODES"] },
    personality: { domain: "LINUX" },
  });
  spec.linux.resources.rdma = { mlx5_1: { hcaHandles: 3 } };
  spec.linux.resources.unified = { "memory.high": "max" };
  spec.linux.seccomp.flags = ["SECCOMP_FILTER_FLAG_LOG"];
  spec.linux.seccomp.defaultErrnoRet = undefined;
  spec.linux.seccomp.syscalls.push({
    names: ["personality"],
    action: "SCMP_ACT_ALLOW",
    args: [{ index: 0, value: 8, valueTwo: 0, op: "SCMP_CMP_EQ" }],
  });
  spec.mounts.push({ destination: "/data", type: "bind", source: "/srv", options: ["rbind"] });
  return JSON.parse(JSON.stringify(spec));
}

/** Sets `value` at a dotted path ("linux.namespaces.0.type"); undefined deletes the key. */
function withChange(path: string, value: unknown) {
  const spec = fullConfig();
  const keys = path.split(".");
  const last = keys.pop()!;
  const parent = keys.reduce((node, key) => (node[key] ??= {}), spec);
  if (value === undefined) delete parent[last];
  else parent[last] = value;
  return spec;
}

test("the full config is valid for both; create refuses only the fields minidocker does not apply", () => {
  const spec = fullConfig();
  expect(schemaErrors(spec)).toEqual([]);
  const unsupported = ["linux.netDevices", "linux.intelRdt"];
  expect(lintConfig(spec)).toEqual({ errors: [], warnings: unsupported.map((f) => `config.json: ${f}: not supported by minidocker; create refuses this`) });
  expect(() => parseConfig(spec)).toThrow("config.json: linux.netDevices: not supported by minidocker");
  for (const field of unsupported) delete (spec.linux as Record<string, unknown>)[field.slice("linux.".length)];
  expect(() => parseConfig(spec)).not.toThrow();
});

// [path, value]: each is judged by ajv and by lint, who must agree (both sides of each bound).
const changes: Array<[string, unknown]> = [
  ["ociVersion", undefined], ["ociVersion", 1],
  ["process.terminal", "yes"], ["process.consoleSize.height", -1], ["process.consoleSize", { width: 1 }],
  ["process.user.uid", 4294967295], ["process.user.uid", 4294967296], ["process.user.gid", -1],
  ["process.user.uid", 1.5], ["process.user.additionalGids", [0, 4294967296]], ["process.user.umask", "022"],
  ["process.args", "sh"], ["process.args", [1]], ["process.env", ["A=1", 2]], ["process.cwd", undefined],
  ["process.capabilities.bounding", "CAP_KILL"], ["process.capabilities.ambient", [true]],
  ["process.rlimits.0.type", "RLIMIT_nofile"], ["process.rlimits.0.type", "NOFILE"], ["process.rlimits.0.soft", undefined],
  ["process.rlimits.0.hard", 18446744073709551615], ["process.rlimits.0.hard", -1],
  ["process.noNewPrivileges", 1], ["process.oomScoreAdj", 1.5], ["process.apparmorProfile", 5],
  ["process.scheduler.policy", "SCHED_FAIR"], ["process.scheduler.policy", undefined], ["process.scheduler.nice", 2147483648],
  ["process.scheduler.flags", ["SCHED_FLAG_BOGUS"]], ["process.scheduler.runtime", -1],
  ["process.ioPriority.class", "IOPRIO_CLASS_NONE"], ["process.ioPriority.class", undefined],
  ["process.execCPUAffinity.initial", "0-3,a"], ["process.selinuxLabel", []],
  ["root.path", undefined], ["root.readonly", "true"], ["root", []],
  ["hostname", 1], ["domainname", null], ["annotations", { a: 1 }], ["annotations", []],
  ["mounts.0.destination", undefined], ["mounts.0.options", "ro"], ["mounts.0.type", 1],
  ["mounts.7.uidMappings", [{ containerID: 0, hostID: 1000 }]], ["mounts.7.gidMappings", [{ containerID: 0, hostID: -1, size: 1 }]],
  ["hooks.poststart.0.timeout", 0], ["hooks.poststart.0.timeout", 1.5], ["hooks.poststop.0.path", undefined],
  ["hooks.createRuntime.0.args", "x"], ["hooks.startContainer", {}],
  ["linux.namespaces.0.type", "bogus"], ["linux.namespaces.0.type", undefined], ["linux.namespaces.0.path", 1],
  ["linux.uidMappings.0.size", 4294967296], ["linux.gidMappings.0.hostID", undefined],
  ["linux.devices.0.type", "x"], ["linux.devices.0.type", "cc"], ["linux.devices.0.fileMode", 511], ["linux.devices.0.fileMode", 512],
  ["linux.devices.0.major", 9223372036854775807], ["linux.devices.0.uid", -1], ["linux.devices.0.path", undefined],
  ["linux.netDevices.eth1.name", 23], ["linux.netDevices", []],
  ["linux.cgroupsPath", 5],
  ["linux.resources.devices.0.allow", undefined], ["linux.resources.devices.0.major", "8"], ["linux.resources.devices.0.access", 7],
  ["linux.resources.memory.limit", -1], ["linux.resources.cpu.quota", 9223372036854775807], ["linux.resources.cpu.quota", 9223372036854775808e3], ["linux.resources.memory.limit", "1G"],
  ["linux.resources.memory.swappiness", -1], ["linux.resources.memory.disableOOMKiller", 0],
  ["linux.resources.cpu.shares", -2], ["linux.resources.cpu.quota", -1], ["linux.resources.cpu.cpus", 3], ["linux.resources.cpu.idle", 1.5],
  ["linux.resources.pids.limit", undefined], ["linux.resources.pids.limit", -1], ["linux.resources.pids", 5],
  ["linux.resources.blockIO.weight", 65535], ["linux.resources.blockIO.weight", 65536], ["linux.resources.blockIO.weightDevice.0.major", undefined],
  ["linux.resources.blockIO.throttleReadBpsDevice.0.rate", -1], ["linux.resources.blockIO.throttleReadBpsDevice.0.minor", undefined],
  ["linux.resources.hugepageLimits.0.pageSize", "1GB"], ["linux.resources.hugepageLimits.0.pageSize", "0MB"],
  ["linux.resources.hugepageLimits.0.pageSize", "2Mb"], ["linux.resources.hugepageLimits.0.limit", undefined],
  ["linux.resources.network.classID", 4294967296], ["linux.resources.network.priorities.0.priority", undefined],
  ["linux.resources.rdma.mlx5_1.hcaObjects", -1], ["linux.resources.unified", { "memory.max": 5 }],
  ["linux.intelRdt.memBwSchema", "L3:0=1"], ["linux.intelRdt.schemata", ["L3:0=ff"]], ["linux.intelRdt.enableMonitoring", "y"],
  ["linux.sysctl", { "net.ipv4.ip_forward": 1 }],
  ["linux.seccomp.defaultAction", undefined], ["linux.seccomp.defaultAction", "SCMP_ACT_BOGUS"],
  ["linux.seccomp.defaultErrnoRet", -1], ["linux.seccomp.architectures", ["SCMP_ARCH_RISCV64"]],
  ["linux.seccomp.architectures", ["SCMP_ARCH_RISCV32"]], ["linux.seccomp.flags", ["SECCOMP_FILTER_FLAG_NEW_LISTENER"]],
  ["linux.seccomp.flags", ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]], ["linux.seccomp.listenerMetadata", 1],
  ["linux.seccomp.syscalls.0.names", []], ["linux.seccomp.syscalls.0.names", undefined], ["linux.seccomp.syscalls.0.action", undefined],
  ["linux.seccomp.syscalls.1.args.0.op", "SCMP_CMP_MASKED"], ["linux.seccomp.syscalls.1.args.0.value", undefined],
  ["linux.seccomp.syscalls.1.args.0.index", -1], ["linux.seccomp.syscalls.1.args.0.valueTwo", 18446744073709551615],
  ["linux.rootfsPropagation", "bogus"], ["linux.rootfsPropagation", "unbindable"],
  ["linux.maskedPaths", "/proc/kcore"], ["linux.readonlyPaths", [1]], ["linux.mountLabel", false],
  ["linux.timeOffsets.boottime.secs", -9223372036854775808], ["linux.timeOffsets.boottime.nanosecs", -1],
  ["linux.memoryPolicy.mode", "MPOL_NONE"], ["linux.memoryPolicy.flags", ["MPOL_F_BOGUS"]],
  ["linux.personality.domain", "LINUX64"], ["linux.personality.flags", "x"],
  ["windows", { layerFolders: [] }], ["windows", { layerFolders: ["C:\\l"] }], ["vm", { kernel: {} }],
  ["vm", { kernel: { path: "/k" }, image: { path: "/i", format: "qcow2" } }], ["zos", { namespaces: [{ type: "network" }] }],
  ["solaris", { anet: [{ linkname: 1 }] }], ["freebsd", { jail: { enforceStatfs: 256 } }],
  ["unknownTopLevel", { anything: [1, 2] }], ["process.unknownField", 1], ["linux.unknownSection", "x"],
];

describe("single changes: lint agrees with the JSON schema", () => {
  for (const [path, value] of changes)
    test(`${path} = ${JSON.stringify(value) ?? "(deleted)"}`, () => {
      const spec = withChange(path, value);
      const schemaSays = schemaErrors(spec);
      const { errors } = lintConfig(spec);
      // Valid-by-schema changes here are also semantically fine, so lint must find nothing.
      expect({ path, refused: errors.length > 0 }).toEqual({ path, refused: schemaSays.length > 0 });
      // The error names the field changed, or the object that lost it.
      if (errors.length) expect(errors[0]).toMatch(/^config\.json: [\w.[\]"-]*/);
    });
});

test("defaultSpec() and defaultSpec({ rootless: true }) pass the JSON schema and parseConfig", () => {
  for (const spec of [defaultSpec(), defaultSpec({ rootless: true })]) {
    expect(schemaErrors(spec)).toEqual([]);
    expect(parseConfig(spec).warnings).toEqual([]);
    expect(lintConfig(spec)).toEqual({ errors: [], warnings: [] });
  }
});
