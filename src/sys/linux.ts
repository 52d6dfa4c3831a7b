// The narrow syscall layer: every libc call of the runtime goes through here and throws a
// SysError naming the call, errno and path. Only this module (and ffi/) touches bun:ffi.
import { ptr } from "bun:ffi";
import { errno, libc } from "../../ffi/libc.ts";
import { SysError } from "./errors.ts";

export const cstr = (s: string) => Buffer.from(`${s}\0`);

const EINTR = 4;

/**
 * Throw SysError when a libc call returned -1. errno is read first thing: every libc function
 * here returns a plain number (i32, or i64_fast), so nothing is allocated — no GC can run and
 * clobber errno — between the call and this read.
 */
export function check<T extends number>(ret: T, call: string, subject = ""): T {
  if (ret === -1) throw new SysError(call, errno(), subject);
  return ret;
}

/** `run` (a call returning -1 and setting errno on failure) again while it fails with EINTR; SysError on any other failure. */
export function retry(call: string, subject: string, run: () => number): number {
  for (;;) {
    const ret = run();
    if (ret !== -1) return ret;
    const e = errno();
    if (e !== EINTR) throw new SysError(call, e, subject);
  }
}

/**
 * Buffers C reads or writes through an address it was given as a bare number (ptr() keeps
 * nothing alive): a struct's pointer fields, a table of strings. Referenced from here until
 * the call returned, however the JIT treats the caller's locals.
 */
const pins: unknown[] = [];

/** Run the C call `run` with `buffers` kept alive until it returned. */
export function keepAlive<T>(buffers: readonly unknown[], run: () => T): T {
  pins.push(buffers);
  try { return run(); } finally { pins.pop(); }
}

/** Memory C may be given the address of. */
export type CBuffer = Parameters<typeof ptr>[0];

/** The address of `buf` for a pointer field of a struct; pass the buffer to keepAlive (or to syscall) too. */
export const addressOf = (buf: CBuffer): bigint => BigInt(ptr(buf));

// x86_64 syscall numbers for calls glibc has no wrapper for (aarch64 numbers in the second slot).
const arm = process.arch === "arm64";
export const NR = {
  pivot_root: arm ? 41 : 155,
  pidfd_open: 434,
  pidfd_send_signal: 424,
  close_range: 436,
  prlimit64: arm ? 261 : 302,
  capget: arm ? 90 : 125,
  capset: arm ? 91 : 126,
  seccomp: arm ? 277 : 317,
  ioprio_set: arm ? 30 : 251,
  sched_setattr: arm ? 274 : 314,
  openat2: 437,
  mount_setattr: 442,
  bpf: arm ? 280 : 321,
  setresuid: arm ? 147 : 117,
  setresgid: arm ? 149 : 119,
  setgroups: arm ? 159 : 116,
  memfd_create: arm ? 279 : 319,
  fcntl: arm ? 25 : 72, // variadic in libc
  // file calls of sys/fs.ts (the *at forms: aarch64 has no plain mkdir, unlink, rename…)
  statx: arm ? 291 : 332,
  getdents64: arm ? 61 : 217,
  faccessat: arm ? 48 : 269,
  mkdirat: arm ? 34 : 258,
  unlinkat: arm ? 35 : 263,
  renameat2: arm ? 276 : 316,
  symlinkat: arm ? 36 : 266,
  readlinkat: arm ? 78 : 267,
  fchmodat: arm ? 53 : 268,
  fchown: arm ? 55 : 93,
  fsync: arm ? 82 : 74,
  lseek: arm ? 62 : 8,
  getxattr: arm ? 8 : 191,
} as const;

/** A syscall argument: a number, or a buffer (passed as its address, and kept alive during the call). */
export type SyscallArg = number | bigint | CBuffer | null;
const word = (a: SyscallArg): number | bigint => (a === null ? 0 : typeof a === "object" ? ptr(a) : a);

