// cgroup v1 cpuset: cpus and mems. A new v1 cpuset cgroup starts EMPTY (no process may join), so
// create() fills each new directory from its parent first (runc fs/cpuset.go ensureParent).
import { applyCpuset, isCpusetSet } from "../common.ts";
import type { Controller } from "../controller.ts";
import { hasCgroupFile, parseCpuList, readCgroupFile, readNumber, writeCgroupFile } from "../files.ts";

export const cpuset: Controller = {
  name: "cpuset",
  isSet: isCpusetSet,
  apply: applyCpuset,
  stats(dir, stats) {
    const flag = (file: string) => (hasCgroupFile(dir, file) ? readNumber(dir, file) : 0);
    stats.cpuset = {
      cpus: parseCpuList(readCgroupFile(dir, "cpuset.cpus")),
      mems: parseCpuList(readCgroupFile(dir, "cpuset.mems")),
      cpu_exclusive: flag("cpuset.cpu_exclusive"),
      mem_hardwall: flag("cpuset.mem_hardwall"),
      mem_exclusive: flag("cpuset.mem_exclusive"),
      memory_migrate: flag("cpuset.memory_migrate"),
      memory_spread_page: flag("cpuset.memory_spread_page"),
      memory_spread_slab: flag("cpuset.memory_spread_slab"),
      memory_pressure: flag("cpuset.memory_pressure"),
      sched_load_balance: flag("cpuset.sched_load_balance"),
      sched_relax_domain_level: flag("cpuset.sched_relax_domain_level"),
    };
  },
};

/**
 * Fill every empty cpuset level on the way to `dir`, top-down, from its parent: a level someone else
 * made (e.g. a pod cgroup made with mkdir) is empty too, and its children can hold no task
 * (ENOSPC) until it has cpus and mems (runc fs/cpuset.go ensureParent does the same).
 */
export function fillEmptyCpusetLevels(dir: string): void {
  const empty: string[] = [];
  for (let d = dir; d.lastIndexOf("/") > 0 && hasCgroupFile(d, "cpuset.cpus"); d = d.slice(0, d.lastIndexOf("/"))) {
    if (readCgroupFile(d, "cpuset.cpus").trim() !== "" && readCgroupFile(d, "cpuset.mems").trim() !== "") break;
    empty.push(d);
  }
  for (const d of empty.reverse()) inheritCpuset(d, d.slice(0, d.lastIndexOf("/")));
}

/** Copy cpus/mems from the parent into a freshly made (empty) cpuset directory. */
export function inheritCpuset(dir: string, parent: string): void {
  for (const file of ["cpuset.cpus", "cpuset.mems"]) {
    if (readCgroupFile(dir, file).trim() === "") writeCgroupFile(dir, file, readCgroupFile(parent, file).trim());
  }
}
