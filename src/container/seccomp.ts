// linux.seccomp on the parent side: the BPF program is compiled here (libseccomp or our own
// compiler), so init only calls seccomp(2); a NOTIFY listener fd goes to the agent's socket.
import { connectToSeccompAgent, sendToSeccompAgent } from "../linux/seccomp/agent.ts";
import type { CompiledSeccomp } from "../linux/seccomp/index.ts";
import { KNOWN_SYSCALLS } from "../spec/syscall-names.ts";
import type { Spec } from "../spec/types.ts";
import { mkdirp, openTrustedDir, readDirFd, readTrustedFileAt, renameAt, tryStat, unlinkAtIfExists, UntrustedPathError, writeNewFileAt } from "../sys/fs.ts";
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
  }, (m) => ctx.log.warn(m));
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
 * any --root (engines expect theirs empty) in root-only /run/minidocker-cache. Whoever can write
 * there chooses every container's filter, so the directory (each component from /, wherever
 * MINIDOCKER_SECCOMP_CACHE points) and each file are checked on every use: ours, written by no
 * one else, no symlinks (sys/fs.ts openTrustedDir). Anything else just means compiling.
 */
const cacheDir = () => process.env.MINIDOCKER_SECCOMP_CACHE ?? "/run/minidocker-cache/seccomp";
const CACHE_LIMIT = 64;
const LIBSECCOMP_PATHS = ["x86_64-linux-gnu", "aarch64-linux-gnu"].flatMap((t) => [`/lib/${t}/libseccomp.so.2`, `/usr/lib/${t}/libseccomp.so.2`])
  .concat(["/lib64/libseccomp.so.2", "/usr/lib64/libseccomp.so.2", "/usr/lib/libseccomp.so.2"]);

/** `warn` hears of a cache someone else could have written (ignored); a missing entry is silent. */
export function cachedCompile(seccomp: unknown, compile: () => CompiledSeccomp, warn: (msg: string) => void = () => {}): CompiledSeccomp {
  const dir = cacheDir();
  let name: string | undefined;
  try {
    const identity = (path: string) => {
      const st = tryStat(path);
      return st ? `${st.size}:${st.mtimeMs}:${st.ino}` : "-";
    };
    const backend = process.env.MINIDOCKER_SECCOMP ?? "auto";
    // "auto" compiles with libseccomp when it loads: the library's identity is part of the key
    const library = backend === "builtin" ? "" : [process.env.MINIDOCKER_LIBSECCOMP ?? "", ...LIBSECCOMP_PATHS.map(identity)].join(",");
    name = `${new Bun.CryptoHasher("sha256")
      .update(`${backend}\0${library}\0${process.arch}\0${identity(process.execPath)}\0${JSON.stringify(seccomp)}`)
      .digest("hex")}.json`;
    const dirFd = openTrustedDir(dir);
    try {
      const saved = JSON.parse(readTrustedFileAt(dirFd, name, `${dir}/${name}`).toString("utf8")) as CompiledSeccomp & { program: string };
      return { ...saved, program: new Uint8Array(Buffer.from(saved.program, "base64")) };
    } finally {
      close(dirFd);
    }
  } catch (e) {
    // not cached yet, or unreadable: compile
    if (e instanceof UntrustedPathError) warn(`seccomp cache ignored: ${e.message}`);
  }
  const compiled = compile();
  if (name) {
    try {
      mkdirp(dir, 0o700);
      const dirFd = openTrustedDir(dir);
      try {
        const entries = readDirFd(dirFd, dir);
        if (entries.length >= CACHE_LIMIT) for (const f of entries) unlinkAtIfExists(dirFd, f, `${dir}/${f}`);
        const tmp = `${name}.${process.pid}.tmp`;
        unlinkAtIfExists(dirFd, tmp, `${dir}/${tmp}`); // left by a crashed run of the same pid
        writeNewFileAt(dirFd, tmp, JSON.stringify({ ...compiled, program: Buffer.from(compiled.program).toString("base64") }), 0o600, `${dir}/${tmp}`);
        renameAt(dirFd, tmp, name, `${dir}/${tmp}`); // replaces an entry that failed the checks
      } finally {
        close(dirFd);
      }
    } catch { /* a cache we cannot (or must not) write is no error */ }
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
