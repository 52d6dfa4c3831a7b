// start, state, kill, delete: the OCI lifecycle after create (runtime.md "Operations").
import { runHooksWarning } from "../linux/hooks.ts";
import { hookState, initAlive, killAndReap, notExist, ociState, type Status, type StoredState } from "../state/store.ts";
import { RuntimeError } from "../sys/errors.ts";
import { exists, readInto, unlinkIfExists } from "../sys/fs.ts";
import * as sys from "../sys/linux.ts";
import { O } from "../sys/linux.ts";
import { cgroupOf } from "./cgroup.ts";
import type { Context } from "./context.ts";
import { exitedBeforeReady, NotifyRelay } from "./notify.ts";

/** poststop runs in the bundle like the other CLI hooks; once it is gone, where we were called. */
const bundleIfThere = (state: StoredState) => (exists(state.bundle) ? state.bundle : undefined);

export function statusOf(ctx: Context, state: StoredState): Status {
  return ctx.store.status(state, () => {
    try { return cgroupOf(state)?.frozen() ?? false; } catch { return false; }
  });
}

/** Load a container, run fn under its lock with the live status. */
export function withContainer<T>(ctx: Context, id: string, fn: (state: StoredState, status: Status) => T): T {
  const unlock = ctx.store.lock(id);
  try {
    const state = ctx.store.read(id);
    return fn(state, statusOf(ctx, state));
  } finally {
    unlock();
  }
}

export function stateOf(ctx: Context, id: string) {
  const state = ctx.store.read(id);
  return ociState(state, statusOf(ctx, state));
}

/**
 * `start`: open exec.fifo for reading, which releases init to execve the user's process. With
 * NOTIFY_SOCKET, returns the relay, bound before the process runs: the caller waits for READY.
 */
export function startContainer(ctx: Context, id: string): { state: StoredState; notify?: NotifyRelay } {
  let notify: NotifyRelay | undefined;
  const state = withContainer(ctx, id, (state, status) => {
    if (status === "stopped") throw new RuntimeError("cannot start a container that has stopped");
    if (status !== "created") throw new RuntimeError(`cannot start an already running container`);
    notify = NotifyRelay.listen(ctx.store.dir(id), (m) => ctx.log.warn(m));
    const fifo = ctx.store.fifoPath(id);
    let fd = -1;
    try {
      fd = sys.open(fifo, O.RDONLY | O.NONBLOCK | O.CLOEXEC);
      // init's open for writing unblocks now. It writes "0", runs the startContainer hooks and
      // execve's: its end closes with it (close-on-exec). Read until then, so that a failing hook
      // or execve fails `start` with init's "E…" after the "0" (runc: exit 0 on an execve error,
      // which shows only on the container's stderr).
      const deadline = Date.now() + 30_000;
      let reply = "";
      const chunk = Buffer.alloc(4096);
      for (;;) {
        if (!sys.pollIn(fd, 50)) {
          if (!reply && !initAlive(state)) throw new RuntimeError("container init exited before it could start the process");
          if (Date.now() > deadline) throw new RuntimeError("timed out waiting for container init to start");
          continue;
        }
        const n = readInto(fd, chunk, fifo);
        if (n < 1) break;
        reply += chunk.toString("utf8", 0, n);
      }
      if (!reply) throw new RuntimeError("container init exited before it could start the process");
      const error = reply.startsWith("E") ? reply.slice(1) : reply.startsWith("0E") ? reply.slice(2) : undefined;
      if (error !== undefined) throw new RuntimeError(error);
    } catch (e) {
      notify?.close();
      throw e;
    } finally {
      if (fd >= 0) sys.close(fd);
    }
    unlinkIfExists(fifo);
    return state;
  });
  runHooksWarning("poststart", state.spec.hooks?.poststart, hookState(state, "running"), state.bundle, (m) => ctx.log.warn(m));
  return { state, notify };
}

/** start, run -d with NOTIFY_SOCKET: return once the process said READY (relayed), or fail if it exited first. */
export function waitUntilReady(ctx: Context, started: { state: StoredState; notify?: NotifyRelay }) {
  const { state, notify } = started;
  if (!notify) return;
  try {
    if (!notify.waitReady(state.pid, (m) => ctx.log.warn(m))) throw exitedBeforeReady();
  } finally {
    notify.close();
  }
}

export function killContainer(ctx: Context, id: string, signal: number, all: boolean) {
  withContainer(ctx, id, (state, status) => {
    if (all) {
      const cg = cgroupOf(state);
      // A stopped container may still have processes in its cgroup (no pid namespace of its
      // own, or a shared one): runc signals them and so do we. containerd calls `kill --all`
      // on every task exit for exactly this.
      if (status === "stopped" && !cg?.exists()) return;
      if (!cg) throw new RuntimeError("kill --all: the container has no cgroup");
      if (status === "paused" && signal !== 9) ctx.log.warn("container is paused: the signal is delivered on resume");
      cg.killAll(signal);
      if (status === "paused" && signal === 9) cg.thaw();
      return;
    }
    if (status === "stopped") throw new RuntimeError("container not running");
    sys.kill(state.pid, signal);
  });
}

/** `delete`: stopped or created containers; running or paused ones only with force. */
export function deleteContainer(ctx: Context, id: string, force: boolean) {
  const stateFile = `${ctx.store.dir(id)}/state.json`;
  let unlock: () => void;
  try {
    unlock = ctx.store.lock(id); // waits for a create in progress, or for another delete
  } catch (e) {
    if (force) return;
    throw e;
  }
  try {
    if (!exists(stateFile)) {
      // Removed by a concurrent delete while we waited (--force means "make it gone"), or a
      // create that died left a directory without state.json (runc removes that too).
      ctx.store.removeDir(id);
      if (force) return;
      throw notExist(id);
    }
    const state = ctx.store.read(id);
    const status = statusOf(ctx, state);
    if ((status === "running" || status === "paused") && !force)
      throw new RuntimeError(`cannot delete container ${id} that is not stopped: ${status}`);
    destroy(ctx, state, status);
  } finally {
    unlock();
  }
}

export function destroy(ctx: Context, state: StoredState, status: Status) {
  const cg = cgroupOf(state);
  if (status !== "stopped") {
    if (status === "paused") cg?.thaw();
    killAndReap(state.pid);
  }
  // Without its own pid namespace the container's other processes outlive init: kill them too
  // (runc's signalAllProcesses). With one, the kernel killed them with init; whatever is left in
  // the cgroup belongs to someone sharing cgroupsPath and is not ours to kill.
  const ownPidns = (state.spec.linux?.namespaces ?? []).some((n) => n.type === "pid" && !n.path);
  if (cg?.exists()) {
    try {
      if (!ownPidns && cg.pids().length) {
        cg.killAll(9);
        const deadline = Date.now() + 5000;
        while (cg.pids().length && Date.now() < deadline) Bun.sleepSync(5);
      }
      cg.destroy();
    } catch (e) {
      ctx.log.warn(`delete cgroup: ${(e as Error).message}`);
    }
  }
  ctx.store.removeDir(state.id);
  runHooksWarning("poststop", state.spec.hooks?.poststop, hookState(state, "stopped"), bundleIfThere(state), (m) => ctx.log.warn(m));
}

/** Host pids of the container's processes (`ps`). */
export function containerPids(state: StoredState): number[] {
  const cg = cgroupOf(state);
  if (cg?.exists()) return cg.pids().sort((a, b) => a - b);
  return initAlive(state) ? [state.pid] : [];
}
