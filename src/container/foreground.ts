// Foreground `run` and `exec`: we are the container process's (sub)reaper, forward the usual
// signals to it, proxy its pty when we own the terminal, and return its exit status.
import * as sys from "../sys/linux.ts";
import { exitCodeOf, pollReadable, PR } from "../sys/linux.ts";
import { writeAll } from "../sys/fs.ts";
import { readSome } from "../sys/io.ts";
import { clearOnlcr, isTerminal, setRawMode, windowSize } from "../linux/terminal.ts";
import type { NotifyRelay } from "./notify.ts";

// What runc forwards (signals.go); with a pty, WINCH resizes the pty instead.
const FORWARDED = ["SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH"] as const;
const SIGNUM: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGUSR1: 10, SIGUSR2: 12, SIGTERM: 15, SIGWINCH: 28 };
const TIOCSWINSZ = 0x5414;
const EAGAIN = 11, EINTR = 4;
/** After the process exited, how long output still buffered in the pty is copied. */
const DRAIN_MS = 500;

/**
 * Our terminal's size, for a pty we will proxy: init sets it before the process runs (a resize
 * after the fact would race with a process that reads its size at once, like `stty size`).
 */
export const callerWindowSize = () => windowSize(1);

/** Before spawning: orphans of the double fork (init in a new pid namespace) reparent to us. */
export const becomeSubreaper = () => sys.prctl(PR.SET_CHILD_SUBREAPER, 1);
/** `run --no-subreaper`, once init is ours: later orphans go to the host's reaper, as with runc. */
export const stopBeingSubreaper = () => sys.prctl(PR.SET_CHILD_SUBREAPER, 0);

/**
 * Foreground run/exec: call before create/exec. Signals that arrive before the process exists
 * are held and delivered once it does (a TERM during create must not kill us and orphan it).
 * With `ownConsole` (no --console-socket) a socketpair stands in for one, so when the process has a terminal,
 * init sends the pty master to us and we proxy it: `theirs` goes to init (used only if
 * process.terminal). `wait` returns the exit status.
 */
export function foregroundConsole(ownConsole: boolean) {
  // with --console-socket the master goes there: we only wait and forward signals
  // Above the low fds: made before create/exec check which fds the caller preserves
  // (--preserve-fds, LISTEN_FDS count from 3), ours must never pass for one of them.
  const [ours, theirs] = ownConsole ? sys.socketpair().map((fd) => sys.moveFdAbove(fd, 512)) : [-1, undefined];
  const forwarder = new SignalForwarder();
  let attached = false, tty: PtyProxy | undefined;
  /** Once init is ready: take the pty master if it sent one; our terminal goes raw at once. */
  const attach = () => {
    if (attached || theirs === undefined) return;
    attached = true;
    sys.close(theirs);
    // init sent the master (terminal) or closed its end (no terminal) by the time it was ready
    const master = sys.pollIn(ours, 0) ? sys.recvFd(ours).fd : -1;
    sys.close(ours);
    if (master >= 0) tty = new PtyProxy(master);
  };
  return {
    theirs,
    /** `run` calls it before `start`: input typed once the process runs must not be echoed by our terminal */
    attach,
    /** With `notify`, the container's notifications go on to our caller while we wait. */
    async wait(pid: number, notify?: NotifyRelay): Promise<number> {
      attach();
      try {
        return await waitForeground(pid, forwarder, tty, notify);
      } finally {
        notify?.close();
      }
    },
  };
}

/** Forwards FORWARDED to the target once known; SIGWINCH resizes the pty instead, if we proxy one. */
class SignalForwarder {
  private target = 0;
  private tty: PtyProxy | undefined;
  private readonly held: number[] = [];
  private readonly handlers = FORWARDED.map((name) => {
    const handler = () => this.deliver(SIGNUM[name]!);
    process.on(name, handler);
    return [name, handler] as const;
  });

  private deliver(signal: number) {
    if (!this.target) { this.held.push(signal); return; }
    if (signal === SIGNUM.SIGWINCH && this.tty) { this.tty.resize(); return; }
    try { sys.kill(this.target, signal); } catch {}
  }

  start(pid: number, tty?: PtyProxy) {
    this.target = pid;
    this.tty = tty;
    for (const signal of this.held.splice(0)) this.deliver(signal);
  }

  stop() {
    for (const [name, handler] of this.handlers) process.off(name, handler);
  }
}

/**
 * Copies between our stdio and the pty master, driven by the wait loop (poll, no streams: the
 * CLI must be able to exit the moment the process is gone). Our terminal goes to raw mode and
 * is restored on every exit path; our window size is copied to the pty, now and on SIGWINCH.
 */
export class PtyProxy {
  private stdinOpen = true;
  private readonly buf = new Uint8Array(65536);
  private readonly restoreTerminal: () => void;
  private readonly onExit = () => this.restore();
  readonly resize = () => {
    const size = windowSize(1); // asked anew: Bun's process.stdout.getWindowSize() keeps the first answer
    if (size) try { sys.ioctl(this.master, TIOCSWINSZ, new Uint16Array([size.height, size.width, 0, 0])); } catch {}
  };

  constructor(readonly master: number) {
    clearOnlcr(master);
    this.resize();
    this.restoreTerminal = isTerminal(0) ? setRawMode(0) : () => {};
    process.on("exit", this.onExit);
  }

  fds(): number[] { return this.stdinOpen ? [this.master, 0] : [this.master]; }

  /** Copy what is ready; false once the pty is closed (EIO: the last slave fd is gone). */
  copy(ready: readonly number[]): boolean {
    if (ready.includes(0)) {
      const n = readSome(0, this.buf);
      if (n > 0) writeAll(this.master, this.buf.subarray(0, n));
      else if (n !== -EAGAIN && n !== -EINTR) this.stdinOpen = false;
    }
    if (ready.includes(this.master)) {
      const n = readSome(this.master, this.buf);
      if (n > 0) writeAll(1, this.buf.subarray(0, n));
      else if (n !== -EAGAIN && n !== -EINTR) return false;
    }
    return true;
  }

  restore() {
    process.off("exit", this.onExit);
    this.restoreTerminal();
    sys.close(this.master);
  }
}

/** Wait for `pid` (our child or reparented to us), forwarding signals; returns its exit code. */
async function waitForeground(pid: number, forwarder: SignalForwarder, tty?: PtyProxy, notify?: NotifyRelay): Promise<number> {
  forwarder.start(pid, tty);
  const pidfd = sys.pidfdOpen(pid);
  try {
    let ptyOpen = tty !== undefined;
    // Short polls, yielding to the event loop in between so signal handlers run.
    for (;;) {
      const ready = pollReadable([pidfd, ...(ptyOpen ? tty!.fds() : []), ...(notify ? [notify.fd] : [])], 10);
      if (ptyOpen) ptyOpen = tty!.copy(ready);
      // we stay the process systemd watches: MAINPID is ours, as runc's foreground run
      if (notify && ready.includes(notify.fd)) notify.pump(process.pid, true);
      if (ready.includes(pidfd)) break;
      await Bun.sleep(0);
    }
    const [, status] = sys.waitpid(pid, 0);
    // Output still in the pty; stop early if a leftover process keeps the slave open.
    const deadline = Date.now() + DRAIN_MS;
    while (ptyOpen && Date.now() < deadline) {
      const ready = pollReadable([tty!.master], 10);
      if (!ready.length) break;
      ptyOpen = tty!.copy(ready);
    }
    return exitCodeOf(status);
  } finally {
    sys.close(pidfd);
    forwarder.stop();
    tty?.restore();
  }
}
