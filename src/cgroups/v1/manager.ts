// cgroup v1 (and hybrid hosts): one directory per mounted hierarchy (/sys/fs/cgroup/<controller>),
// like runc's libcontainer/cgroups/fs driver.
import type { CgroupManager, CgroupManagerOptions } from "../api.ts";
import { defaultWarn } from "../api.ts";
import { FIELD_OF_CONTROLLER, type Controller } from "../controller.ts";
import { CgroupError, errnoOf, readCgroupFile, writeCgroupFile } from "../files.ts";
import { DEFAULT_CGROUP_ROOT, innerCgroupPath, joinCgroupPath, parseProcCgroup } from "../paths.ts";
import { isDirectory, removeCgroupTree, signalPids, subtreePids, waitFor } from "../tree.ts";
import { emptyStats, type LinuxResources, type Stats } from "../types.ts";
import { exists, mkdir, readDirEntries, readText, rmdir } from "../../sys/fs.ts";
import { blkio } from "./blkio.ts";
import { cpu } from "./cpu.ts";
import { cpuacct } from "./cpuacct.ts";
import { cpuset, inheritCpuset } from "./cpuset.ts";
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

/** Mounted v1 hierarchies under `root`: controller → hierarchy directory name ("cpu,cpuacct" serves both). */
export function v1Hierarchies(root: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of readDirEntries(root)) {
    if (!entry.isDirectory()) continue; // "cpu -> cpu,cpuacct" symlinks: the real directory is listed too
    for (const name of entry.name.split(",")) if (KNOWN.has(name)) out.set(name, entry.name);
    // runc joins these too (no controller to apply): the container's /proc/self/cgroup and its
    // /sys/fs/cgroup/systemd bind show its own cgroup there, not the host's root.
    if (entry.name === "systemd") out.set("name=systemd", entry.name);
    if (entry.name === "unified" && exists(`${root}/unified/cgroup.procs`)) out.set("unified", entry.name);
  }
  return out;
}

const EEXIST = 17;

export class CgroupV1Manager implements CgroupManager {
  readonly version = 1 as const;
  readonly path: string;
  readonly paths: Record<string, string>;
  private readonly warn: (m: string) => void;

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
    for (const [controller, hierarchy] of v1Hierarchies(root)) {
      const path = own ? joinCgroupPath(own.get(controller) ?? "/", inner) : inner;
      dirs[controller] = `${root}/${hierarchy}${path}`;
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
        const missing: string[] = [];
        for (let d = dir; !exists(d); d = d.slice(0, d.lastIndexOf("/"))) missing.unshift(d);
        for (const d of missing) {
          try { mkdir(d); } catch (e) {
            if (errnoOf(e) !== EEXIST) throw new CgroupError(new SysError("mkdir", errnoOf(e), d).message, "", "", { cause: e });
            continue;
          }
          made.push(d);
          if (controller === "cpuset") inheritCpuset(d, d.slice(0, d.lastIndexOf("/")));
        }
      }
    } catch (e) {
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
