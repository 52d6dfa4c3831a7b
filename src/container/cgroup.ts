// The container's cgroup as create/exec/delete/update see it: made and limited before init
// runs, removed on failure (the Cleanup stack) and by delete.
import type { CgroupManager } from "../cgroups/manager.ts";
import { cgroupManager, cgroupManagerFromState, containerDeviceRules } from "../cgroups/manager.ts";
import type { Spec } from "../spec/types.ts";
import type { StoredState } from "../state/store.ts";
import { during } from "../sys/errors.ts";
import type { Cleanup, Context } from "./context.ts";

export type CgroupHandle = CgroupManager;

export function openCgroup(ctx: Context, spec: Spec, id: string, cleanup: Cleanup): CgroupHandle {
  if (ctx.opts.systemdCgroup) throw new Error("--systemd-cgroup is not supported: minidocker manages cgroupfs directly");
  const manager = cgroupManager({ cgroupsPath: spec.linux?.cgroupsPath, id, warn: (m) => ctx.log.warn(`cgroup: ${m}`) });
  manager.create();
  cleanup.add("cgroup", () => manager.destroy());
  // runc always installs device rules: deny-all, the spec's, then its default allow-list.
  const resources = { ...spec.linux?.resources, devices: containerDeviceRules(spec.linux?.resources?.devices) };
  try {
    manager.apply(resources);
  } catch (e) {
    throw during("cgroup", e);
  }
  return manager;
}

export const cgroupOf = (state: StoredState): CgroupHandle | undefined =>
  state.cgroupPaths ? cgroupManagerFromState(state.cgroupPaths) : undefined;
