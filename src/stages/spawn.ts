// Parent side of the clone helper (ffi/helper.c): load it, clone the init stage into its
// namespaces, write its id mappings, and learn the pid of the process that becomes init.
import { dlopen, FFIType } from "bun:ffi";
import { RuntimeError, SysError } from "../sys/errors.ts";
import { makePrivateTempDir, readBytes, removeTree, writeAll, writeText } from "../sys/fs.ts";
import { addressOf, CLONE, clearCloexec, close, cstr, keepAlive, kill, memfdCreate, O, socketpair, waitpid, WNOHANG } from "../sys/linux.ts";
import { Channel } from "./channel.ts";
// Built by scripts/build.ts; `bun build --compile` embeds both.
import helperSo from "../../dist/helper.so" with { type: "file" };
import helperSource from "../../ffi/helper.c" with { type: "text" };

type HelperFn = (req: BigInt64Array) => number | bigint;
let helper: HelperFn | undefined;

/**
 * The prebuilt .so is copied into a memfd and dlopen'ed from /proc/self/fd (no temp file, works
 * from the compiled binary's /$bunfs). MINIDOCKER_HELPER=cc compiles ffi/helper.c with TinyCC
 * instead (the source declares its own prototypes: no /usr/include needed). scripts/bench times both.
 */
export function loadHelper(): HelperFn {
  if (helper) return helper;
  const symbols = { md_spawn: { args: [FFIType.ptr], returns: FFIType.i64 } } as const;
  if (process.env.MINIDOCKER_HELPER === "cc") {
    const { cc } = require("bun:ffi") as typeof import("bun:ffi");
    // A private directory (mkdir is atomic, 0700): a predictable name in /tmp could be a
    // symlink planted by anyone, and the source file is created O_EXCL | O_NOFOLLOW in it.
    const dir = makePrivateTempDir("minidocker-helper");
    const src = `${dir}/helper.c`;
    try {
      writeText(src, helperSource, { mode: 0o600, flags: O.WRONLY | O.CREAT | O.EXCL | O.NOFOLLOW });
      helper = cc({ source: src, symbols, library: ["c"] }).symbols.md_spawn as HelperFn;
    } finally {
      removeTree(dir);
    }
    return helper;
  }
  helper = dlopen(`/proc/self/fd/${helperLibraryFd()}`, symbols).symbols.md_spawn as HelperFn;
  return helper;
}

let libraryFd = -1;
/**
 * A memfd holding the prebuilt helper library: dlopen'ed by us, and preloaded into init when it
 * enters its namespaces itself (helper.c md_nsenter).
 */
function helperLibraryFd(): number {
  if (libraryFd >= 0) return libraryFd;
  // The compiled binary's /$bunfs is in memory, out of open(2)'s reach: Bun.file reads it, and
  // there its promise is already settled (Bun.peek). Run from source, it is an ordinary file.
  const bytes = helperSo.startsWith("/$bunfs/") ? Bun.peek(Bun.file(helperSo).bytes()) : readBytes(helperSo);
  if (bytes instanceof Promise) throw new RuntimeError(`read ${helperSo}: the embedded helper is not readable synchronously`);
  const fd = memfdCreate("minidocker-helper");
  writeAll(fd, bytes, "memfd minidocker-helper");
  libraryFd = fd;
  return fd;
}

export interface IdMap { containerID: number; hostID: number; size: number }

/** A namespace to join: its fd, its CLONE_NEW* type (setns checks it), and how errors name it. */
export interface JoinNamespace {
  fd: number;
  type: number;
  /** e.g. `linux.namespaces[2] (network)` */
  what: string;
  path: string;
}

export interface SpawnRequest {
  exePath: string;          // the binary to run as init (our own)
  argv: string[];
  env: string[];
  join: JoinNamespace[];    // namespaces to setns into, user first
  cloneFlags: number;       // CLONE_NEW* to create (never NEWCGROUP: init does that once in its cgroup)
  protectExe: boolean;
  timensOffsets?: string;
  uidMappings?: IdMap[];
  gidMappings?: IdMap[];
  inheritFds: number[];     // fds init must receive (the fifo, a console socket…)
  /** An open cgroup2 directory to clone init straight into (CLONE_INTO_CGROUP), or undefined. */
  cgroupFd?: number;
}

export interface Spawned {
  pid: number;
  channel: Channel;
  /** init was cloned into SpawnRequest.cgroupFd's cgroup (false: not asked, or the kernel refused). */
  cgroupJoined: boolean;
  /** Reap the helper's first child (it exits right after reporting init's pid); idempotent. */
  reapHelper(): void;
}

const MSG_NEED_MAPS = 1, MSG_PID = 2, MSG_ERROR = 3;
const RECORD = 64;

const mapText = (maps: IdMap[]) => maps.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join("");

