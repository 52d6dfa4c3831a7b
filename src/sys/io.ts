// fd I/O for the CLI side beyond sys/linux.ts: the listening end of a unix socket (what a
// console socket's owner runs: recvtty, an engine's shim) and raw reads; polling is in linux.ts.
import { errno, libc } from "../../ffi/libc.ts";
import { SysError } from "./errors.ts";
import { rename, unlinkIfExists } from "./fs.ts";
import { AF_UNIX, check, retry, SOCK_CLOEXEC, SOCK_STREAM, socket, unixAddress } from "./linux.ts";

/**
 * Listen on `path`. The socket is bound and listening under a temporary name and then renamed,
 * so whoever sees `path` exist can connect at once (no ECONNREFUSED window).
 */
export function listenUnix(path: string, backlog = 16): number {
  const fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, path);
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    unlinkIfExists(tmp);
    const addr = unixAddress(tmp, "bind");
    check(libc.bind(fd, addr, addr.length), "bind", tmp);
    check(libc.listen(fd, backlog), "listen", tmp);
    rename(tmp, path);
  } catch (e) {
    libc.close(fd);
    unlinkIfExists(tmp);
    throw e;
  }
  return fd;
}

/** accept4 with SOCK_CLOEXEC; blocks. */
export function acceptUnix(listenFd: number): number {
  return retry("accept", String(listenFd), () => libc.accept4(listenFd, null, null, SOCK_CLOEXEC));
}

/** read(2) into buf, EINTR retried; returns the byte count, 0 at end of file, or -errno (EIO: the pty's last slave closed). */
export function readSome(fd: number, buf: Uint8Array): number {
  for (;;) {
    const n = libc.read(fd, buf, buf.length) as number;
    if (n !== -1) return n;
    const e = errno();
    if (e !== 4 /* EINTR */) return -e;
  }
}

export const SOCK_DGRAM = 2, SOCK_NONBLOCK = 0o4000;

/**
 * sockaddr_un and its length for a path, or for an abstract name written "@name" (the way
 * systemd and Go spell them in NOTIFY_SOCKET): an abstract address is exactly as long as its name.
 */
function unixAddressOrAbstract(name: string, call: string): { addr: Buffer; len: number } {
  if (!name.startsWith("@")) {
    const addr = unixAddress(name, call);
    return { addr, len: addr.length };
  }
  const bytes = Buffer.from(name.slice(1));
  if (bytes.length > 107) throw new SysError(call, 36 /* ENAMETOOLONG */, name);
  const addr = Buffer.alloc(3 + bytes.length);
  addr.writeUInt16LE(AF_UNIX, 0);
  bytes.copy(addr, 3); // byte 2 stays 0: the abstract namespace
  return { addr, len: addr.length };
}

/** A non-blocking unix datagram socket bound to `path` (a leftover file there is replaced). */
export function bindDatagram(path: string): number {
  const fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, path);
  try {
    unlinkIfExists(path);
    const { addr, len } = unixAddressOrAbstract(path, "bind");
    check(libc.bind(fd, addr, len), "bind", path);
  } catch (e) {
    libc.close(fd);
    throw e;
  }
  return fd;
}

/** A unix datagram socket connected to `name` (a path or an "@abstract" name). */
export function connectDatagram(name: string): number {
  const fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, name);
  const { addr, len } = unixAddressOrAbstract(name, "connect");
  if (libc.connect(fd, addr, len) === -1) {
    const e = errno();
    libc.close(fd);
    throw new SysError("connect", e, name);
  }
  return fd;
}

/** Send one datagram on a connected socket. */
export function sendDatagram(fd: number, text: string, subject = String(fd)) {
  const data = Buffer.from(text);
  check(Number(libc.write(fd, data, data.length)), "send", subject);
}
