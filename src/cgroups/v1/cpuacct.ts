// cgroup v1 cpuacct: usage statistics only (runc libcontainer/cgroups/fs/cpuacct.go).
import type { Controller } from "../controller.ts";
import { hasCgroupFile, readCgroupFile, readFlatKeyed, readNumber } from "../files.ts";

const NANOSECONDS_PER_TICK = 1e9 / 100; // cpuacct.stat counts USER_HZ (100) ticks

const numbers = (text: string) => text.trim().split(/\s+/).filter(Boolean).map(Number);

export const cpuacct: Controller = {
  name: "cpuacct",
  isSet: () => false,
  apply() {},
  stats(dir, stats) {
    const ticks = readFlatKeyed(dir, "cpuacct.stat");
    const usage = stats.cpu.usage;
    usage.total = readNumber(dir, "cpuacct.usage");
    usage.percpu = numbers(readCgroupFile(dir, "cpuacct.usage_percpu"));
    usage.kernel = (ticks.system ?? 0) * NANOSECONDS_PER_TICK;
    usage.user = (ticks.user ?? 0) * NANOSECONDS_PER_TICK;
    if (hasCgroupFile(dir, "cpuacct.usage_all")) { // "cpu user system" lines after a header
      const rows = readCgroupFile(dir, "cpuacct.usage_all").trim().split("\n").slice(1).map(numbers);
      usage.percpu_user = rows.map((row) => row[1]!);
      usage.percpu_kernel = rows.map((row) => row[2]!);
    }
  },
};
