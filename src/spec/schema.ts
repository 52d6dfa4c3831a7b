// The OCI runtime-spec config.json for Linux, as valibot schemas.
// Source of truth: runtime-spec v1.3 JSON schema (config-schema.json, config-linux.json,
// defs.json, defs-linux.json): the same types, enums, patterns and integer ranges.
// `object()` (scalars.ts) drops unknown properties: the spec says runtimes MUST ignore them.
// Sections a config may well not have are builtOnFirstUse (start-up time of every `create`).
// Meaning (duplicates, absolute paths, namespace rules) is checked in validate.ts.
// Only `cli` and `container` import this file; `init` gets types from types.ts.
import * as v from "valibot";
import { OtherPlatformSchemas } from "./other-platforms.ts";
import { builtOnFirstUse, fileMode, int32, int64, object, record, stringMap, strings, uint16, uint32, uint64 } from "./scalars.ts";

const optional = v.optional;

// ── Common (defs.json) ─────────────────────────────────────────────────────────────────

export const IdMappingSchema = object({
  containerID: uint32,
  hostID: uint32,
  size: uint32,
});

export const MountSchema = object({
  destination: v.string(),
  source: optional(v.string()),
  type: optional(v.string()),
  options: optional(strings),
  uidMappings: optional(v.array(IdMappingSchema)),
  gidMappings: optional(v.array(IdMappingSchema)),
});

export const HookSchema = builtOnFirstUse(() => object({
  path: v.string(),
  args: optional(strings),
  env: optional(strings),
  timeout: optional(v.pipe(v.number(), v.integer(), v.minValue(1))), // seconds, "MUST be greater than zero"
}));

const hookList = optional(v.array(HookSchema));

export const HooksSchema = builtOnFirstUse(() => object({
  prestart: hookList, // deprecated by the spec, still run (runc does)
  createRuntime: hookList,
  createContainer: hookList,
  startContainer: hookList,
  poststart: hookList,
  poststop: hookList,
}));

// ── process (config-schema.json) ───────────────────────────────────────────────────────

export const CapabilitiesSchema = object({
  bounding: optional(strings),
  effective: optional(strings),
  inheritable: optional(strings),
  permitted: optional(strings),
  ambient: optional(strings),
});

export const RlimitSchema = object({
  type: v.pipe(v.string(), v.regex(/^RLIMIT_[A-Z]+$/)),
  soft: uint64,
  hard: uint64,
});

export const UserSchema = object({
  // The spec text makes uid and gid REQUIRED on POSIX, the JSON schema does not: validate.ts warns.
  uid: optional(uint32),
  gid: optional(uint32),
  umask: optional(uint32),
  additionalGids: optional(v.array(uint32)),
  username: optional(v.string()), // Windows only
});

export const SCHEDULER_POLICIES = [
  "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH", "SCHED_ISO", "SCHED_IDLE", "SCHED_DEADLINE",
] as const;

export const SCHEDULER_FLAGS = [
  "SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM", "SCHED_FLAG_DL_OVERRUN", "SCHED_FLAG_KEEP_POLICY",
  "SCHED_FLAG_KEEP_PARAMS", "SCHED_FLAG_UTIL_CLAMP_MIN", "SCHED_FLAG_UTIL_CLAMP_MAX",
] as const;

export const SchedulerSchema = builtOnFirstUse(() => object({
  policy: v.picklist(SCHEDULER_POLICIES),
  nice: optional(int32),
  priority: optional(int32),
  flags: optional(v.array(v.picklist(SCHEDULER_FLAGS))),
  runtime: optional(uint64),
  deadline: optional(uint64),
  period: optional(uint64),
}));

export const IoPrioritySchema = builtOnFirstUse(() => object({
  class: v.picklist(["IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE"]),
  priority: optional(int32),
}));

const cpuList = v.pipe(v.string(), v.regex(/^[0-9, -]*$/)); // "0-3,7"

export const ProcessSchema = object({
  terminal: optional(v.boolean()),
  consoleSize: optional(builtOnFirstUse(() => object({ height: uint64, width: uint64 }))),
  user: optional(UserSchema),
  args: optional(strings), // at least one entry on Linux: validate.ts
  commandLine: optional(v.string()), // Windows only
  env: optional(strings),
  cwd: v.string(), // absolute: validate.ts
  capabilities: optional(CapabilitiesSchema),
  rlimits: optional(v.array(RlimitSchema)),
  noNewPrivileges: optional(v.boolean()),
  apparmorProfile: optional(v.string()),
  oomScoreAdj: optional(v.pipe(v.number(), v.integer())),
  scheduler: optional(SchedulerSchema),
  selinuxLabel: optional(v.string()),
  ioPriority: optional(IoPrioritySchema),
  execCPUAffinity: optional(builtOnFirstUse(() => object({ initial: optional(cpuList), final: optional(cpuList) }))),
});

