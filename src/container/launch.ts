// Starting an init stage, shared by create and exec: spawn it through the clone helper, put it
// in the cgroup, send the plan and follow its messages until it is ready.
import { readText } from "../sys/fs.ts";
import type { InitPlan } from "../stages/protocol.ts";
import { type SpawnRequest, spawnInit, type Spawned } from "../stages/spawn.ts";
import { RuntimeError, step, SysError } from "../sys/errors.ts";
import { applyOomScoreAdj } from "../linux/process-attrs.ts";
import type { Channel, Message } from "../stages/channel.ts";
import * as sys from "../sys/linux.ts";
import { processAlive, procStat } from "../state/store.ts";
import { OwnedProcess } from "../sys/pidfd.ts";
import { raiseHardRlimits } from "../linux/rlimits.ts";
import { linuxProcessSys } from "../sys/process.ts";

/** How to run our own binary again: the compiled executable, or bun + main.ts in development. */
export function selfCommand(): { exePath: string; argv: string[] } {
  const compiled = Bun.main.startsWith("/$bunfs/") || Bun.main.startsWith("B:/~BUN/");
  return compiled
    ? { exePath: process.execPath, argv: ["minidocker", "init"] }
    : { exePath: process.execPath, argv: [process.execPath, Bun.main, "init"] };
}

/**
 * init's environment, fixed and minimal: a compiled Bun binary would honour BUN_OPTIONS and
 * friends. Baseline JIT off: init runs each function a few times at most, and compiling them
 * cost 4-5 ms of CPU per container start (scripts/bench; the container's process gets its own env).
 */
const INIT_ENV = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "BUN_JSC_useBaselineJIT=0"];

/** scripts/bench only: measures what the read-only bind of our binary (CVE-2019-5736) costs. */
const exeProtectionDisabled = () => process.env.MINIDOCKER_UNSAFE_NO_EXE_PROTECTION === "1";

export interface LaunchHandlers {
  /** createRuntime (and prestart) hooks, between the mounts and pivot_root. */
  onHooks?: () => void;
  onSeccompFd?: (fd: number) => void;
  /**
   * Called with the init pid right after spawn, before the plan is sent (it may still change the
   * plan). Returns fds to send along with the plan (closed here once sent).
   */
  onSpawned: (pid: number, spawned: Spawned) => number[] | void;
  /**
   * Put init into the container's cgroup, after the plan is sent: the first cgroup migration
   * waits for an RCU grace period (measured 0–16 ms), which now overlaps init's own start-up.
   * init waits for the "joined" message before it unshares its cgroup namespace and before "ready".
   * Only when the plan says so (parentJoinsCgroup).
   */
  joinCgroup?: (pid: number) => void;
  /** After the plan is sent, in parallel with init's set-up (e.g. the fsync'ed state write). */
  whileInitWorks?: (pid: number, startTime: string) => void;
}

export interface Launched extends Spawned {
  startTime: string;
  warnings: string[];
  /** init, by pidfd: the caller kills it if it fails later, and closes it once done. */
  process: OwnedProcess;
}

/** Errors init reported itself: nothing more to look for on the channel. */
const reportedByInit = new WeakSet<Error>();

/**
 * An error message from init. Before Bun runs, the helper reports a failed system call in init's
 * place as {step, errno}: the same one-line SysError it reports before init's pid is known.
 */
export function initError(msg: Message): RuntimeError {
  const e = typeof msg.errno === "number" ? new SysError(String(msg.step), msg.errno) : new RuntimeError(String(msg.message));
  reportedByInit.add(e);
  return e;
}

/**
 * init died or closed the channel (a send fails with EPIPE, a /proc file is gone): the error it
 * left on the channel, if any, is the one the user needs.
 */
export function leftError(channel: Channel, alive: () => boolean, e: unknown): unknown {
  if (reportedByInit.has(e as Error)) return e;
  try {
    const msg = channel.recvUnlessClosed(1000, alive);
    return msg?.type === "error" ? initError(msg) : e;
  } catch {
    return e;
  }
}

export function launchInit(req: Omit<SpawnRequest, "exePath" | "argv" | "env">, plan: InitPlan, h: LaunchHandlers): Launched {
  const self = selfCommand();
  const spawned = spawnInit({ ...req, ...self, env: INIT_ENV, protectExe: req.protectExe && !exeProtectionDisabled() });
  const { pid, channel } = spawned;
  // Until we return, init is ours to kill on failure (once, by pidfd); then the caller's.
  const init = new OwnedProcess(pid);
  const startTime = procStat(pid)?.startTime ?? "";
  const alive = () => processAlive(pid);
  try {
    // Hard limits above ours are raised from here (a user-namespace init could not); init sets the
    // exact values after its rootfs, like runc's parent at procReady.
    raiseHardRlimits(linuxProcessSys, plan.process.rlimits, pid, readText(`/proc/${pid}/limits`));
    // Ours to write, not init's: init is non-dumpable after joining or making a user namespace,
    // and its /proc files then belong to the host's root.
    step("process.oomScoreAdj", () => applyOomScoreAdj(linuxProcessSys, plan.process.oomScoreAdj, pid));
    const planFds = h.onSpawned(pid, spawned) ?? [];
    try {
      if (planFds.length) channel.sendFds(plan as never, planFds);
      else channel.send(plan as never);
    } finally {
      for (const fd of planFds) sys.close(fd);
    }
    if (plan.parentJoinsCgroup) {
      h.joinCgroup?.(pid);
      channel.send({ type: "joined" });
    }
    h.whileInitWorks?.(pid, startTime);
    for (;;) {
      const msg = channel.recv(120_000, alive);
      if (msg.type === "hooks") {
        h.onHooks?.();
        channel.send({ type: "hooks-done" });
      } else if (msg.type === "seccomp-fd") {
        const fd = channel.takeFd();
        try { h.onSeccompFd?.(fd); } finally { sys.close(fd); }
      } else if (msg.type === "ready") {
        return { ...spawned, startTime, warnings: (msg.warnings as string[]) ?? [], process: init };
      } else if (msg.type === "error") {
        throw initError(msg);
      } else {
        throw new RuntimeError(`unexpected message "${msg.type}" from init`);
      }
    }
  } catch (e) {
    const reported = leftError(channel, alive, e);
    init.kill();
    init.close();
    sys.close(channel.fd);
    throw reported;
  } finally {
    spawned.reapHelper();
  }
}

/** runc raises ambient caps silently where it can't (no inheritable): so do we, at debug level. */
export function logInitWarnings(ctx: { log: { warn: (m: string) => void; debug: (m: string) => void } }, warnings: string[]) {
  for (const w of warnings) (w.startsWith("can't raise ambient") ? ctx.log.debug : ctx.log.warn)(w);
}
