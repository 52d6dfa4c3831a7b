// cgroup v1 net_cls (classid) and net_prio (per-interface priorities).
import type { Controller } from "../controller.ts";
import { writeCgroupFile } from "../files.ts";

export const netCls: Controller = {
  name: "net_cls",
  isSet: (r) => r.network?.classID !== undefined,
  apply(dir, r) {
    if (r.network?.classID !== undefined)
      writeCgroupFile(dir, "net_cls.classid", String(r.network.classID), "linux.resources.network.classID");
  },
};

export const netPrio: Controller = {
  name: "net_prio",
  isSet: (r) => (r.network?.priorities?.length ?? 0) > 0,
  apply(dir, r) {
    r.network?.priorities?.forEach(({ name, priority }, i) =>
      writeCgroupFile(dir, "net_prio.ifpriomap", `${name} ${priority}`, `linux.resources.network.priorities[${i}]`));
  },
};
