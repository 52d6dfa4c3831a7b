// linux.seccomp on the parent side: the BPF program is compiled here (libseccomp or our own
// compiler), so init only calls seccomp(2); a NOTIFY listener fd goes to the agent's socket.
import { connectToSeccompAgent, sendToSeccompAgent } from "../linux/seccomp/agent.ts";
import type { CompiledSeccomp } from "../linux/seccomp/index.ts";
import { KNOWN_SYSCALLS } from "../spec/syscall-names.ts";
import type { Spec } from "../spec/types.ts";
import { mkdirp, readDir, readText, rename, tryStat, unlinkIfExists, writeText } from "../sys/fs.ts";
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
  const compiled = cachedCompile(seccomp, () => {
    // Loaded only for a config with linux.seccomp: the compilers and the syscall tables of four
    // arches cost ~0.7 ms of CPU and 0.6 MB of RSS on every start (measured with `run`).
    const { compileSeccomp } = require("../linux/seccomp/index.ts") as typeof import("../linux/seccomp/index.ts");
    return compileSeccomp(seccomp as never);
  });
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

/**
 * Compiled programs are cached by a hash of the profile, the requested backend and this very
 * binary: engines pass the same profile (Docker's default) for every container, and compiling it
 * in a fresh process costs ~10 ms (cold JIT), reading it back ~0.1 ms. The cache lives outside
 * any --root (engines expect theirs empty) in root-only /run/minidocker-cache; any problem with
 * it just means compiling.
 */
const cacheDir = () => process.env.MINIDOCKER_SECCOMP_CACHE ?? "/run/minidocker-cache/seccomp";
const CACHE_LIMIT = 64;
const LIBSECCOMP_PATHS = ["x86_64-linux-gnu", "aarch64-linux-gnu"].flatMap((t) => [`/lib/${t}/libseccomp.so.2`, `/usr/lib/${t}/libseccomp.so.2`])
  .concat(["/lib64/libseccomp.so.2", "/usr/lib64/libseccomp.so.2", "/usr/lib/libseccomp.so.2"]);

export function cachedCompile(seccomp: unknown, compile: () => CompiledSeccomp): CompiledSeccomp {
  let file: string | undefined;
  try {
    const identity = (path: string) => {
      const st = tryStat(path);
      return st ? `${st.size}:${st.mtimeMs}:${st.ino}` : "-";
    };
    const backend = process.env.MINIDOCKER_SECCOMP ?? "auto";
    // "auto" compiles with libseccomp when it loads: the library's identity is part of the key
    const library = backend === "builtin" ? "" : [process.env.MINIDOCKER_LIBSECCOMP ?? "", ...LIBSECCOMP_PATHS.map(identity)].join(",");
    const key = new Bun.CryptoHasher("sha256")
      .update(`${backend}\0${library}\0${process.arch}\0${identity(process.execPath)}\0${JSON.stringify(seccomp)}`)
      .digest("hex");
    file = `${cacheDir()}/${key}.json`;
    const saved = JSON.parse(readText(file)) as CompiledSeccomp & { program: string };
    return { ...saved, program: new Uint8Array(Buffer.from(saved.program, "base64")) };
  } catch { /* not cached yet (or unreadable): compile */ }
  const compiled = compile();
  if (file) {
    try {
      const dir = cacheDir();
      mkdirp(dir, 0o700);
      if (readDir(dir).length >= CACHE_LIMIT) for (const f of readDir(dir)) unlinkIfExists(`${dir}/${f}`);
      const tmp = `${file}.${process.pid}.tmp`;
      writeText(tmp, JSON.stringify({ ...compiled, program: Buffer.from(compiled.program).toString("base64") }), { mode: 0o600 });
      rename(tmp, file);
    } catch { /* a cache we cannot write is no error */ }
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
