// linux.seccomp on the parent side: the BPF program is compiled here (libseccomp or our own
// compiler), so init only calls seccomp(2); a NOTIFY listener fd goes to the agent's socket.
import { compileSeccomp, type CompiledSeccomp } from "../linux/seccomp/index.ts";
import { sendToSeccompAgent } from "../linux/seccomp/agent.ts";
import type { Spec } from "../spec/types.ts";
import { during } from "../sys/errors.ts";
import type { Context } from "./context.ts";

export function compileProfile(ctx: Context, spec: Spec): CompiledSeccomp | undefined {
  const seccomp = spec.linux?.seccomp;
  if (!seccomp) return undefined;
  const compiled = compileSeccomp(seccomp as never);
  for (const w of compiled.warnings) ctx.log.warn(w);
  ctx.log.debug(`seccomp: ${compiled.program.length / 8} instructions compiled with ${compiled.backend}`);
  return compiled;
}

export function deliverNotifyFd(spec: Spec, fd: number, stateJson: string) {
  const seccomp = spec.linux?.seccomp;
  if (!seccomp?.listenerPath) return;
  const state = JSON.parse(stateJson) as { pid: number };
  try {
    sendToSeccompAgent(seccomp.listenerPath, fd, {
      ociVersion: spec.ociVersion, fds: ["seccompFd"], pid: state.pid, metadata: seccomp.listenerMetadata ?? "", state,
    });
  } catch (e) {
    throw during(`linux.seccomp.listenerPath "${seccomp.listenerPath}"`, e);
  }
}
