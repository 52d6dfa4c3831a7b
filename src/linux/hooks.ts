// OCI hooks: run with the container state JSON on stdin, their own args/env, and a timeout.
// Used by the CLI (prestart, createRuntime, poststart, poststop) and by init (createContainer,
// startContainer), so it imports nothing heavy.
import type { Hook } from "../spec/types.ts";
import { RuntimeError } from "../sys/errors.ts";

export class HookError extends RuntimeError {}

/**
 * `cwd`: where the hook runs. As runc: the bundle for the hooks the CLI runs (runc chdir's there),
 * the rootfs for createContainer (runc's prepareRootfs chdir's there first), "/" for startContainer.
 */
export function runHooks(kind: string, hooks: readonly Hook[] | undefined, stateJson: string, cwd?: string) {
  for (const [i, hook] of (hooks ?? []).entries()) runHook(`${kind}[${i}]`, hook, stateJson, cwd);
}

/**
 * poststart and poststop: a failing hook is logged as a warning, and the remaining hooks and
 * the lifecycle continue as if it had succeeded (runtime-spec config.md#poststart, #poststop).
 */
export function runHooksWarning(kind: string, hooks: readonly Hook[] | undefined, stateJson: string, cwd: string | undefined, warn: (msg: string) => void) {
  for (const [i, hook] of (hooks ?? []).entries()) {
    try { runHook(`${kind}[${i}]`, hook, stateJson, cwd); } catch (e) { warn((e as Error).message); }
  }
}

/** Our environment without init's own variables (_MINIDOCKER_SYNC_FD…): a hook without `env` inherits it. */
const inheritedEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("_MINIDOCKER_")));

export function runHook(name: string, hook: Hook, stateJson: string, cwd?: string) {
  let result;
  try {
    result = Bun.spawnSync({
      // `path` is the program; `args` is its whole argv, args[0] included (spec config.md#posix-platform-hooks)
      cmd: [hook.path, ...(hook.args?.slice(1) ?? [])],
      argv0: hook.args?.[0] ?? hook.path,
      // no `env`: the hook inherits ours, as with runc (Go's exec.Cmd with a nil Env)
      env: hook.env ? Object.fromEntries(hook.env.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)])) : inheritedEnv(),
      stdin: Buffer.from(stateJson),
      cwd,
      // captured, as runc does: a hook must not write into the container's stdio (an engine's log)
      stdout: "pipe",
      stderr: "pipe",
      timeout: hook.timeout ? hook.timeout * 1000 : undefined,
      killSignal: "SIGKILL",
    } as Parameters<typeof Bun.spawnSync>[0]);
  } catch (e) {
    throw new HookError(`hook ${name} "${hook.path}": ${(e as Error).message}`);
  }
  if (result.exitedDueToTimeout || (hook.timeout && result.signalCode === "SIGKILL")) {
    throw new HookError(`hook ${name} "${hook.path}": timed out after ${hook.timeout}s`);
  }
  if (!result.success) {
    const stdout = result.stdout?.toString().trim();
    const stderr = result.stderr?.toString().trim();
    const how = result.signalCode ? `killed by ${result.signalCode}` : `exit status ${result.exitCode}`;
    throw new HookError(`hook ${name} "${hook.path}": ${how}${stdout ? `, stdout: ${stdout}` : ""}${stderr ? `, stderr: ${stderr}` : ""}`);
  }
}