/** syscall(2): the result, or -1 with errno set (read it next, nothing in between allocates). */
export function syscall(nr: number, a0: SyscallArg = 0, a1: SyscallArg = 0, a2: SyscallArg = 0, a3: SyscallArg = 0, a4: SyscallArg = 0, a5: SyscallArg = 0): number {
  pins.push(a0, a1, a2, a3, a4, a5);
  try {
    return libc.syscall(nr, word(a0), word(a1), word(a2), word(a3), word(a4), word(a5)) as number;
  } finally {
    pins.length -= 6;
  }
}

export const MS = {
  RDONLY: 1, NOSUID: 2, NODEV: 4, NOEXEC: 8, SYNCHRONOUS: 16, REMOUNT: 32, MANDLOCK: 64,
  DIRSYNC: 128, NOSYMFOLLOW: 256, NOATIME: 1024, NODIRATIME: 2048, BIND: 4096, MOVE: 8192,
  REC: 16384, SILENT: 32768, UNBINDABLE: 1 << 17, PRIVATE: 1 << 18, SLAVE: 1 << 19,
  SHARED: 1 << 20, RELATIME: 1 << 21, STRICTATIME: 1 << 24, LAZYTIME: 1 << 25,
} as const;

// aarch64 swaps O_DIRECTORY/O_NOFOLLOW with O_DIRECT/O_LARGEFILE (arch/arm64/include/uapi/asm/fcntl.h):
// x86's values there would silently drop O_NOFOLLOW.
export const O = {
  RDONLY: 0, WRONLY: 1, RDWR: 2, CREAT: 0o100, EXCL: 0o200, NOCTTY: 0o400, TRUNC: 0o1000,
  APPEND: 0o2000, NONBLOCK: 0o4000, DIRECTORY: arm ? 0o40000 : 0o200000, NOFOLLOW: arm ? 0o100000 : 0o400000,
  CLOEXEC: 0o2000000, PATH: 0o10000000,
} as const;

export const CLONE = {
  NEWNS: 0x00020000, NEWCGROUP: 0x02000000, NEWUTS: 0x04000000, NEWIPC: 0x08000000,
  NEWUSER: 0x10000000, NEWPID: 0x20000000, NEWNET: 0x40000000, NEWTIME: 0x00000080,
} as const;

export function mount(source: string | null, target: string, fstype: string | null, flags: number, data?: string) {
  const s = source === null ? null : cstr(source);
  const t = cstr(target);
  const f = fstype === null ? null : cstr(fstype);
  const d = data ? cstr(data) : null;
  retry("mount", target, () => libc.mount(s, t, f, flags, d));
}

export function umount2(target: string, flags: number) {
  const t = cstr(target);
  return retry("umount", target, () => libc.umount2(t, flags));
}
export const chdir = (path: string) => check(libc.chdir(cstr(path)), "chdir", path);
export const chroot = (path: string) => check(libc.chroot(cstr(path)), "chroot", path);
export const mkfifo = (path: string, mode: number) => check(libc.mkfifo(cstr(path), mode), "mkfifo", path);
export const mknod = (path: string, mode: number, dev: number) => check(libc.mknod(cstr(path), mode, dev), "mknod", path);
export const umask = (mask: number) => Number(libc.umask(mask));
/** open(2); EINTR (a fifo's open waits for its other end) retried. */
export function open(path: string, flags: number, mode = 0) {
  const name = cstr(path);
  return retry("open", path, () => libc.open(name, flags, mode));
}
export function openat(dirfd: number, path: string, flags: number, mode = 0) {
  const name = cstr(path);
  return retry("openat", path, () => libc.openat(dirfd, name, flags, mode));
}
export const close = (fd: number) => libc.close(fd);
export const dup2 = (from: number, to: number) => check(libc.dup2(from, to), "dup2", String(from));
export const fchdir = (fd: number) => check(libc.fchdir(fd), "fchdir");
export const kill = (pid: number, sig: number) => check(libc.kill(pid, sig), "kill", String(pid));
export const setsid = () => check(libc.setsid(), "setsid");
export const getpid = () => libc.getpid();

