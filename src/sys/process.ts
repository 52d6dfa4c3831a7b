// Process credentials and attributes: the calls `init` makes on its JS thread right before it
// execve's the container's process (capabilities, ids, rlimits, scheduling, personality).
// `linux/capabilities.ts`, `linux/user.ts`, `linux/rlimits.ts` and `linux/process-attrs.ts`
// take a `ProcessSys`; unit tests pass a recording fake (test/unit/linux/fake-process-sys.ts).
//
// Per-thread state: capset, prctl (keepcaps, bounding set, ambient, no_new_privs),
// sched_setattr, ioprio_set and personality change only the calling thread. Bun runs other
// threads, so these must run on the JS thread that later calls execve. setresuid, setresgid
// and setgroups go through glibc, which applies them to every thread of the process (setxid
// broadcast), as the kernel's credentials are per thread too.
import { libc } from "../../ffi/libc.ts";
import { SysError } from "./errors.ts";
import { readText, writeText } from "./fs.ts";
import { writeProcFile } from "./procfs.ts";
import { addressOf, check, keepAlive, NR, syscall } from "./linux.ts";

export interface CapabilityState {
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
}

/** struct sched_attr (include/uapi/linux/sched/types.h); times in nanoseconds. */
export interface SchedAttr {
  policy: number;
  flags: bigint;
  nice: number;
  priority: number;
  runtime: bigint;
  deadline: bigint;
  period: bigint;
}

export interface ProcessSys {
  /** prctl(option, arg2, arg3); `subject` names what it was for in the error. */
  prctl(option: number, arg2: number, arg3: number, subject: string): number;
  capget(): CapabilityState;
  capset(state: CapabilityState): void;
  /** Highest capability number the running kernel knows (/proc/sys/kernel/cap_last_cap). */
  lastCap(): number;
  setgroups(gids: readonly number[]): void;
  setresgid(gid: number): void;
  setresuid(uid: number): void;
  /** prlimit64(pid, resource, {soft, hard}); pid 0 is this process. */
  prlimit(pid: number, resource: number, soft: bigint, hard: bigint, subject: string): void;
  /** ioprio_set(IOPRIO_WHO_PROCESS, 0, ioprio): the calling thread. */
  ioprioSet(ioprio: number): void;
  /** sched_setattr(0, attr, 0): the calling thread. */
  schedSetattr(attr: SchedAttr): void;
  personality(persona: number): void;
  /** prctl(PR_GET_PDEATHSIG): a uid change clears it, so it is saved and restored around one. */
  parentDeathSignal(): number;
  /** Sets the umask, returns the previous one. */
  umask(mask: number): number;
  writeFile(path: string, text: string): void;
  /** The file's text, or undefined when it does not exist. */
  readFile(path: string): string | undefined;
}

const CAP_V3 = 0x20080522; // _LINUX_CAPABILITY_VERSION_3: two 32-bit words per set
const IOPRIO_WHO_PROCESS = 1;
const SCHED_ATTR_SIZE = 56; // SCHED_ATTR_SIZE_VER1, as runc (unix.SizeofSchedAttr)

const low32 = (mask: bigint) => Number(mask & 0xffffffffn);
const high32 = (mask: bigint) => Number((mask >> 32n) & 0xffffffffn);

/** A file error renamed after what it was for: `write "/proc/self/oom_score_adj": EACCES`. */
function fsCall<T>(call: string, path: string, run: () => T): T {
  try {
    return run();
  } catch (e) {
    const n = (e as NodeJS.ErrnoException).errno;
    if (typeof n === "number") throw new SysError(call, Math.abs(n), path);
    throw e;
  }
}

