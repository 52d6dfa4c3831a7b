// cgroup v2 cpuset: cpuset.cpus and cpuset.mems (empty means "the parent's", unlike v1).
import { applyCpuset, isCpusetSet } from "../common.ts";
import type { Controller } from "../controller.ts";
import { hasCgroupFile, parseCpuList, readCgroupFile } from "../files.ts";

export const cpuset: Controller = {
  name: "cpuset",
  isSet: isCpusetSet,
  apply: applyCpuset,
  stats(dir, stats) {
    if (hasCgroupFile(dir, "cpuset.cpus.effective")) stats.cpuset.cpus = parseCpuList(readCgroupFile(dir, "cpuset.cpus.effective"));
    if (hasCgroupFile(dir, "cpuset.mems.effective")) stats.cpuset.mems = parseCpuList(readCgroupFile(dir, "cpuset.mems.effective"));
  },
};
