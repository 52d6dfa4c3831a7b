// The OCI runtime-spec `linux.resources` shapes this module reads (config-linux.json), kept local so
// cgroups/ does not wait on spec/types.ts; the field names are the spec's JSON keys.
// Also the `runc events --stats` "data" shape (runc `types/events.go`), which stats() returns.

export interface LinuxDeviceCgroup {
  allow: boolean;
  type?: string;            // "a" | "c" | "b"; absent = "a"
  major?: number;           // absent = wildcard
  minor?: number;
  access?: string;          // subset of "rwm"; absent = "rwm"
}

export interface LinuxMemory {
  limit?: number;
  reservation?: number;
  swap?: number;
  kernel?: number;
  kernelTCP?: number;
  swappiness?: number;
  disableOOMKiller?: boolean;
  useHierarchy?: boolean;
  checkBeforeUpdate?: boolean;
}

export interface LinuxCPU {
  shares?: number;
  quota?: number;
  burst?: number;
  period?: number;
  realtimeRuntime?: number;
  realtimePeriod?: number;
  cpus?: string;
  mems?: string;
  idle?: number;
}

export interface LinuxBlockIODevice { major: number; minor: number }
export interface LinuxWeightDevice extends LinuxBlockIODevice { weight?: number; leafWeight?: number }
export interface LinuxThrottleDevice extends LinuxBlockIODevice { rate: number }

export interface LinuxBlockIO {
  weight?: number;
  leafWeight?: number;
  weightDevice?: LinuxWeightDevice[];
  throttleReadBpsDevice?: LinuxThrottleDevice[];
  throttleWriteBpsDevice?: LinuxThrottleDevice[];
  throttleReadIOPSDevice?: LinuxThrottleDevice[];
  throttleWriteIOPSDevice?: LinuxThrottleDevice[];
}

export interface LinuxResources {
  devices?: LinuxDeviceCgroup[];
  memory?: LinuxMemory;
  cpu?: LinuxCPU;
  pids?: { limit: number };
  blockIO?: LinuxBlockIO;
  hugepageLimits?: Array<{ pageSize: string; limit: number }>;
  network?: { classID?: number; priorities?: Array<{ name: string; priority: number }> };
  rdma?: Record<string, { hcaHandles?: number; hcaObjects?: number }>;
  unified?: Record<string, string>;
}

// ---- runc events --stats "data" (runc types/events.go); fields Go marks omitempty are optional ----

export interface CpuUsage {
  total?: number; percpu?: number[]; percpu_kernel?: number[]; percpu_user?: number[];
  kernel: number; user: number;
}
export interface Throttling { periods?: number; throttledPeriods?: number; throttledTime?: number }
export interface MemoryEntry { limit: number; usage?: number; max?: number; failcnt: number }
export interface BlkioEntry { major?: number; minor?: number; op?: string; value?: number }

export interface Stats {
  cpu: { usage: CpuUsage; throttling: Throttling };
  cpuset: {
    cpus?: number[]; cpu_exclusive: number; mems?: number[]; mem_hardwall: number; mem_exclusive: number;
    memory_migrate: number; memory_spread_page: number; memory_spread_slab: number; memory_pressure: number;
    sched_load_balance: number; sched_relax_domain_level: number;
  };
  memory: {
    cache?: number; usage: MemoryEntry; swap: MemoryEntry; kernel: MemoryEntry; kernelTCP: MemoryEntry;
    raw?: Record<string, number>;
  };
  pids: { current?: number; limit?: number };
  blkio: {
    ioServiceBytesRecursive?: BlkioEntry[]; ioServicedRecursive?: BlkioEntry[]; ioQueueRecursive?: BlkioEntry[];
    ioServiceTimeRecursive?: BlkioEntry[]; ioWaitTimeRecursive?: BlkioEntry[]; ioMergedRecursive?: BlkioEntry[];
    ioTimeRecursive?: BlkioEntry[]; sectorsRecursive?: BlkioEntry[];
  };
  hugetlb: Record<string, { usage?: number; max?: number; failcnt: number }>;
}

export const emptyStats = (): Stats => ({
  cpu: { usage: { kernel: 0, user: 0 }, throttling: {} },
  cpuset: {
    cpu_exclusive: 0, mem_hardwall: 0, mem_exclusive: 0, memory_migrate: 0, memory_spread_page: 0,
    memory_spread_slab: 0, memory_pressure: 0, sched_load_balance: 0, sched_relax_domain_level: 0,
  },
  memory: {
    usage: { limit: 0, failcnt: 0 }, swap: { limit: 0, failcnt: 0 },
    kernel: { limit: 0, failcnt: 0 }, kernelTCP: { limit: 0, failcnt: 0 },
  },
  pids: {},
  blkio: {},
  hugetlb: {},
});
