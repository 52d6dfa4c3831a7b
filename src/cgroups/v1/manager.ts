// cgroup v1 (and hybrid hosts): one directory per mounted hierarchy (/sys/fs/cgroup/<controller>),
// like runc's libcontainer/cgroups/fs driver.
import type { CgroupManager, CgroupManagerOptions } from "../api.ts";
import { defaultWarn } from "../api.ts";
import { FIELD_OF_CONTROLLER, type Controller } from "../controller.ts";
import { CgroupError, errnoOf, hasCgroupFile, readCgroupFile, writeCgroupFile } from "../files.ts";
import { cgroup2Mounts, cgroupV1Hierarchies, relativeToMountRoot } from "../mounts.ts";
import { DEFAULT_CGROUP_ROOT, innerCgroupPath, joinCgroupPath, parentCgroupPath, parseProcCgroup } from "../paths.ts";
import { isDirectory, nearestExistingDir, removeCgroupTree, signalPids, subtreePids, waitFor } from "../tree.ts";
import { emptyStats, type LinuxResources, type Stats } from "../types.ts";
import { exists, mkdir, readText, rmdir } from "../../sys/fs.ts";
import { blkio } from "./blkio.ts";
import { cpu, reserveRealtimeBudget } from "./cpu.ts";
import { cpuacct } from "./cpuacct.ts";
import { cpuset, fillEmptyCpusetLevels, inheritCpuset } from "./cpuset.ts";
import { devices } from "./devices.ts";
import { hugetlb } from "./hugetlb.ts";
import { memory, v1OomKills } from "./memory.ts";
import { netCls, netPrio } from "./network.ts";
import { pids } from "./pids.ts";
import { rdma } from "./rdma.ts";
import { SysError } from "../../sys/errors.ts";

/** Order matters: cpuset before the rest (tasks can't join an empty cpuset), devices early. */
export const V1_CONTROLLERS: readonly Controller[] = [cpuset, devices, memory, cpu, cpuacct, pids, blkio, hugetlb, rdma, netCls, netPrio];
const KNOWN = new Set([...V1_CONTROLLERS.map((c) => c.name), "freezer", "perf_event", "misc"]);

export interface V1Mount { mountPoint: string; mountRoot: string }

/**
 * The v1 hierarchies mounted directly under `root`, from mountinfo: controller → its mount
 * ("cpu,cpuacct" serves both). runc joins "name=systemd" and a hybrid host's "unified" too (no
 * controller to apply): the container's /proc/self/cgroup and its /sys/fs/cgroup/systemd bind
 * then show its own cgroup there, not the host's root.
 */
export function v1Hierarchies(root: string, mountinfo: string): Map<string, V1Mount> {
  const out = new Map<string, V1Mount>();
  const underRoot = (mountPoint: string) => parentCgroupPath(mountPoint) === root;
  for (const h of cgroupV1Hierarchies(mountinfo)) {
    if (!underRoot(h.mountPoint)) continue;
    for (const name of h.subsystems)
      if (KNOWN.has(name) || name === "name=systemd") out.set(name, { mountPoint: h.mountPoint, mountRoot: h.root });
  }
  const unified = cgroup2Mounts(mountinfo).find((m) => m.mountPoint === `${root}/unified`);
  if (unified) out.set("unified", { mountPoint: unified.mountPoint, mountRoot: unified.root });
  return out;
}

/**
 * mkdir -p `dir` below an existing cgroup only (its deepest existing ancestor has cgroup.procs):
 * never a directory on the tmpfs that holds the hierarchies. `onMade` hears of each level it made.
 */
function mkdirInCgroup(dir: string, onMade: (made: string) => void): void {
  const missing: string[] = [];
  let d = dir;
  for (; !exists(d); d = d.slice(0, d.lastIndexOf("/"))) missing.unshift(d);
  if (missing.length && !exists(`${d}/cgroup.procs`))
    throw new CgroupError(`mkdir "${missing[0]}": "${d}" is not a cgroup directory (no hierarchy mounted there)`);
  for (const m of missing) {
    try { mkdir(m); } catch (e) {
      if (errnoOf(e) !== EEXIST) throw new CgroupError(new SysError("mkdir", errnoOf(e), m).message, "", "", { cause: e });
      continue;
    }
    onMade(m);
  }
}

const EEXIST = 17;

export class CgroupV1Manager implements CgroupManager {
  readonly version = 1 as const;
  readonly path: string;
  readonly paths: Record<string, string>;
  private readonly warn: (m: string) => void;
  /** cpu-hierarchy cgroups create() made above ours, top-down: they need a realtime budget before ours can have one. */
  private madeCpuAncestors: string[] = [];

  /** `dirs`: controller → absolute directory. */
  constructor(dirs: Record<string, string>, path: string, warn = defaultWarn) {
    this.paths = dirs;
    this.path = path;
    this.warn = warn;
  }

