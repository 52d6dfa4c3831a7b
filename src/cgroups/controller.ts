// The shape of one cgroup controller (one file per controller and version under v1/ and v2/).
import type { LinuxResources, Stats } from "./types.ts";

export interface ApplyContext {
  /** Non-fatal notes (a setting this cgroup version cannot express), shown like runc's warnings. */
  warn(message: string): void;
}

export interface Controller {
  /** The kernel's controller name: the v1 hierarchy or the v2 `cgroup.controllers` word. */
  readonly name: string;
  /** Not a kernel controller (v2 device filter, unified, …): never "missing". */
  readonly alwaysAvailable?: boolean;
  /** Whether `apply` would write anything for these resources (a missing controller is then an error). */
  isSet(resources: LinuxResources): boolean;
  /** Write only what is set; errors name the spec field and the file. */
  apply(dir: string, resources: LinuxResources, context: ApplyContext): void;
  /** Fill this controller's part of `runc events --stats` data. */
  stats?(dir: string, stats: Stats): void;
}


/** The spec field that needs a controller, for "controller missing" errors. */
export const FIELD_OF_CONTROLLER: Record<string, string> = {
  memory: "linux.resources.memory", cpu: "linux.resources.cpu", cpuset: "linux.resources.cpu.cpus/mems",
  pids: "linux.resources.pids", blkio: "linux.resources.blockIO", io: "linux.resources.blockIO",
  hugetlb: "linux.resources.hugepageLimits", rdma: "linux.resources.rdma", devices: "linux.resources.devices",
  net_cls: "linux.resources.network.classID", net_prio: "linux.resources.network.priorities",
};
