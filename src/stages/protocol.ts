// Messages between the CLI (parent) and the init stage. The parent sends one validated,
// defaulted plan, so init needs no valibot; init answers with progress or an error.
import type { Hook, Process } from "../spec/types.ts";
import type { RootfsPlan } from "../linux/rootfs.ts";
import type { MemoryPolicyPlan } from "../linux/mempolicy.ts";

export interface InitPlan {
  type: "plan";
  mode: "create" | "exec";
  id: string;
  process: Process;
  rootfs?: RootfsPlan;            // create only
  hostname?: string;
  domainname?: string;
  sysctl?: Record<string, string>;
  loopbackUp?: boolean;           // a new network namespace: bring "lo" up, as runc
  unshareCgroupns: boolean;       // after the parent put init into its cgroup
  /**
   * How many fds came with the plan: the v1 cgroups' "tasks" files, opened by the parent. init
   * writes "0" into each (create: first thing; exec: at "go", then answers "joined"), which
   * moves its own thread (the others end at execve) without the global lock a move by pid
   * takes. The opener's credentials count: this works from a user namespace too.
   */
  cgroupTaskFds: number;
  /** The parent moves init by pid (the cgroup2 part, when the clone could not) and then says "joined". */
  parentJoinsCgroup: boolean;
  fifoFd: number;                 // create: O_PATH fd of exec.fifo; exec: -1
  consoleSocketFd: number;        // -1 when none
  preserveFds: number;
  noNewKeyring: boolean;
  userns: boolean;
  seccomp?: { program: string; flags: number }; // base64 struct sock_filter[]
  createContainerHooks: Hook[];
  startContainerHooks: Hook[];
  stateJson: string;              // for hooks run by init
  runtimeHooks: boolean;          // parent runs prestart/createRuntime between mounts and pivot_root
  personality?: { domain: string; flags?: string[] };
  memoryPolicy?: MemoryPolicyPlan; // create: linux.memoryPolicy, for set_mempolicy before the execve
  processLabel?: string;
  apparmorProfile?: string;
}

export type InitMessage =
  | { type: "hooks" }            // init → parent: mounts done, run createRuntime hooks now
  | { type: "hooks-done" }       // parent → init
  | { type: "ready"; warnings: string[] } // init → parent: waiting on exec.fifo (create) or about to execve (exec)
  | { type: "seccomp-fd" }       // init → parent: notify fd follows over SCM_RIGHTS
  | { type: "error"; message: string };

export const INIT_ENV = "_MINIDOCKER_SYNC_FD";