  static open(options: CgroupManagerOptions): CgroupV1Manager {
    const root = options.root ?? DEFAULT_CGROUP_ROOT;
    const inner = innerCgroupPath(options.cgroupsPath, options.id);
    const own = inner.startsWith("/") ? undefined
      : parseProcCgroup(options.procSelfCgroup ?? readText("/proc/self/cgroup"));
    const dirs: Record<string, string> = {};
    let first = "";
    for (const [controller, { mountPoint, mountRoot }] of v1Hierarchies(root, options.mountinfo ?? readText("/proc/self/mountinfo"))) {
      // relative: below our own cgroup in this hierarchy, as seen through its mount (runc GetOwnCgroupPath)
      const path = own ? joinCgroupPath("/", relativeToMountRoot(mountRoot, own.get(controller === "unified" ? "" : controller) ?? "/"), inner) : inner;
      dirs[controller] = `${mountPoint}${path}`;
      first ||= path;
    }
    if (Object.keys(dirs).length === 0) throw new CgroupError(`no cgroup v1 hierarchy mounted under ${root}`);
    return new CgroupV1Manager(dirs, first || inner, options.warn);
  }

  private uniqueDirs(): string[] {
    return [...new Set(Object.values(this.paths))];
  }

  private dirOf(controller: string): string {
    const dir = this.paths[controller];
    if (!dir) throw new CgroupError(`controller "${controller}" is not mounted (needed for ${FIELD_OF_CONTROLLER[controller] ?? controller})`);
    return dir;
  }

  create(dirs?: readonly string[]): void {
    const made: string[] = [];
    try {
      for (const [controller, dir] of Object.entries(this.paths)) {
        if ((dirs && !dirs.includes(dir)) || made.includes(dir) || isDirectory(dir)) continue;
        // mkdir -p, remembering each level we make (and only those) for the undo
        mkdirInCgroup(dir, (d) => {
          made.push(d);
          if (controller === "cpuset") inheritCpuset(d, d.slice(0, d.lastIndexOf("/")));
          if (dir === this.paths.cpu && d !== dir) this.madeCpuAncestors.push(d);
        });
      }
      if (this.paths.cpuset && (!dirs || dirs.includes(this.paths.cpuset))) fillEmptyCpusetLevels(this.paths.cpuset);
    } catch (e) {
      this.madeCpuAncestors = [];
      for (const d of made.reverse()) try { rmdir(d); } catch { /* best effort; the error below matters */ }
      throw e;
    }
  }

  apply(resources: LinuxResources): void {
    const unifiedKey = Object.keys(resources.unified ?? {})[0];
    if (unifiedKey !== undefined)
      throw new CgroupError(`requires cgroup v2 (this host runs cgroup v1): can't write cgroup v2 file "${unifiedKey}"`,
        "linux.resources.unified", unifiedKey);
    const context = { warn: this.warn };
    reserveRealtimeBudget(this.madeCpuAncestors, resources);
    for (const controller of V1_CONTROLLERS) {
      if (!controller.isSet(resources)) continue;
      controller.apply(this.dirOf(controller.name), resources, context);
    }
  }

  addProcess(pid: number): void {
    for (const dir of this.uniqueDirs()) writeCgroupFile(dir, "cgroup.procs", String(pid), `pid ${pid}`);
  }

  cloneIntoDir(): string | undefined { return this.paths.unified; }

  selfJoinFiles(): string[] {
    return this.uniqueDirs().filter((dir) => dir !== this.paths.unified).map((dir) => `${dir}/tasks`);
  }

  private setFreezer(state: "FROZEN" | "THAWED"): void {
    const dir = this.dirOf("freezer");
    // FREEZING can linger while tasks are in uninterruptible sleep: re-write and poll, as runc does
    const reached = waitFor(() => {
      writeCgroupFile(dir, "freezer.state", state);
      return readCgroupFile(dir, "freezer.state").trim() === state;
    }, 5000);
    if (!reached) {
      if (state === "FROZEN") writeCgroupFile(dir, "freezer.state", "THAWED");
      throw new CgroupError(`freezer.state did not reach ${state} in 5 s`, "", "freezer.state");
    }
  }

  joinsFrozen(): boolean {
    if (this.paths.freezer === undefined) return false;
    // a child of a frozen cgroup reads FROZEN too (parent_freezing); the hierarchy root has no freezer.state
    const dir = nearestExistingDir(this.paths.freezer);
    return hasCgroupFile(dir, "freezer.state") && readCgroupFile(dir, "freezer.state").trim() !== "THAWED";
  }

  freeze(): void { this.setFreezer("FROZEN"); }
  thaw(): void { this.setFreezer("THAWED"); }
  frozen(): boolean {
    return this.paths.freezer !== undefined && readCgroupFile(this.paths.freezer, "freezer.state").trim() === "FROZEN";
  }

  private pidsDir(): string {
    const dir = this.paths.pids ?? this.paths.freezer ?? this.paths.devices ?? this.uniqueDirs()[0];
    return dir!;
  }

  pids(): number[] { return subtreePids(this.pidsDir()); }

  stats(): Stats {
    const stats = emptyStats();
    for (const controller of V1_CONTROLLERS) {
      const dir = this.paths[controller.name];
      if (dir && controller.stats && isDirectory(dir)) controller.stats(dir, stats);
    }
    return stats;
  }

  oomCount(): number { return this.paths.memory ? v1OomKills(this.paths.memory) : 0; }

  killAll(signal: number): void {
    // frozen, nothing can fork while we walk the list
    const canFreeze = this.paths.freezer !== undefined;
    const wasFrozen = canFreeze && this.frozen();
    if (canFreeze && !wasFrozen) this.freeze();
    try {
      signalPids(this.pids(), signal);
    } finally {
      if (canFreeze && !wasFrozen) this.thaw();
    }
  }

  destroy(): void {
    for (const dir of this.uniqueDirs()) removeCgroupTree(dir);
  }

  exists(): boolean { return isDirectory(this.pidsDir()); }
}
