// The cgroup manager interface, implemented by v1/manager.ts and v2/manager.ts.
import type { LinuxResources, Stats } from "./types.ts";
import { writeErr } from "../sys/stdio.ts";

export interface CgroupManager {
  readonly version: 1 | 2;
  /** The cgroup path inside the hierarchy, e.g. "/minidocker/abc" (v1: of the first hierarchy). */
  readonly path: string;
  /** Absolute directories: v1 hierarchy name → dir ("cpu,cpuacct" mounts under each name); v2 "" → dir. Store these in state. */
  readonly paths: Readonly<Record<string, string>>;
  /**
   * mkdir our subtree (v1: in every mounted hierarchy; v2: enabling controllers in the parents),
   * or only `dirs` of it (v1; made ones are skipped later). Undone on failure.
   */
  create(dirs?: readonly string[]): void;
  /** Write what is set in `resources`; errors name field and file. */
  apply(resources: LinuxResources): void;
  addProcess(pid: number): void;
  /** The cgroup2 directory a new process can be cloned straight into (CLONE_INTO_CGROUP): v2's own, a hybrid host's "unified" one. */
  cloneIntoDir(): string | undefined;
  /**
   * The rest, as files in which a thread moves ITSELF by writing "0" (v1 "tasks"): that takes no
   * global lock, while moving a process by pid (cgroup.procs) waits for an RCU grace period.
   */
  selfJoinFiles(): string[];
  /**
   * Whether a process joining now would be frozen: the cgroup (or, before it exists, its nearest
   * existing ancestor) is frozen or freezing. runc refuses such a cgroup; joining it would hang.
   */
  joinsFrozen(): boolean;
  freeze(): void;
  thaw(): void;
  frozen(): boolean;
  /** Every pid in the subtree. */
  pids(): number[];
  /** `runc events --stats` "data". */
  stats(): Stats;
  /** OOM kills seen so far. */
  oomCount(): number;
  /** Signal every pid (v2 + SIGKILL: cgroup.kill when the kernel has it). */
  killAll(signal: number): void;
  /** Remove our directories (retrying briefly while pids exit); never parents or others'. */
  destroy(): void;
  exists(): boolean;
}

export interface CgroupManagerOptions {
  /** linux.cgroupsPath */
  cgroupsPath?: string;
  id: string;
  /** The cgroup mount root; tests point it at a fake tree. Default /sys/fs/cgroup. */
  root?: string;
  /** Text of /proc/self/mountinfo: where the v1 hierarchies are mounted (tests). */
  mountinfo?: string;
  /** Text of /proc/self/cgroup, for relative paths (tests). */
  procSelfCgroup?: string;
  /** Non-fatal notes (settings a version cannot express). Default: stderr. */
  warn?: (message: string) => void;
}

export const defaultWarn = (message: string) => writeErr(`warning: cgroup: ${message}\n`);
