// cgroup v1 cpu: shares, CFS quota/period/burst, idle, realtime runtime/period
// (runc libcontainer/cgroups/fs/cpu.go), and cpu.stat throttling.
import { isCpuSet } from "../common.ts";
import type { Controller } from "../controller.ts";
import { CgroupError, readFlatKeyed, readNumber, writeCgroupFile, writeOrDefer } from "../files.ts";
import type { LinuxResources } from "../types.ts";

const F = "linux.resources.cpu";

/**
 * Give cgroups we made above the container's (e.g. "/a" and "/a/b" for cgroupsPath "/a/b/c") the
 * realtime budget the container asks for, top-down: a new cgroup has rt_runtime_us 0, and the kernel
 * refuses (EINVAL) a child whose budget exceeds its parent's. They hold only our chain, so the
 * child's own values suffice. Cgroups we did not make are left as they are (as runc does).
 */
export function reserveRealtimeBudget(madeAncestors: readonly string[], r: LinuxResources): void {
  const c = r.cpu;
  if (!c?.realtimeRuntime || c.realtimeRuntime < 0) return;
  for (const dir of madeAncestors) {
    if (c.realtimePeriod) writeCgroupFile(dir, "cpu.rt_period_us", String(c.realtimePeriod), `${F}.realtimePeriod`);
    writeCgroupFile(dir, "cpu.rt_runtime_us", String(c.realtimeRuntime), `${F}.realtimeRuntime`);
  }
}

export const cpu: Controller = {
  name: "cpu",
  isSet: isCpuSet,
  apply(dir, r) {
    const c = r.cpu;
    if (!c) return;
    if (c.shares) {
      writeCgroupFile(dir, "cpu.shares", String(c.shares), `${F}.shares`);
      const actual = readNumber(dir, "cpu.shares"); // the kernel clamps silently; runc reports it
      if (c.shares > actual) throw new CgroupError(`the maximum allowed cpu-shares is ${actual}`, `${F}.shares`, "cpu.shares");
      if (c.shares < actual) throw new CgroupError(`the minimum allowed cpu-shares is ${actual}`, `${F}.shares`, "cpu.shares");
    }
    // A smaller period or larger burst can be refused (EINVAL) until the new quota is in: retry after it.
    const quotaComing = c.quota !== undefined && c.quota !== 0;
    const periodLater = c.period ? !writeOrDefer(dir, "cpu.cfs_period_us", String(c.period), `${F}.period`, quotaComing) : false;
    const burstLater = c.burst !== undefined
      ? !writeOrDefer(dir, "cpu.cfs_burst_us", String(c.burst), `${F}.burst`, quotaComing) : false;
    if (quotaComing) {
      writeCgroupFile(dir, "cpu.cfs_quota_us", String(c.quota), `${F}.quota`);
      if (periodLater) writeCgroupFile(dir, "cpu.cfs_period_us", String(c.period), `${F}.period`);
      if (burstLater) writeCgroupFile(dir, "cpu.cfs_burst_us", String(c.burst), `${F}.burst`);
    }
    if (c.idle !== undefined) writeCgroupFile(dir, "cpu.idle", String(c.idle), `${F}.idle`);
    if (c.realtimePeriod) writeCgroupFile(dir, "cpu.rt_period_us", String(c.realtimePeriod), `${F}.realtimePeriod`);
    if (c.realtimeRuntime) writeCgroupFile(dir, "cpu.rt_runtime_us", String(c.realtimeRuntime), `${F}.realtimeRuntime`);
  },
  stats(dir, stats) {
    const s = readFlatKeyed(dir, "cpu.stat");
    stats.cpu.throttling = { periods: s.nr_periods, throttledPeriods: s.nr_throttled, throttledTime: s.throttled_time };
  },
};