// ── linux.resources (config-linux.json) ────────────────────────────────────────────────

const weight = uint16; // defs-linux.json weight

export const DeviceCgroupSchema = builtOnFirstUse(() => object({
  allow: v.boolean(),
  type: optional(v.string()), // "a" | "b" | "c": validate.ts
  major: optional(int64),
  minor: optional(int64),
  access: optional(v.string()), // letters of "rwm": validate.ts
}));

export const MemorySchema = builtOnFirstUse(() => object({
  limit: optional(int64),
  reservation: optional(int64),
  swap: optional(int64),
  kernel: optional(int64),
  kernelTCP: optional(int64),
  swappiness: optional(uint64),
  disableOOMKiller: optional(v.boolean()),
  useHierarchy: optional(v.boolean()),
  checkBeforeUpdate: optional(v.boolean()),
}));

export const CpuSchema = builtOnFirstUse(() => object({
  shares: optional(uint64),
  quota: optional(int64),
  burst: optional(uint64),
  period: optional(uint64),
  realtimeRuntime: optional(int64),
  realtimePeriod: optional(uint64),
  cpus: optional(v.string()),
  mems: optional(v.string()),
  idle: optional(int64),
}));

const blockIODevice = { major: int64, minor: int64 };
export const WeightDeviceSchema = builtOnFirstUse(() => object({
  ...blockIODevice,
  weight: optional(weight),
  leafWeight: optional(weight),
}));
export const ThrottleDeviceSchema = builtOnFirstUse(() => object({ ...blockIODevice, rate: optional(uint64) }));
const throttleList = optional(v.array(ThrottleDeviceSchema));

export const BlockIoSchema = builtOnFirstUse(() => object({
  weight: optional(weight),
  leafWeight: optional(weight),
  weightDevice: optional(v.array(WeightDeviceSchema)),
  throttleReadBpsDevice: throttleList,
  throttleWriteBpsDevice: throttleList,
  throttleReadIOPSDevice: throttleList,
  throttleWriteIOPSDevice: throttleList,
}));

export const HugepageLimitSchema = builtOnFirstUse(() => object({
  pageSize: v.pipe(v.string(), v.regex(/^[1-9][0-9]*[KMG]B$/)), // "2MB", "1GB"; not "64kB"
  limit: uint64,
}));

export const NetworkSchema = builtOnFirstUse(() => object({
  classID: optional(uint32),
  priorities: optional(v.array(object({ name: v.string(), priority: uint32 }))),
}));

export const RdmaSchema = builtOnFirstUse(() => object({ hcaHandles: optional(uint32), hcaObjects: optional(uint32) }));

export const ResourcesSchema = builtOnFirstUse(() => object({
  devices: optional(v.array(DeviceCgroupSchema)),
  memory: optional(MemorySchema),
  cpu: optional(CpuSchema),
  pids: optional(object({ limit: int64 })),
  blockIO: optional(BlockIoSchema),
  hugepageLimits: optional(v.array(HugepageLimitSchema)),
  network: optional(NetworkSchema),
  rdma: optional(record(RdmaSchema)),
  unified: optional(stringMap), // cgroup v2 file → value
}));

// ── linux.seccomp (config-linux.json, defs-linux.json) ─────────────────────────────────

export const SECCOMP_ACTIONS = [
  "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO",
  "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
] as const;

export const SECCOMP_ARCHITECTURES = [
  "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64",
  "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64",
  "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32",
  "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X",
  "SCMP_ARCH_SH", "SCMP_ARCH_SHEB", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",
] as const;

export const SECCOMP_FLAGS = [
  "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
  "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
] as const;

export const SECCOMP_OPERATORS = [
  "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
  "SCMP_CMP_MASKED_EQ",
] as const;

export const SyscallArgSchema = builtOnFirstUse(() => object({
  index: uint32, // 0..5: validate.ts
  value: uint64,
  valueTwo: optional(uint64),
  op: v.picklist(SECCOMP_OPERATORS),
}));