export const linuxProcessSys: ProcessSys = {
  prctl(option, arg2, arg3, subject) {
    return check(libc.prctl(option, arg2, arg3, 0, 0), "prctl", subject);
  },

  capget() {
    const header = new Uint32Array([CAP_V3, 0]);
    const data = new Uint32Array(6); // [effective, permitted, inheritable] × 2 words
    check(syscall(NR.capget, header, data), "capget");
    const join = (i: number) => BigInt(data[i]!) | (BigInt(data[i + 3]!) << 32n);
    return { effective: join(0), permitted: join(1), inheritable: join(2) };
  },

  capset({ effective, permitted, inheritable }) {
    const header = new Uint32Array([CAP_V3, 0]);
    const data = new Uint32Array([
      low32(effective), low32(permitted), low32(inheritable),
      high32(effective), high32(permitted), high32(inheritable),
    ]);
    const subject = `effective=${hex(effective)} permitted=${hex(permitted)} inheritable=${hex(inheritable)}`;
    check(syscall(NR.capset, header, data), "capset", subject);
  },

  lastCap() {
    try {
      return Number.parseInt(readText("/proc/sys/kernel/cap_last_cap").trim(), 10);
    } catch {
      // /proc/sys may be masked (maskedPaths) by now: probe the bounding set as libcap does;
      // PR_CAPBSET_READ (23) fails with EINVAL past the kernel's last capability.
      let n = 0;
      while (n < 63 && libc.prctl(23, n + 1, 0, 0, 0) >= 0) n++;
      return n;
    }
  },

  setgroups(gids) {
    const list = new Uint32Array(gids.length ? gids : [0]);
    check(libc.setgroups(gids.length, list), "setgroups", gids.join(","));
  },

  setresgid(gid) {
    check(libc.setresgid(gid, gid, gid), "setresgid", String(gid));
  },

  setresuid(uid) {
    // This thread first, alone: the kernel flags PF_NPROC_EXCEEDED on the thread whose uid change
    // finds the user at RLIMIT_NPROC, and execve then fails with EAGAIN. glibc's broadcast changes
    // the calling thread last, after Bun's other threads already count for the user (rlimit NPROC 1
    // failed; runc's Go changes the calling thread first). Its uid then no longer changes.
    check(syscall(NR.setresuid, uid, uid, uid), "setresuid", String(uid));
    check(libc.setresuid(uid, uid, uid), "setresuid", String(uid));
  },

  prlimit(pid, resource, soft, hard, subject) {
    const limits = new BigUint64Array([soft, hard]);
    check(syscall(NR.prlimit64, pid, resource, limits, 0), "prlimit64", subject);
  },

  ioprioSet(ioprio) {
    check(syscall(NR.ioprio_set, IOPRIO_WHO_PROCESS, 0, ioprio), "ioprio_set", String(ioprio));
  },

  schedSetattr(attr) {
    const buf = new ArrayBuffer(SCHED_ATTR_SIZE);
    const view = new DataView(buf);
    view.setUint32(0, SCHED_ATTR_SIZE, true);
    view.setUint32(4, attr.policy, true);
    view.setBigUint64(8, attr.flags, true);
    view.setInt32(16, attr.nice, true);
    view.setUint32(20, attr.priority, true);
    view.setBigUint64(24, attr.runtime, true);
    view.setBigUint64(32, attr.deadline, true);
    view.setBigUint64(40, attr.period, true);
    // sched_util_min/max (48, 52) stay 0: only read with SCHED_FLAG_UTIL_CLAMP_*
    const bytes = new Uint8Array(buf);
    check(syscall(NR.sched_setattr, 0, bytes, 0), "sched_setattr", `policy ${attr.policy}`);
  },

  personality(persona) {
    check(libc.personality(persona), "personality", `0x${persona.toString(16)}`);
  },

  parentDeathSignal() {
    const signal = new Int32Array(1);
    check(keepAlive([signal], () => libc.prctl(2 /* PR_GET_PDEATHSIG */, addressOf(signal) as never, 0, 0, 0)), "prctl", "PR_GET_PDEATHSIG");
    return signal[0]!;
  },

  umask: (mask) => Number(libc.umask(mask)),

  writeFile(path, text) {
    // /proc files through a clone of /proc no mount can cover (CVE-2025-52881)
    if (path.startsWith("/proc/")) writeProcFile(path.slice("/proc/".length), text);
    else fsCall("write", path, () => writeText(path, text));
  },

  readFile(path) {
    try {
      return readText(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      return fsCall("read", path, () => { throw e; });
    }
  },
};

/** A capability mask as /proc/<pid>/status prints it: 16 hex digits. */
export const hex = (mask: bigint) => mask.toString(16).padStart(16, "0");