export function pivotRoot(newRoot: string, putOld: string) {
  check(syscall(NR.pivot_root, cstr(newRoot), cstr(putOld)), "pivot_root", newRoot);
}

export function sethostname(name: string) {
  const b = Buffer.from(name);
  check(libc.sethostname(b, b.length), "sethostname", name);
}
export function setdomainname(name: string) {
  const b = Buffer.from(name);
  check(libc.setdomainname(b, b.length), "setdomainname", name);
}

export function prctl(option: number, a = 0, b = 0, c = 0, d = 0) {
  return check(libc.prctl(option, a, b, c, d), "prctl", String(option));
}
export const PR = { SET_PDEATHSIG: 1, SET_NO_NEW_PRIVS: 38, SET_CHILD_SUBREAPER: 36, SET_KEEPCAPS: 8 } as const;

export function socketpair(): [number, number] {
  const fds = new Int32Array(2);
  // AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC: the child's end is un-CLOEXEC'd explicitly
  check(libc.socketpair(1, 1 | 0o2000000, 0, fds), "socketpair");
  return [fds[0]!, fds[1]!];
}

/** Move an fd to the lowest free number >= min (close-on-exec), closing the original. */
export function moveFdAbove(fd: number, min: number): number {
  const moved = check(syscall(NR.fcntl, fd, 1030 /* F_DUPFD_CLOEXEC */, min), "fcntl F_DUPFD_CLOEXEC", String(fd));
  libc.close(fd);
  return moved;
}

export function clearCloexec(fd: number) {
  // fcntl(F_SETFD, 0) through syscall: fcntl is variadic in libc
  check(syscall(NR.fcntl, fd, 2 /* F_SETFD */, 0), "fcntl F_SETFD", String(fd));
}

export const WNOHANG = 1;
/** waitpid; returns [pid, rawStatus] (pid 0 with WNOHANG when still running). */
export function waitpid(pid: number, options = 0): [number, number] {
  const status = new Int32Array(1);
  const ret = retry("waitpid", String(pid), () => libc.waitpid(pid, status, options));
  return [ret, status[0]!];
}
/** Exit code the way shells report it: the code, or 128+signal. */
export const exitCodeOf = (status: number) => ((status & 0x7f) === 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f));

/** poll several fds for input; returns those readable or hung up (empty on timeout). EINTR: polled again for the time left. */
export function pollReadable(fds: readonly number[], timeoutMs: number): number[] {
  const table = new Int32Array(fds.length * 2);
  fds.forEach((fd, i) => { table[i * 2] = fd; table[i * 2 + 1] = 1; /* events = POLLIN */ });
  const deadline = timeoutMs < 0 ? Infinity : Date.now() + timeoutMs;
  for (;;) {
    const left = timeoutMs < 0 ? -1 : Math.max(0, deadline - Date.now());
    if (libc.poll(table, fds.length, left) !== -1) break;
    const e = errno();
    if (e !== EINTR) throw new SysError("poll", e);
  }
  // revents is the high 16 bits of each entry's second word
  return fds.filter((_, i) => (table[i * 2 + 1]! >>> 16) !== 0);
}

/** poll one fd for readability; true when readable (or hung up) within timeoutMs. */
export const pollIn = (fd: number, timeoutMs: number): boolean => pollReadable([fd], timeoutMs).length > 0;

export const LOCK_EX = 2;
/** flock(2); a wait for the lock interrupted by a signal (EINTR) waits again. */
export const flock = (fd: number, op: number) => retry("flock", String(fd), () => libc.flock(fd, op));

export function pidfdOpen(pid: number): number {
  return check(syscall(NR.pidfd_open, pid, 0), "pidfd_open", String(pid));
}

