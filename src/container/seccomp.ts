// linux.seccomp on the parent side: the BPF program is compiled here (libseccomp or our own
// compiler), so init only calls seccomp(2); a NOTIFY listener fd goes to the agent's socket.
import { connectToSeccompAgent, sendToSeccompAgent } from "../linux/seccomp/agent.ts";
import type { CompiledSeccomp } from "../linux/seccomp/index.ts";
import { KNOWN_SYSCALLS } from "../spec/syscall-names.ts";
import type { Spec } from "../spec/types.ts";
import { close } from "../sys/linux.ts";
import { during } from "../sys/errors.ts";
import type { Context } from "./context.ts";

/**
 * The agent connection opened by compileProfile for a spec, used by deliverNotifyFd. Connecting
 * before init is spawned makes an unreachable listenerPath fail before the container process
 * exists (runc connects only once it holds the fd, and then has a process to kill).
 */
const agentSockets = new WeakMap<Spec, number>();

export function compileProfile(ctx: Context, spec: Spec): CompiledSeccomp | undefined {
  const seccomp = spec.linux?.seccomp;
  if (!seccomp) return undefined;
  // Loaded only for a config with linux.seccomp: the compilers and the syscall tables of four
  // arches cost ~0.7 ms of CPU and 0.6 MB of RSS on every start (measured with `run`).
  const { compileSeccomp } = require("../linux/seccomp/index.ts") as typeof import("../linux/seccomp/index.ts");
  const compiled = compileSeccomp(seccomp as never);
  for (const w of compiled.warnings) {
    const unknown = compiled.unknownSyscalls.find((name) => w.startsWith(`seccomp: unknown syscall "${name}"`));
    // Names the spec check does not know were already reported with their JSON path. Known
    // names a backend has no number for (recv/send: socketcall on x86 only) are not on this
    // host's arch: not worth a warning on every run.
    if (unknown === undefined) ctx.log.warn(w);
    else if (KNOWN_SYSCALLS.has(unknown)) ctx.log.debug(w);
  }
  ctx.log.debug(`seccomp: ${compiled.program.length / 8} instructions compiled with ${compiled.backend}`);
  if (compiled.notify && seccomp.listenerPath) {
    const listenerPath = seccomp.listenerPath;
    const previous = agentSockets.get(spec);
    if (previous !== undefined) close(previous);
    try {
      agentSockets.set(spec, connectToSeccompAgent(listenerPath));
    } catch (e) {
      throw during(`linux.seccomp.listenerPath "${listenerPath}"`, e);
    }
  }
  return compiled;
}

export function deliverNotifyFd(spec: Spec, fd: number, stateJson: string) {
  const seccomp = spec.linux?.seccomp;
  if (!seccomp?.listenerPath) return;
  const state = JSON.parse(stateJson) as { pid: number };
  try {
    const socket = agentSockets.get(spec) ?? connectToSeccompAgent(seccomp.listenerPath);
    agentSockets.delete(spec);
    sendToSeccompAgent(socket, fd, {
      ociVersion: spec.ociVersion, fds: ["seccompFd"], pid: state.pid, metadata: seccomp.listenerMetadata ?? "", state,
    });
  } catch (e) {
    throw during(`linux.seccomp.listenerPath "${seccomp.listenerPath}"`, e);
  }
}