/** Clone init; returns once the helper reported init's pid (init then waits for its plan). */
export function spawnInit(req: SpawnRequest): Spawned {
  const md = loadHelper();
  const [parentEnd, childEnd] = socketpair();
  clearCloexec(childEnd);
  for (const fd of req.inheritFds) clearCloexec(fd);
  // One clone makes init in its new namespaces; anything else (exec, a namespace to join, a user
  // or time namespace) init enters itself before Bun starts (helper.c md_nsenter, preloaded).
  const nsenter = req.join.length > 0 || (req.cloneFlags & (CLONE.NEWUSER | CLONE.NEWTIME)) !== 0 ||
    (req.protectExe && !(req.cloneFlags & CLONE.NEWNS));
  const library = nsenter ? helperLibraryFd() : -1;
  const env = [...req.env, `_MINIDOCKER_SYNC_FD=${childEnd}`];
  if (nsenter) {
    const join = req.join.map((ns) => `${ns.fd}:${ns.type}`).join(" ");
    env.push(`LD_PRELOAD=/proc/self/fd/${library}`,
      `_MINIDOCKER_NSENTER=${childEnd} ${library} ${req.cloneFlags} ${req.join.length} ${join}`,
      `_MINIDOCKER_TIMENS=${req.timensOffsets ?? ""}`);
  }
  // Every buffer an address points to is kept referenced until md_spawn returned (keepAlive below).
  const strings = [...req.argv, ...env].map(cstr);
  const argvT = new BigUint64Array(req.argv.length + 1);
  const envT = new BigUint64Array(env.length + 1);
  strings.forEach((b, i) => {
    if (i < req.argv.length) argvT[i] = addressOf(b);
    else envT[i - req.argv.length] = addressOf(b);
  });
  const exe = cstr(req.exePath);
  // the fds the child passes on to init (close-on-exec in this process)
  const keep = new BigInt64Array(nsenter ? [library, ...req.join.map((ns) => ns.fd)].map(BigInt) : []);
  const spec = new BigInt64Array([
    BigInt(childEnd),
    addressOf(exe),
    addressOf(argvT),
    addressOf(envT),
    BigInt(req.cloneFlags),
    req.protectExe ? 1n : 0n,
    BigInt(parentEnd),
    BigInt(req.cgroupFd ?? -1),
    nsenter ? 1n : 0n,
    BigInt(keep.length),
    keep.length ? addressOf(keep) : 0n,
    0n, // out: cgroup_joined
    0n, // out: init_is_child
  ]);
  const first = Number(keepAlive([strings, exe, keep, argvT, envT], () => md(spec)));
  // written by md_spawn: the last two fields
  const cgroupJoined = spec[spec.length - 2] === 1n;
  const initIsChild = spec[spec.length - 1] === 1n;
  close(childEnd);
  if (first < 0) {
    close(parentEnd);
    throw new SysError("clone", -first, "init");
  }
  const channel = new Channel(parentEnd);
  // init is our child (one clone): it reports failures as JSON lines like init's, no records follow
  if (initIsChild) return { pid: first, channel, cgroupJoined, reapHelper: () => {} };
  const firstAlive = () => waitpid(first, WNOHANG)[0] === 0;
  try {
    for (;;) {
      const rec = channel.readBytes(RECORD, 10_000, firstAlive);
      const type = rec.readInt32LE(0), value = rec.readInt32LE(4);
      if (type === MSG_NEED_MAPS) {
        // The child is in its new user namespace; only we (host root) can write its maps.
        try {
          writeText(`/proc/${value}/uid_map`, mapText(req.uidMappings ?? []));
          writeText(`/proc/${value}/gid_map`, mapText(req.gidMappings ?? []));
        } catch (e) {
          throw new RuntimeError(`write id mappings of the user namespace: ${(e as Error).message}`);
        }
        writeAll(parentEnd, "M");
        continue;
      }
      if (type === MSG_ERROR) {
        const step = rec.subarray(8).toString().replace(/\0.*$/s, "");
        const ns = /^setns (\d+)$/.exec(step) && req.join[Number(step.slice(6))];
        throw ns ? new SysError(`${ns.what}: setns`, value, ns.path) : new SysError(step, value);
      }
      if (type === MSG_PID) {
        // The first child exits after forking init into the new pid namespace. Waiting for that
        // here would put its exit on the critical path (ms on a busy machine): the caller reaps
        // it once init is under way.
        let reaped = value === first; // the first child is init itself: not ours to reap
        const reapHelper = () => {
          if (reaped) return;
          reaped = true;
          try { waitpid(first, 0); } catch {} // already reaped by the liveness check
        };
        return { pid: value, channel, cgroupJoined, reapHelper };
      }
      throw new RuntimeError(`unexpected record ${type} from the clone helper`);
    }
  } catch (e) {
    try { kill(first, 9); waitpid(first, WNOHANG); } catch {}
    close(parentEnd);
    throw e;
  }
}