export function setns(fd: number, nstype: number, subject = "") {
  check(libc.setns(fd, nstype), "setns", subject);
}
export const unshare = (flags: number) => check(libc.unshare(flags), "unshare");

/** execve: only returns by throwing. */
export function execve(path: string, argv: string[], env: string[]): never {
  const strings = [...argv, ...env].map(cstr);
  const table = (list: Buffer[]) => {
    const arr = new BigUint64Array(list.length + 1);
    list.forEach((b, i) => (arr[i] = addressOf(b)));
    return arr;
  };
  const argvT = table(strings.slice(0, argv.length));
  const envT = table(strings.slice(argv.length));
  const file = cstr(path);
  keepAlive(strings, () => libc.execve(file, argvT, envT));
  throw new SysError("exec", errno(), path);
}

/** memfd_create(name, MFD_CLOEXEC): an anonymous file, e.g. for a library that writes to an fd. */
export function memfdCreate(name: string): number {
  return check(syscall(NR.memfd_create, cstr(name), 1 /* MFD_CLOEXEC */), "memfd_create", name);
}

/**
 * seccomp(SECCOMP_SET_MODE_FILTER, flags, &(struct sock_fprog){len, filter}) on the calling
 * thread; returns its result (the notify fd with SECCOMP_FILTER_FLAG_NEW_LISTENER).
 */
export function seccompSetModeFilter(program: Uint8Array, flags: number): number {
  const fprog = new BigUint64Array([BigInt(program.length / 8), addressOf(program)]); // u16 len (+6 padding), filter *
  return check(keepAlive([program], () => syscall(NR.seccomp, 1 /* SECCOMP_SET_MODE_FILTER */, flags, fprog)), "seccomp(SECCOMP_SET_MODE_FILTER)");
}

/** Mark every fd from `from` up close-on-exec (close_range CLOSE_RANGE_CLOEXEC). */
export function cloexecFrom(from: number) {
  check(syscall(NR.close_range, from, 0xffffffff, 4 /* CLOSE_RANGE_CLOEXEC */), "close_range");
}

/** mount_setattr(AT_RECURSIVE): the recursive rro/rnosuid/… attributes. */
export function mountSetattr(path: string, set: number, clear: number) {
  // struct mount_attr { u64 attr_set, attr_clr, propagation, userns_fd }
  const attr = new BigUint64Array([BigInt(set), BigInt(clear), 0n, 0n]);
  check(syscall(NR.mount_setattr, -100, cstr(path), 0x8000 /* AT_RECURSIVE */, attr, 32), "mount_setattr", path);
}

/** Reset one signal's disposition to SIG_DFL (rt_sigaction: libc's signal() is not in our table). */
export function signalDefault(sig: number) {
  const act = new BigUint64Array([0n, 0n, 0n, 0n]); // handler SIG_DFL, flags, restorer, mask
  syscall(arm ? 134 : 13, sig, act, 0, 8);
}

/** sendmsg one fd with SCM_RIGHTS and a payload (runc's recvtty protocol, seccomp agents). */
export const sendFd = (sock: number, payload: string, fd: number) => sendFds(sock, payload, [fd]);

const MAX_FDS = 32; // per message: plenty for init's cgroup "tasks" fds (one per v1 hierarchy)

