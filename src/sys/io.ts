// fd I/O for the CLI side beyond sys/linux.ts: the listening end of a unix socket (what a
// console socket's owner runs: recvtty, an engine's shim) and raw reads; polling is in linux.ts.
import { errno, libc } from "../../ffi/libc.ts";
import { SysError } from "./errors.ts";
import { rename, unlinkIfExists } from "./fs.ts";
import { AF_UNIX, check, SOCK_CLOEXEC, SOCK_STREAM, socket, unixAddress } from "./linux.ts";

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
  const fd = libc.accept4(listenFd, null, null, SOCK_CLOEXEC);
  if (fd === -1) throw new SysError("accept", errno());
  return fd;
}

/** read(2) into buf; returns the byte count, 0 at end of file, or -errno (EIO: the pty's last slave closed). */
export function readSome(fd: number, buf: Uint8Array): number {
  const n = Number(libc.read(fd, buf, buf.length));
  return n === -1 ? -errno() : n;
}
