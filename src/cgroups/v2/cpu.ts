// cgroup v2 cpu: cpu.weight (from shares), cpu.max (quota/period), cpu.max.burst, cpu.idle
// (runc libcontainer/cgroups/fs2/cpu.go). Realtime settings have no v2 file: an error, as runc.
import { isCpuSet } from "../common.ts";
import type { Controller } from "../controller.ts";
import { cpuMax, cpuSharesToWeight } from "../convert.ts";
import { CgroupError, readFlatKeyed, writeCgroupFile, writeOrDefer } from "../files.ts";

const F = "linux.resources.cpu";

export const cpu: Controller = {
  name: "cpu",
  isSet: isCpuSet,
  apply(dir, r) {
    const c = r.cpu;
    if (!c) return;
    if (c.realtimePeriod || c.realtimeRuntime)
      throw new CgroupError("realtime scheduling (realtimePeriod, realtimeRuntime) is not supported on cgroup v2",
        `${F}.${c.realtimePeriod ? "realtimePeriod" : "realtimeRuntime"}`);
    if (c.shares) writeCgroupFile(dir, "cpu.weight", String(cpuSharesToWeight(c.shares)), `${F}.shares`);
    if (c.idle !== undefined) writeCgroupFile(dir, "cpu.idle", String(c.idle), `${F}.idle`);
    const max = cpuMax(c.quota, c.period);
    // a burst above the current quota is refused until the new quota is in: retry after it
    const burstLater = c.burst !== undefined &&
      !writeOrDefer(dir, "cpu.max.burst", String(c.burst), `${F}.burst`, max !== undefined);
    if (max !== undefined) {
      writeCgroupFile(dir, "cpu.max", max, c.quota ? `${F}.quota` : `${F}.period`);
      if (burstLater) writeCgroupFile(dir, "cpu.max.burst", String(c.burst), `${F}.burst`);
    }
  },
  stats(dir, stats) {
    const s = readFlatKeyed(dir, "cpu.stat");
    const usage = stats.cpu.usage;
    usage.total = (s.usage_usec ?? 0) * 1000;
    usage.user = (s.user_usec ?? 0) * 1000;
    usage.kernel = (s.system_usec ?? 0) * 1000;
    if (s.nr_periods !== undefined)
      stats.cpu.throttling = { periods: s.nr_periods, throttledPeriods: s.nr_throttled, throttledTime: (s.throttled_usec ?? 0) * 1000 };
  },
};