/** sendmsg of `payload` with `fds` attached (SCM_RIGHTS). */
export function sendFds(sock: number, payload: string, fds: readonly number[]) {
  if (fds.length > MAX_FDS) throw new SysError("sendmsg", 7 /* E2BIG */, `${fds.length} fds`);
  const data = Buffer.from(payload.length ? payload : "\0");
  const iov = new BigUint64Array([addressOf(data), BigInt(data.length)]);
  const cmsgLen = 16 + 4 * fds.length; // CMSG_LEN
  const space = (cmsgLen + 7) & ~7;    // CMSG_SPACE
  const control = new ArrayBuffer(space);
  const cv = new DataView(control);
  cv.setBigUint64(0, BigInt(cmsgLen), true);
  cv.setInt32(8, 1, true);       // SOL_SOCKET
  cv.setInt32(12, 1, true);      // SCM_RIGHTS
  fds.forEach((fd, i) => cv.setInt32(16 + 4 * i, fd, true));
  const controlBytes = new Uint8Array(control);
  const msg = new BigUint64Array([0n, 0n, addressOf(iov), 1n, fds.length ? addressOf(controlBytes) : 0n, fds.length ? BigInt(space) : 0n, 0n]);
  let sent = keepAlive([data, iov, controlBytes], () => retry("sendmsg", String(sock), () => libc.sendmsg(sock, msg, 0x4000 /* MSG_NOSIGNAL */) as number));
  // a stream socket may take a long payload in parts (the fds went with the first)
  while (sent < data.length) {
    const rest = data.subarray(sent);
    sent += retry("write", String(sock), () => libc.write(sock, rest, rest.length) as number);
  }
}

/** recvmsg with SCM_RIGHTS; returns the bytes and the fds that came with them (close-on-exec). */
export function recvFds(sock: number): { data: Buffer; fds: number[] } {
  const data = Buffer.alloc(4096);
  const iov = new BigUint64Array([addressOf(data), BigInt(data.length)]);
  const control = new Uint8Array(16 + 4 * MAX_FDS);
  const msg = new BigUint64Array([0n, 0n, addressOf(iov), 1n, addressOf(control), BigInt(control.length), 0n]);
  const n = keepAlive([data, iov, control], () => retry("recvmsg", String(sock), () => libc.recvmsg(sock, msg, 0x40000000 /* MSG_CMSG_CLOEXEC */) as number));
  const cv = new DataView(control.buffer);
  const fds: number[] = [];
  if (Number(msg[5]) >= 20 && cv.getInt32(8, true) === 1 && cv.getInt32(12, true) === 1) {
    const count = (Number(cv.getBigUint64(0, true)) - 16) / 4;
    for (let i = 0; i < count; i++) fds.push(cv.getInt32(16 + 4 * i, true));
  }
  return { data: Buffer.from(data.subarray(0, n)), fds };
}

/** recvFds of a message with at most one fd (-1 if none). */
export function recvFd(sock: number): { data: Buffer; fd: number } {
  const { data, fds } = recvFds(sock);
  for (const extra of fds.slice(1)) close(extra);
  return { data, fd: fds[0] ?? -1 };
}

export const AF_UNIX = 1, SOCK_STREAM = 1, SOCK_CLOEXEC = 0o2000000;

export const socket = (domain: number, type: number, subject = "") => check(libc.socket(domain, type, 0), "socket", subject);

/** struct sockaddr_un for `path`; `call` names the operation in the ENAMETOOLONG error. */
export function unixAddress(path: string, call: string): Buffer {
  if (Buffer.byteLength(path) > 107) throw new SysError(call, 36 /* ENAMETOOLONG */, path);
  const addr = Buffer.alloc(110);
  addr.writeUInt16LE(AF_UNIX, 0);
  addr.write(path, 2);
  return addr;
}

/** Connect a unix stream socket; returns the fd. */
export function connectUnix(path: string): number {
  const addr = unixAddress(path, "connect");
  const fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, path);
  for (let interrupted = false; libc.connect(fd, addr, addr.length) === -1; ) {
    const e = errno();
    if (e === EINTR) { interrupted = true; continue; }
    if (e === 106 /* EISCONN */ && interrupted) break; // the interrupted attempt went through
    libc.close(fd);
    throw new SysError("connect", e, path);
  }
  return fd;
}

export const ioctl = (fd: number, request: number, arg: ArrayBufferView | null, subject = `0x${request.toString(16)}`) =>
  retry("ioctl", subject, () => libc.ioctl(fd, request, arg as never));
