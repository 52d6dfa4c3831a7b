// cgroup v2 (unified hierarchy): one directory, controllers enabled top-down through each parent's
// cgroup.subtree_control, like runc's libcontainer/cgroups/fs2 driver.
import type { CgroupManager, CgroupManagerOptions } from "../api.ts";
import { defaultWarn } from "../api.ts";
import { FIELD_OF_CONTROLLER, type Controller } from "../controller.ts";
import { CgroupError, errnoOf, hasCgroupFile, readCgroupFile, readFlatKeyed, writeCgroupFile } from "../files.ts";
import { DEFAULT_CGROUP_ROOT, innerCgroupPath, joinCgroupPath, parentCgroupPath, parseProcCgroup } from "../paths.ts";
import { isDirectory, nearestExistingDir, removeCgroupTree, signalPids, subtreePids, waitFor } from "../tree.ts";
import { emptyStats, type LinuxResources, type Stats } from "../types.ts";
import { exists, getxattrText, mkdir, readText, rmdir } from "../../sys/fs.ts";
import { cpu } from "./cpu.ts";
import { cpuset } from "./cpuset.ts";
import { devices } from "./devices.ts";
import { hugetlb } from "./hugetlb.ts";
import { io } from "./io.ts";
import { memory, v2OomKills } from "./memory.ts";
import { network } from "./network.ts";
import { pids } from "./pids.ts";
import { rdma } from "./rdma.ts";
import { unified } from "./unified.ts";
import { SysError } from "../../sys/errors.ts";

/** unified last: its raw values override the typed fields (runc order). */
export const V2_CONTROLLERS: readonly Controller[] = [cpuset, devices, memory, cpu, pids, io, hugetlb, rdma, network, unified];

const SIGKILL = 9, ESRCH = 3, EEXIST = 17;

const words = (text: string) => text.trim().split(/\s+/).filter(Boolean);

/** Enable in `dir`'s subtree_control every controller it has that is not enabled yet. */
export function enableSubtreeControllers(dir: string): void {
  const enabled = new Set(words(readCgroupFile(dir, "cgroup.subtree_control")));
  const wanted = words(readCgroupFile(dir, "cgroup.controllers")).filter((c) => !enabled.has(c));
  if (wanted.length === 0) return;
  try {
    writeCgroupFile(dir, "cgroup.subtree_control", wanted.map((c) => `+${c}`).join(" "));
  } catch {
    // one refusal (a threaded or busy cgroup) fails the whole write: enable what can be, one by one;
    // a controller still missing is reported by apply() when a setting needs it
    for (const c of wanted) try { writeCgroupFile(dir, "cgroup.subtree_control", `+${c}`); } catch { /* see above */ }
  }
}

/** The leaf a delegated unit's own processes move to, so that its cgroup can enable controllers for containers. */
export const SUPERVISOR_LEAF = "supervisor";

/** systemd marks a cgroup it delegated (Delegate=yes) with this xattr ("user." for a user manager's units). */
export const isDelegated = (dir: string) =>
  getxattrText(dir, "trusted.delegate") === "1" || getxattrText(dir, "user.delegate") === "1";

/**
 * Move every process of `dir` into `dir`/supervisor (made if missing; recorded in `made`), repeating
 * while processes fork: cgroup v2 allows no processes in a cgroup whose children have controllers.
 */
function moveIntoLeaf(dir: string, made: string[]): void {
  const pidsOf = () => readCgroupFile(dir, "cgroup.procs").split("\n").filter(Boolean);
  let pids = pidsOf();
  if (pids.length === 0) return;
  const leaf = `${dir}/${SUPERVISOR_LEAF}`;
  if (!exists(leaf)) { mkdir(leaf); made.push(leaf); }
  for (let round = 0; pids.length && round < 10; round++, pids = pidsOf()) {
    for (const pid of pids) {
      try { writeCgroupFile(leaf, "cgroup.procs", pid, `pid ${pid}`); } catch (e) {
        if (errnoOf((e as Error).cause) !== ESRCH) throw e; // exited meanwhile
      }
    }
  }
  if (pids.length) throw new CgroupError(`processes keep appearing in ${dir} (moving them to ${SUPERVISOR_LEAF}): ${pids.join(" ")}`);
}

export class CgroupV2Manager implements CgroupManager {
  readonly version = 2 as const;
  readonly paths: Record<string, string>;
  private readonly dir: string;
  private created = false;
  private readonly warn: (m: string) => void;

  /** `delegatedUnit`: the caller's delegated cgroup, whose processes create() moves into its SUPERVISOR_LEAF. */
  constructor(readonly root: string, readonly path: string, warn = defaultWarn, private readonly delegatedUnit?: string) {
    this.dir = path === "/" ? root : `${root}${path}`;
    this.paths = { "": this.dir };
    this.warn = warn;
  }

