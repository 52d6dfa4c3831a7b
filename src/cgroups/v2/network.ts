// cgroup v2 has no net_cls/net_prio: the settings are reported and ignored (use eBPF instead).
import type { Controller } from "../controller.ts";

export const network: Controller = {
  name: "network",
  alwaysAvailable: true,
  isSet: (r) => r.network !== undefined && (r.network.classID !== undefined || (r.network.priorities?.length ?? 0) > 0),
  apply(_dir, r, context) {
    if (this.isSet(r)) context.warn("linux.resources.network (net_cls, net_prio) is not supported on cgroup v2; ignored");
  },
};