export const SyscallSchema = builtOnFirstUse(() => object({
  names: v.pipe(strings, v.minLength(1)),
  action: v.picklist(SECCOMP_ACTIONS),
  errnoRet: optional(uint32),
  args: optional(v.array(SyscallArgSchema)),
}));

export const SeccompSchema = builtOnFirstUse(() => object({
  defaultAction: v.picklist(SECCOMP_ACTIONS),
  defaultErrnoRet: optional(uint32),
  architectures: optional(v.array(v.picklist(SECCOMP_ARCHITECTURES))),
  flags: optional(v.array(v.picklist(SECCOMP_FLAGS))),
  listenerPath: optional(v.string()),
  listenerMetadata: optional(v.string()),
  syscalls: optional(v.array(SyscallSchema)),
}));

// ── linux (config-linux.json) ──────────────────────────────────────────────────────────

export const NAMESPACE_TYPES = ["mount", "pid", "network", "uts", "ipc", "user", "cgroup", "time"] as const;

export const NamespaceSchema = object({
  type: v.picklist(NAMESPACE_TYPES),
  path: optional(v.string()),
});

export const DeviceSchema = builtOnFirstUse(() => object({
  type: v.pipe(v.string(), v.regex(/^[cbup]$/)),
  path: v.string(),
  fileMode: optional(fileMode),
  major: optional(int64),
  minor: optional(int64),
  uid: optional(uint32),
  gid: optional(uint32),
}));

const timeOffset = () => object({ secs: optional(int64), nanosecs: optional(uint32) });

export const IntelRdtSchema = builtOnFirstUse(() => object({
  closID: optional(v.string()),
  schemata: optional(strings),
  l3CacheSchema: optional(v.string()),
  memBwSchema: optional(v.pipe(v.string(), v.regex(/^MB:[^\n]*$/))),
  enableMonitoring: optional(v.boolean()),
}));

export const MemoryPolicySchema = builtOnFirstUse(() => object({
  mode: optional(v.picklist([
    "MPOL_DEFAULT", "MPOL_BIND", "MPOL_INTERLEAVE", "MPOL_WEIGHTED_INTERLEAVE", "MPOL_PREFERRED",
    "MPOL_PREFERRED_MANY", "MPOL_LOCAL",
  ])),
  nodes: optional(v.string()),
  flags: optional(v.array(v.picklist(["MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES", "MPOL_F_STATIC_NODES"]))),
}));

export const LinuxSchema = object({
  namespaces: optional(v.array(NamespaceSchema)),
  uidMappings: optional(v.array(IdMappingSchema)),
  gidMappings: optional(v.array(IdMappingSchema)),
  timeOffsets: optional(builtOnFirstUse(() => object({ boottime: optional(timeOffset()), monotonic: optional(timeOffset()) }))),
  devices: optional(v.array(DeviceSchema)),
  netDevices: optional(builtOnFirstUse(() => record(object({ name: optional(v.string()) })))), // host name → in container
  cgroupsPath: optional(v.string()),
  resources: optional(ResourcesSchema),
  intelRdt: optional(IntelRdtSchema),
  sysctl: optional(stringMap),
  seccomp: optional(SeccompSchema),
  // the spec lists the first four; runc (specconv mountPropagationMapping) and crun take the recursive forms too
  rootfsPropagation: optional(v.picklist(["private", "shared", "slave", "unbindable", "rprivate", "rshared", "rslave", "runbindable"])),
  maskedPaths: optional(strings),
  readonlyPaths: optional(strings),
  mountLabel: optional(v.string()),
  personality: optional(builtOnFirstUse(() => object({ domain: optional(v.picklist(["LINUX", "LINUX32"])), flags: optional(strings) }))),
  memoryPolicy: optional(MemoryPolicySchema),
});

// ── config.json (config-schema.json) ───────────────────────────────────────────────────

export const SpecSchema = object({
  ociVersion: v.string(), // SemVer: validate.ts
  process: optional(ProcessSchema),
  root: optional(object({ path: v.string(), readonly: optional(v.boolean()) })), // REQUIRED on Linux: validate.ts
  hostname: optional(v.string()),
  domainname: optional(v.string()),
  mounts: optional(v.array(MountSchema)),
  hooks: optional(HooksSchema),
  annotations: optional(stringMap),
  linux: optional(LinuxSchema),
  // Sections of other platforms: checked for shape (so a broken one is reported), then ignored.
  ...OtherPlatformSchemas,
});
