// cgroup v2 memory: memory.max, memory.swap.max (swap alone: runc's v1→v2 conversion), memory.low
// (runc libcontainer/cgroups/fs2/memory.go). v1-only knobs are warned about and ignored.
import { isMemorySet } from "../common.ts";
import type { Controller } from "../controller.ts";
import { limitToV2, memorySwapToV2 } from "../convert.ts";
import { CgroupError, errnoOf, hasCgroupFile, readFlatKeyed, readNumber, writeCgroupFile } from "../files.ts";
import type { MemoryEntry } from "../types.ts";

const F = "linux.resources.memory";
const ENOENT = 2;

function entry(dir: string, prefix: string): MemoryEntry {
  if (!hasCgroupFile(dir, `${prefix}.current`)) return { limit: 0, failcnt: 0 };
  return {
    usage: readNumber(dir, `${prefix}.current`),
    limit: readNumber(dir, `${prefix}.max`),
    failcnt: hasCgroupFile(dir, `${prefix}.events`) ? readFlatKeyed(dir, `${prefix}.events`).max ?? 0 : 0,
  };
}

export const memory: Controller = {
  name: "memory",
  isSet: isMemorySet,
  apply(dir, r, context) {
    const m = r.memory;
    if (!m) return;
    const limit = m.limit ?? 0;
    if (m.checkBeforeUpdate && limit > 0) {
      const usage = readNumber(dir, "memory.current");
      if (usage >= limit)
        throw new CgroupError(`rejecting memory limit ${limit} below current usage ${usage}`, `${F}.limit`, "memory.max");
    }
    const swap = memorySwapToV2(m.swap ?? 0, limit);
    // swap == memory limit means "no swap": 0, which limitToV2 would read as "unset"
    const swapValue = swap === 0 && (m.swap ?? 0) > 0 ? "0" : limitToV2(swap);
    if (swapValue !== undefined) {
      try {
        writeCgroupFile(dir, "memory.swap.max", swapValue, `${F}.swap`);
      } catch (e) {
        // no swap accounting in this kernel: "unlimited" and "none" are what it does anyway
        if (!(errnoOf((e as Error).cause) === ENOENT && (swapValue === "max" || swapValue === "0"))) throw e;
      }
    }
    const max = limitToV2(limit);
    if (max !== undefined) writeCgroupFile(dir, "memory.max", max, `${F}.limit`);
    const low = limitToV2(m.reservation);
    if (low !== undefined) writeCgroupFile(dir, "memory.low", low, `${F}.reservation`);
    if (m.kernel) context.warn(`${F}.kernel is not supported on cgroup v2; ignored`);
    if (m.kernelTCP) context.warn(`${F}.kernelTCP is not supported on cgroup v2; ignored`);
    if (m.swappiness !== undefined && m.swappiness !== -1) context.warn(`${F}.swappiness is not supported on cgroup v2; ignored`);
    if (m.disableOOMKiller) context.warn(`${F}.disableOOMKiller is not supported on cgroup v2; ignored`);
  },
  stats(dir, stats) {
    const raw = readFlatKeyed(dir, "memory.stat");
    const usage = entry(dir, "memory");
    const swap = entry(dir, "memory.swap");
    // v1 reported swap as memory+swap: runc keeps that meaning on v2
    swap.usage = (swap.usage ?? 0) + (usage.usage ?? 0);
    if (swap.limit !== Number.MAX_SAFE_INTEGER) swap.limit += usage.limit;
    stats.memory = {
      ...(raw.file ? { cache: raw.file } : {}),
      usage, swap, kernel: { limit: 0, failcnt: 0 }, kernelTCP: { limit: 0, failcnt: 0 }, raw,
    };
  },
};

/** OOM kills so far: memory.events "oom_kill". */
export const v2OomKills = (dir: string): number =>
  hasCgroupFile(dir, "memory.events") ? readFlatKeyed(dir, "memory.events").oom_kill ?? 0 : 0;
