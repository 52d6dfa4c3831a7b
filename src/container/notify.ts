// NOTIFY_SOCKET (sd_notify(3)) through the container, as runc 1.1.5 (notify_socket.go): when our
// caller (a systemd Type=notify unit) has one, the container gets a socket of ours instead, at
// /run/notify/notify.sock (its directory in the state dir, bound in read-only), and we relay its
// READY=1 with MAINPID=<host pid> to the caller's socket. systemd only listens to the unit's main
// process (NotifyAccess=main), and only we know the host pid.
import type { Mount } from "../spec/types.ts";
import { RuntimeError, SysError } from "../sys/errors.ts";
import { chmod, exists, mkdir } from "../sys/fs.ts";
import { bindDatagram, connectDatagram, readSome, sendDatagram } from "../sys/io.ts";
import * as sys from "../sys/linux.ts";

export const NOTIFY_SOCKET_IN_CONTAINER = "/run/notify/notify.sock";
const notifyDir = (stateDir: string) => `${stateDir}/notify`;
const EINTR = 4;
/** How long we wait for the caller to take our messages (sd_notify_barrier) before we exit. */
const BARRIER_MS = 5000;

/**
 * create/run with NOTIFY_SOCKET: make the directory our socket will be bound in (by `start`, whose
 * caller is the one to notify) and return its bind mount; runc's options.
 */
export function prepareNotifyDir(stateDir: string): Mount | undefined {
  if (!process.env.NOTIFY_SOCKET) return undefined;
  mkdir(notifyDir(stateDir), 0o755);
  return { destination: "/run/notify", source: notifyDir(stateDir), options: ["bind", "nosuid", "noexec", "nodev", "ro"] };
}

/** The process's env with NOTIFY_SOCKET pointing at our socket, whatever config.json said. */
export const withNotifyEnv = (env: readonly string[] = []): string[] =>
  [...env.filter((e) => !e.startsWith("NOTIFY_SOCKET=")), `NOTIFY_SOCKET=${NOTIFY_SOCKET_IN_CONTAINER}`];

// Lines that name our pid namespace's pids or carry fds: not for the caller (the fds are closed
// when we read the datagram, which completes a BARRIER=1 at once).
const NOT_RELAYED = /^(MAINPID|BARRIER|FDSTORE|FDSTOREREMOVE|FDNAME|FDPOLL)=/;

export class NotifyRelay {
  private readonly buf = new Uint8Array(4096);
  private readySent = false;

  private constructor(readonly fd: number, private readonly host: number, private readonly hostName: string) {}

  /**
   * start/run, before the process runs (it may notify at once): bind our socket if create made its
   * directory and our caller has NOTIFY_SOCKET, and connect to the caller's: an unreachable
   * NOTIFY_SOCKET fails here, before the process runs, not after.
   */
  static listen(stateDir: string, warn: (m: string) => void): NotifyRelay | undefined {
    const hostName = process.env.NOTIFY_SOCKET;
    if (!hostName) return undefined;
    if (!exists(notifyDir(stateDir))) {
      warn("NOTIFY_SOCKET is set but the container was created without it: its notifications cannot reach the caller");
      return undefined;
    }
    let host = -1;
    try {
      host = connectDatagram(hostName);
    } catch (e) {
      throw new RuntimeError(`NOTIFY_SOCKET "${hostName}": ${(e as Error).message}`, { cause: e });
    }
    const path = `${notifyDir(stateDir)}/notify.sock`;
    try {
      const fd = bindDatagram(path);
      try {
        chmod(path, 0o777); // any user of the container may notify, as runc
      } catch (e) {
        sys.close(fd);
        throw e;
      }
      return new NotifyRelay(fd, host, hostName);
    } catch (e) {
      sys.close(host);
      throw e;
    }
  }

  /**
   * Read every datagram waiting. Detached (start, run -d): only the one with READY counts, relayed
   * with MAINPID=<mainPid> added, in one datagram (runc sends only the READY line, and MAINPID
   * in a second datagram). Foreground
   * run: every message goes on (less what is ours alone), the one with READY gets MAINPID=<mainPid>
   * (our own pid: we are the process systemd should watch). Returns true once READY was relayed.
   */
  pump(mainPid: number, forwardAll: boolean): boolean {
    for (;;) {
      const n = readSome(this.fd, this.buf);
      if (n === -EINTR) continue;
      if (n < 0) return this.readySent; // EAGAIN: nothing more for now
      const lines = Buffer.from(this.buf.subarray(0, n)).toString("utf8").split("\n").filter((l) => l && !NOT_RELAYED.test(l));
      const ready = lines.find((l) => l.startsWith("READY="));
      // detached, only the datagram with READY goes on (with its STATUS= etc.): we exit after it
      if (!forwardAll && (!ready || this.readySent)) continue;
      if (ready && !this.readySent) lines.push(`MAINPID=${mainPid}`);
      if (!lines.length) continue;
      sendDatagram(this.host, `${lines.join("\n")}\n`, this.hostName);
      if (ready) this.readySent = true;
    }
  }

  /**
   * start, run -d: wait until the container's process says READY and relay it with its host pid,
   * then wait (bounded) until the caller has read it: we exit next, and systemd must take
   * MAINPID before it sees its main process (us) gone. False if the process exited first.
   */
  waitReady(pid: number, warn: (m: string) => void): boolean {
    let pidfd = -1;
    try {
      pidfd = sys.pidfdOpen(pid);
    } catch { /* exited already: what it sent before is still queued */ }
    try {
      for (;;) {
        if (this.pump(pid, false)) break;
        if (pidfd < 0) return false;
        const ready = sys.pollReadable([this.fd, pidfd], 1000);
        if (ready.includes(pidfd) && !ready.includes(this.fd)) {
          if (this.pump(pid, false)) break;
          return false;
        }
      }
    } finally {
      if (pidfd >= 0) sys.close(pidfd);
    }
    this.barrier(warn);
    return true;
  }

  /** sd_notify_barrier(3), as newer runc: the caller closes the fd once it has read what came before. */
  private barrier(warn: (m: string) => void) {
    const [ours, theirs] = sys.socketpair();
    try {
      try {
        sys.sendFds(this.host, "BARRIER=1", [theirs]);
      } finally {
        sys.close(theirs); // the caller's copy is the only one left
      }
      if (!sys.pollIn(ours, BARRIER_MS)) warn(`NOTIFY_SOCKET "${this.hostName}": no answer to BARRIER=1 within ${BARRIER_MS / 1000} s`);
    } catch (e) {
      warn(`NOTIFY_SOCKET "${this.hostName}": BARRIER=1: ${(e as SysError).message}`);
    } finally {
      sys.close(ours);
    }
  }

  close() {
    sys.close(this.fd);
    sys.close(this.host);
  }
}

export const exitedBeforeReady = () =>
  new RuntimeError("the container's process exited before it sent READY=1 to NOTIFY_SOCKET");