  static open(options: CgroupManagerOptions): CgroupV2Manager {
    const root = options.root ?? DEFAULT_CGROUP_ROOT;
    let path = innerCgroupPath(options.cgroupsPath, options.id);
    let delegatedUnit: string | undefined;
    if (!path.startsWith("/")) {
      const own = parseProcCgroup(options.procSelfCgroup ?? readText("/proc/self/cgroup")).get("") ?? "/";
      if (own !== "/" && isDelegated(`${root}${own}`)) {
        // a unit with Delegate=yes is ours to subdivide: its processes move to a leaf, the container
        // goes inside the unit and is stopped with it (runc 1.1 would place it beside the unit)
        delegatedUnit = own;
        path = joinCgroupPath(own, path);
      } else {
        // runc fs2: our own cgroup holds processes, so no controller can be enabled below it: its parent
        path = joinCgroupPath("/", parentCgroupPath(own), path);
      }
    }
    return new CgroupV2Manager(root, path, options.warn, delegatedUnit);
  }

  create(): void {
    if (this.created) return;
    this.created = true;
    const made: string[] = [];
    try {
      if (this.delegatedUnit) moveIntoLeaf(`${this.root}${this.delegatedUnit}`, made);
      const parts = this.path.split("/").filter(Boolean);
      let dir = this.root;
      for (const part of parts) {
        enableSubtreeControllers(dir);
        dir = `${dir}/${part}`;
        if (exists(dir)) continue;
        try { mkdir(dir); made.push(dir); } catch (e) {
          if (errnoOf(e) !== EEXIST) throw new CgroupError(new SysError("mkdir", errnoOf(e), dir).message, "", "", { cause: e });
        }
      }
    } catch (e) {
      this.created = false;
      for (const d of made.reverse()) try { rmdir(d); } catch { /* best effort; the error matters */ }
      throw e;
    }
  }

  apply(resources: LinuxResources): void {
    const available = new Set(words(readCgroupFile(this.dir, "cgroup.controllers")));
    const context = { warn: this.warn };
    for (const controller of V2_CONTROLLERS) {
      if (!controller.isSet(resources)) continue;
      if (!controller.alwaysAvailable && !available.has(controller.name))
        throw new CgroupError(`controller "${controller.name}" is not available in ${this.dir} ` +
          `(cgroup.controllers: ${[...available].join(" ") || "none"})`, FIELD_OF_CONTROLLER[controller.name] ?? "");
      controller.apply(this.dir, resources, context);
    }
  }

  addProcess(pid: number): void { writeCgroupFile(this.dir, "cgroup.procs", String(pid), `pid ${pid}`); }
  cloneIntoDir(): string { return this.dir; }
  selfJoinFiles(): string[] { return []; }

  private setFrozen(frozen: boolean): void {
    if (!hasCgroupFile(this.dir, "cgroup.freeze"))
      throw new CgroupError("the cgroup v2 freezer needs Linux 5.2 or later (no cgroup.freeze)", "", "cgroup.freeze");
    writeCgroupFile(this.dir, "cgroup.freeze", frozen ? "1" : "0");
    if (!waitFor(() => this.frozen() === frozen, 5000)) {
      if (frozen) writeCgroupFile(this.dir, "cgroup.freeze", "0");
      throw new CgroupError(`cgroup.events did not report frozen ${frozen ? 1 : 0} in 5 s`, "", "cgroup.events");
    }
  }

  joinsFrozen(): boolean {
    // cgroup.freeze is the cgroup's own request; an ancestor's "1" freezes the whole subtree
    for (let dir = nearestExistingDir(this.dir); dir.startsWith(`${this.root}/`); dir = dir.slice(0, dir.lastIndexOf("/")))
      if (hasCgroupFile(dir, "cgroup.freeze") && readCgroupFile(dir, "cgroup.freeze").trim() === "1") return true;
    return false;
  }

  freeze(): void { this.setFrozen(true); }
  thaw(): void { this.setFrozen(false); }
  frozen(): boolean { return readFlatKeyed(this.dir, "cgroup.events").frozen === 1; }

  pids(): number[] { return subtreePids(this.dir); }

  stats(): Stats {
    const stats = emptyStats();
    const available = new Set(words(readCgroupFile(this.dir, "cgroup.controllers")));
    for (const controller of V2_CONTROLLERS)
      if (controller.stats && available.has(controller.name)) controller.stats(this.dir, stats);
    return stats;
  }

  oomCount(): number { return v2OomKills(this.dir); }

  killAll(signal: number): void {
    if (signal === SIGKILL && hasCgroupFile(this.dir, "cgroup.kill")) {
      writeCgroupFile(this.dir, "cgroup.kill", "1");
      return;
    }
    const wasFrozen = this.frozen();
    if (!wasFrozen) this.freeze();
    try { signalPids(this.pids(), signal); } finally { if (!wasFrozen) this.thaw(); }
  }

  destroy(): void { removeCgroupTree(this.dir); }

  exists(): boolean { return isDirectory(this.dir); }
}
