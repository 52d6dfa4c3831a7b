// The few system calls seccomp needs, on top of ffi/libc.ts, each throwing SysError. Kept free
// of libseccomp and of the syscall tables: init imports this (through load.ts).
import { ptr } from "bun:ffi";
import { errno, libc } from "../../../ffi/libc.ts";
import { SysError } from "../../sys/errors.ts";

const arm64 = process.arch === "arm64";
const NR_SECCOMP = arm64 ? 277 : 317;
const NR_MEMFD_CREATE = arm64 ? 279 : 319;
const MFD_CLOEXEC = 1;
const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;

function rawSyscall(nr: number, a = 0, b = 0, c = 0): number {
  return Number(libc.syscall(nr, a, b, c, 0, 0, 0));
}

export function memfdCreate(name: string): number {
  const cname = Buffer.from(`${name}\0`);
  const fd = rawSyscall(NR_MEMFD_CREATE, ptr(cname), MFD_CLOEXEC);
  if (fd < 0) throw new SysError("memfd_create", errno(), name);
  return fd;
}

/** seccomp(SECCOMP_SET_MODE_FILTER, flags, &(struct sock_fprog){len, filter}); returns its result. */
export function seccompSetModeFilter(program: Uint8Array, flags: number): number {
  const SECCOMP_SET_MODE_FILTER = 1;
  const fprog = new Uint8Array(16); // unsigned short len; (6 bytes padding) struct sock_filter *filter
  const view = new DataView(fprog.buffer);
  view.setUint16(0, program.length / 8, true);
  view.setBigUint64(8, BigInt(ptr(program)), true);
  const rc = rawSyscall(NR_SECCOMP, SECCOMP_SET_MODE_FILTER, flags, ptr(fprog));
  if (rc < 0) throw new SysError("seccomp(SECCOMP_SET_MODE_FILTER)", errno());
  return rc;
}

/** sockaddr_un for a path (108 bytes of sun_path). */
export function sockaddrUnix(path: string): Uint8Array {
  const bytes = Buffer.from(path);
  if (bytes.length >= 108) throw new SysError("connect", 36 /* ENAMETOOLONG */, path);
  const addr = new Uint8Array(110);
  new DataView(addr.buffer).setUint16(0, AF_UNIX, true);
  addr.set(bytes, 2);
  return addr;
}

/** Connect a SOCK_STREAM unix socket to path; the caller closes the fd. */
export function connectUnix(path: string): number {
  const fd = libc.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw new SysError("socket", errno(), path);
  const addr = sockaddrUnix(path);
  if (libc.connect(fd, ptr(addr), addr.length) < 0) {
    const e = errno();
    libc.close(fd);
    throw new SysError("connect", e, path);
  }
  return fd;
}

/** One sendmsg carrying `payload` and `fd` as SCM_RIGHTS. */
export function sendWithFd(socket: number, payload: Uint8Array, fd: number, subject: string) {
  const iov = new Uint8Array(16); // struct iovec { void *base; size_t len; }
  const iovView = new DataView(iov.buffer);
  iovView.setBigUint64(0, BigInt(ptr(payload)), true);
  iovView.setBigUint64(8, BigInt(payload.length), true);
  const control = new Uint8Array(24); // CMSG_SPACE(sizeof(int)): cmsghdr { size_t len; int level; int type; } + int
  const cmsg = new DataView(control.buffer);
  cmsg.setBigUint64(0, 20n, true); // CMSG_LEN(sizeof(int))
  cmsg.setInt32(8, SOL_SOCKET, true);
  cmsg.setInt32(12, SCM_RIGHTS, true);
  cmsg.setInt32(16, fd, true);
  const msg = new Uint8Array(56); // struct msghdr
  const msgView = new DataView(msg.buffer);
  msgView.setBigUint64(16, BigInt(ptr(iov)), true); // msg_iov
  msgView.setBigUint64(24, 1n, true); // msg_iovlen
  msgView.setBigUint64(32, BigInt(ptr(control)), true); // msg_control
  msgView.setBigUint64(40, BigInt(control.length), true); // msg_controllen
  const sent = Number(libc.sendmsg(socket, ptr(msg), 0));
  if (sent < 0) throw new SysError("sendmsg", errno(), subject);
  if (sent !== payload.length) throw new SysError("sendmsg", 5 /* EIO: short write */, subject);
}
