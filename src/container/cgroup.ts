// The container's cgroup as create/exec/delete/update see it: made and limited before init
// runs, removed on failure (the Cleanup stack) and by delete.
import type { CgroupManager } from "../cgroups/manager.ts";
import { CgroupError, cgroupManager, cgroupManagerFromState, containerDeviceRules } from "../cgroups/manager.ts";
import type { Spec } from "../spec/types.ts";
import type { StoredState } from "../state/store.ts";
import { during, RuntimeError } from "../sys/errors.ts";
import * as sys from "../sys/linux.ts";
import { O } from "../sys/linux.ts";
import type { Cleanup, Context } from "./context.ts";

export type CgroupHandle = CgroupManager;

/** The container's cgroup: its paths now, its directories by makeCgroup. Removed on failure from here on. */
export function openCgroup(ctx: Context, spec: Spec, id: string, cleanup: Cleanup): CgroupHandle {
  if (ctx.opts.systemdCgroup) throw new Error("--systemd-cgroup is not supported: minidocker manages cgroupfs directly");
  const manager = cgroupManager({ cgroupsPath: spec.linux?.cgroupsPath, id, warn: (m) => ctx.log.warn(`cgroup: ${m}`) });
  checkExistingCgroup(ctx, manager);
  cleanup.add("cgroup", () => manager.destroy());
  return manager;
}

/**
 * runc's checks of a cgroup that may already exist (libcontainer factory Create), before anything
 * is made: processes inside only warn; a frozen one (or one below a frozen parent) is refused —
 * init would hang in it, uninterruptible, on its first step.
 */
function checkExistingCgroup(ctx: Context, manager: CgroupHandle): void {
  if (manager.exists()) {
    let pids: number[] = [];
    try { pids = manager.pids(); } catch { /* racing a removal: nothing to report */ }
    if (pids.length) ctx.log.warn(`container's cgroup is not empty: ${pids.length} process(es) found`);
  }
  if (manager.joinsFrozen()) throw new RuntimeError("container's cgroup unexpectedly frozen");
}

/**
 * Make the cgroup's directories before any process joins: `dirs` only (the one init is cloned
 * into; the rest can be made while it starts up), or all and the realtime budget. Limits come
 * later (applyCgroupLimits).
 */
export function makeCgroup(manager: CgroupHandle, spec: Spec, dirs?: string[]): void {
  manager.create(dirs);
  if (dirs) return;
  // Realtime bandwidth goes in before init joins (runc fs/cpu.go Apply → SetRtSched): init sets
  // process.scheduler SCHED_FIFO/RR on itself, which a cgroup with rt_runtime_us 0 refuses (EPERM).
  const cpu = spec.linux?.resources?.cpu;
  if (cpu?.realtimePeriod || cpu?.realtimeRuntime) {
    try {
      manager.apply({ cpu: { realtimePeriod: cpu.realtimePeriod, realtimeRuntime: cpu.realtimeRuntime } });
    } catch (e) {
      throw e instanceof CgroupError ? e : during("cgroup", e);
    }
  }
}

/**
 * The ways into the cgroup without a move by pid (that waits for an RCU grace period, 5-16 ms
 * measured): an fd of the cgroup2 directory to clone init into (CLONE_INTO_CGROUP), closed by
 * `close` (idempotent; on failure by `cleanup`)…
 */
export function openCloneTarget(dir: string | undefined, cleanup: Cleanup): { fd: number | undefined; close(): void } {
  let fd = dir === undefined ? -1 : sys.open(dir, O.RDONLY | O.DIRECTORY | O.CLOEXEC);
  const close = () => { if (fd >= 0) sys.close(fd); fd = -1; };
  cleanup.add("cgroup fd", close);
  return { fd: fd >= 0 ? fd : undefined, close };
}

/** …and the v1 "tasks" files, opened for init to move its own thread in (InitPlan.cgroupTaskFds). */
export function openTaskFiles(manager: CgroupHandle): number[] {
  const fds: number[] = [];
  try {
    for (const file of manager.selfJoinFiles()) fds.push(sys.open(file, O.WRONLY | O.CLOEXEC));
  } catch (e) {
    for (const fd of fds) sys.close(fd);
    throw e;
  }
  return fds;
}

/**
 * Write linux.resources once init is in the cgroup and has set itself up, as runc does (its
 * parent calls manager.Set at procHooks/procReady, not before init runs): init is a multi-threaded
 * Bun process, so a pids limit below its thread count (or a tight memory limit) applied earlier
 * would kill it before the container's process ever ran. After execve the threads are gone.
 */
export function applyCgroupLimits(cgroup: CgroupHandle, spec: Spec): void {
  // runc always installs device rules: deny-all, the spec's, then its default allow-list.
  const resources = { ...spec.linux?.resources, devices: containerDeviceRules(spec.linux?.resources?.devices) };
  try {
    cgroup.apply(resources);
  } catch (e) {
    throw e instanceof CgroupError ? e : during("cgroup", e); // a CgroupError already says "cgroup: <field>: …"
  }
}

export const cgroupOf = (state: StoredState): CgroupHandle | undefined =>
  state.cgroupPaths ? cgroupManagerFromState(state.cgroupPaths) : undefined;
