// Pieces the v1 and v2 controllers share: "is anything set" tests and the writes whose files are
// named alike on both versions.
import { hugepageSizeName } from "./convert.ts";
import { writeCgroupFile } from "./files.ts";
import type { LinuxResources } from "./types.ts";

const anySet = (o: object | undefined) => o !== undefined && Object.values(o).some((v) => v !== undefined);

export const isMemorySet = (r: LinuxResources) => anySet(r.memory);
export const isBlockIOSet = (r: LinuxResources) => anySet(r.blockIO);
export const isCpuSet = ({ cpu: c }: LinuxResources) => c !== undefined &&
  [c.shares, c.quota, c.period, c.burst, c.idle, c.realtimePeriod, c.realtimeRuntime].some((v) => v !== undefined);
export const isCpusetSet = ({ cpu: c }: LinuxResources) => !!c?.cpus || !!c?.mems;
export const isHugetlbSet = (r: LinuxResources) => (r.hugepageLimits?.length ?? 0) > 0;

/** cpuset.cpus / cpuset.mems: same files on v1 and v2. */
export function applyCpuset(dir: string, r: LinuxResources): void {
  if (r.cpu?.cpus) writeCgroupFile(dir, "cpuset.cpus", r.cpu.cpus, "linux.resources.cpu.cpus");
  if (r.cpu?.mems) writeCgroupFile(dir, "cpuset.mems", r.cpu.mems, "linux.resources.cpu.mems");
}

/** hugetlb.<size>.<limitFile>: "limit_in_bytes" on v1, "max" on v2. */
export function applyHugepageLimits(dir: string, r: LinuxResources, limitFile: string): void {
  r.hugepageLimits?.forEach(({ pageSize, limit }, i) => {
    const field = `linux.resources.hugepageLimits[${i}]`;
    writeCgroupFile(dir, `hugetlb.${hugepageSizeName(pageSize, `${field}.pageSize`)}.${limitFile}`, String(limit), `${field}.limit`);
  });
}
