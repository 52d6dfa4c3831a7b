// Types of a parsed config.json, inferred from schema.ts. Type-only: importing this file loads
// neither valibot nor the schemas, so `init` can use it.
import type { InferOutput } from "valibot";
import type * as schema from "./schema.ts";

export type Spec = InferOutput<typeof schema.SpecSchema>;
export type Process = InferOutput<typeof schema.ProcessSchema>;
export type User = InferOutput<typeof schema.UserSchema>;
export type Capabilities = InferOutput<typeof schema.CapabilitiesSchema>;
export type Rlimit = InferOutput<typeof schema.RlimitSchema>;
export type Scheduler = InferOutput<typeof schema.SchedulerSchema>;
export type IoPriority = InferOutput<typeof schema.IoPrioritySchema>;
export type Root = NonNullable<Spec["root"]>;
export type Mount = InferOutput<typeof schema.MountSchema>;
export type IdMapping = InferOutput<typeof schema.IdMappingSchema>;
export type Hook = InferOutput<typeof schema.HookSchema>;
export type Hooks = InferOutput<typeof schema.HooksSchema>;
export type HookName = keyof Hooks;

export type Linux = InferOutput<typeof schema.LinuxSchema>;
export type LinuxNamespace = InferOutput<typeof schema.NamespaceSchema>;
export type NamespaceType = LinuxNamespace["type"];
export type LinuxDevice = InferOutput<typeof schema.DeviceSchema>;
export type LinuxTimeOffsets = NonNullable<Linux["timeOffsets"]>;
export type LinuxIntelRdt = InferOutput<typeof schema.IntelRdtSchema>;
export type LinuxMemoryPolicy = InferOutput<typeof schema.MemoryPolicySchema>;
export type LinuxPersonality = NonNullable<Linux["personality"]>;

export type LinuxResources = InferOutput<typeof schema.ResourcesSchema>;
export type LinuxDeviceCgroup = InferOutput<typeof schema.DeviceCgroupSchema>;
export type LinuxMemory = InferOutput<typeof schema.MemorySchema>;
export type LinuxCpu = InferOutput<typeof schema.CpuSchema>;
export type LinuxPids = NonNullable<LinuxResources["pids"]>;
export type LinuxBlockIo = InferOutput<typeof schema.BlockIoSchema>;
export type LinuxWeightDevice = InferOutput<typeof schema.WeightDeviceSchema>;
export type LinuxThrottleDevice = InferOutput<typeof schema.ThrottleDeviceSchema>;
export type LinuxHugepageLimit = InferOutput<typeof schema.HugepageLimitSchema>;
export type LinuxNetwork = InferOutput<typeof schema.NetworkSchema>;
export type LinuxRdma = InferOutput<typeof schema.RdmaSchema>;

export type LinuxSeccomp = InferOutput<typeof schema.SeccompSchema>;
export type LinuxSyscall = InferOutput<typeof schema.SyscallSchema>;
export type LinuxSeccompArg = InferOutput<typeof schema.SyscallArgSchema>;
export type SeccompAction = LinuxSyscall["action"];
export type SeccompOperator = LinuxSeccompArg["op"];
export type SeccompArchitecture = NonNullable<LinuxSeccomp["architectures"]>[number];
