// Unit conversions between the spec's (cgroup v1 flavoured) values and cgroup v2 files, as runc's
// libcontainer/cgroups/utils.go does them, so `minidocker` and runc write the same numbers.
import { CgroupError } from "./files.ts";

/** cpu.shares [2, 262144] → cpu.weight [1, 10000]; 0 = unset. */
export const cpuSharesToWeight = (shares: number): number =>
  shares === 0 ? 0 : 1 + Math.floor(((shares - 2) * 9999) / 262142);

/** blkio.weight [10, 1000] → io.weight [1, 10000]; 0 = unset. */
export const blkioWeightToIoWeight = (weight: number): number =>
  weight === 0 ? 0 : 1 + Math.floor(((weight - 10) * 9999) / 990);

/**
 * v1's memory.memsw (memory + swap) → v2's memory.swap.max (swap alone). 0 = unset, -1 = max.
 * An unlimited memory with unset swap means "both unlimited" (v1 compatibility).
 */
export function memorySwapToV2(swap: number, memory: number): number {
  if (memory === -1 && swap === 0) return -1;
  if (swap === -1 || swap === 0) return swap;
  if (memory === 0 || memory === -1)
    throw new CgroupError("unable to set swap limit without memory limit", "linux.resources.memory.swap");
  if (memory < 0) throw new CgroupError(`invalid memory value: ${memory}`, "linux.resources.memory.limit");
  if (swap < memory)
    throw new CgroupError("memory+swap limit should be >= memory limit", "linux.resources.memory.swap");
  return swap - memory;
}

/** A v2 limit: 0 = leave alone (undefined), negative = "max", else the number. */
export const limitToV2 = (value: number | undefined): string | undefined =>
  value === undefined || value === 0 ? undefined : value < 0 ? "max" : String(value);

/** quota/period → cpu.max ("max 100000", "50000 100000", "50000" keeps the period). */
export function cpuMax(quota: number | undefined, period: number | undefined): string | undefined {
  if (!quota && !period) return undefined;
  let value = quota && quota > 0 ? String(quota) : "max";
  if (period) value += ` ${period}`;
  return value;
}

/** "2MB" → "2MB" as the kernel names hugetlb files; validates the spec's pattern. */
export function hugepageSizeName(pageSize: string, field: string): string {
  if (!/^[1-9][0-9]*[KMG]B$/.test(pageSize))
    throw new CgroupError(`bad page size ${JSON.stringify(pageSize)} (want e.g. "2MB")`, field);
  return pageSize;
}
