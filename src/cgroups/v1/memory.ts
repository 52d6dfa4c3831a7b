// cgroup v1 memory: memory.limit_in_bytes, memory.memsw.limit_in_bytes (memory + swap),
// soft limit, kmem.tcp, oom_control, swappiness (runc libcontainer/cgroups/fs/memory.go).
import { isMemorySet } from "../common.ts";
import type { Controller } from "../controller.ts";
import { CgroupError, errnoOf, hasCgroupFile, readCgroupFile, readFlatKeyed, readNumber, writeCgroupFile } from "../files.ts";
import type { MemoryEntry } from "../types.ts";

const F = "linux.resources.memory";
const LIMIT = "memory.limit_in_bytes", SWAP = "memory.memsw.limit_in_bytes";

function checkBeforeUpdate(dir: string, limit: number) {
  const usage = readNumber(dir, "memory.usage_in_bytes");
  if (usage >= limit)
    throw new CgroupError(`rejecting memory limit ${limit} below current usage ${usage}`, `${F}.limit`, LIMIT);
}

function entry(dir: string, prefix: string): MemoryEntry {
  if (!hasCgroupFile(dir, `${prefix}.usage_in_bytes`)) return { limit: 0, failcnt: 0 };
  return {
    usage: readNumber(dir, `${prefix}.usage_in_bytes`),
    max: readNumber(dir, `${prefix}.max_usage_in_bytes`),
    failcnt: readNumber(dir, `${prefix}.failcnt`),
    limit: readNumber(dir, `${prefix}.limit_in_bytes`),
  };
}

export const memory: Controller = {
  name: "memory",
  isSet: isMemorySet,
  apply(dir, r, context) {
    const m = r.memory;
    if (!m) return;
    const limit = m.limit ?? 0;
    let swap = m.swap ?? 0;
    if (m.checkBeforeUpdate && limit > 0) checkBeforeUpdate(dir, limit);
    // unlimited memory with unset swap: unlimited swap too, if the kernel accounts swap
    if (limit === -1 && swap === 0 && hasCgroupFile(dir, SWAP)) swap = -1;
    const setLimit = () => {
      if (limit === 0) return;
      try {
        writeCgroupFile(dir, LIMIT, String(limit), `${F}.limit`);
      } catch (e) {
        if (errnoOf((e as Error).cause) !== 16) throw e; // EBUSY: below current usage
        throw new CgroupError(`unable to set memory limit to ${limit} (current usage: ${readNumber(dir, "memory.usage_in_bytes")}, ` +
          `peak usage: ${readNumber(dir, "memory.max_usage_in_bytes")})`, `${F}.limit`, LIMIT, { cause: e });
      }
    };
    const setSwap = () => { if (swap !== 0) writeCgroupFile(dir, SWAP, String(swap), `${F}.swap`); };
    // memsw must stay >= limit at every step: raise swap first when growing, memory first when shrinking
    if (limit !== 0 && swap !== 0 && (swap === -1 || readNumber(dir, LIMIT) < swap)) { setSwap(); setLimit(); }
    else { setLimit(); setSwap(); }
    if (m.kernel !== undefined && m.kernel !== 0)
      context.warn("linux.resources.memory.kernel is deprecated and ignored (as runc does)");
    if (m.kernelTCP) writeCgroupFile(dir, "memory.kmem.tcp.limit_in_bytes", String(m.kernelTCP), `${F}.kernelTCP`);
    if (m.reservation) writeCgroupFile(dir, "memory.soft_limit_in_bytes", String(m.reservation), `${F}.reservation`);
    if (m.disableOOMKiller) writeCgroupFile(dir, "memory.oom_control", "1", `${F}.disableOOMKiller`);
    if (m.swappiness !== undefined && m.swappiness !== -1) {
      if (m.swappiness < 0 || m.swappiness > 100)
        throw new CgroupError(`invalid memory swappiness value: ${m.swappiness} (valid range is 0-100)`, `${F}.swappiness`);
      writeCgroupFile(dir, "memory.swappiness", String(m.swappiness), `${F}.swappiness`);
    }
  },
  stats(dir, stats) {
    const raw = readFlatKeyed(dir, "memory.stat");
    stats.memory = {
      ...(raw.cache ? { cache: raw.cache } : {}),
      usage: entry(dir, "memory"),
      swap: entry(dir, "memory.memsw"),
      kernel: entry(dir, "memory.kmem"),
      kernelTCP: entry(dir, "memory.kmem.tcp"),
      raw,
    };
  },
};

/** OOM kills so far: memory.oom_control's "oom_kill" line (Linux 4.13+). */
export function v1OomKills(dir: string): number {
  const text = readCgroupFile(dir, "memory.oom_control");
  return Number(/^oom_kill (\d+)$/m.exec(text)?.[1] ?? 0);
}
