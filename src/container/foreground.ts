// Foreground `run` and `exec`: we are the container process's (sub)reaper, forward the usual
// signals to it, proxy its pty when we own the terminal, and return its exit status.
import { createReadStream, createWriteStream } from "node:fs";
import * as sys from "../sys/linux.ts";
import { exitCodeOf, PR } from "../sys/linux.ts";

const FORWARDED = ["SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH"] as const;
const SIGNUM: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGUSR1: 10, SIGUSR2: 12, SIGTERM: 15, SIGWINCH: 28 };

/** Before spawning: orphans of the double fork (init in a new pid namespace) reparent to us. */
export const becomeSubreaper = () => sys.prctl(PR.SET_CHILD_SUBREAPER, 1);

/**
 * Foreground run/exec without --console-socket: a socketpair stands in for it, so when the
 * process has a terminal, init sends the pty master to us and we proxy it. `theirs` goes to
 * init (used only if process.terminal); `wait` returns the exit status.
 */
export function foregroundConsole() {
  const [ours, theirs] = sys.socketpair();
  return {
    theirs,
    async wait(pid: number): Promise<number> {
      sys.close(theirs);
      // init sent the master (terminal) or closed its end (no terminal) by the time it was ready
      let tty: Tty | undefined;
      if (sys.pollIn(ours, 0)) {
        const { fd } = sys.recvFd(ours);
        if (fd >= 0) tty = proxyPty(fd);
      }
      sys.close(ours);
      return waitForeground(pid, tty);
    },
  };
}

export interface Tty { restore: () => void; done: Promise<void> }

/** Copy between our terminal and the pty master; raw mode; SIGWINCH resizes. */
export function proxyPty(master: number): Tty {
  const stdin = process.stdin;
  const isTty = stdin.isTTY;
  const resize = () => {
    if (process.stdout.isTTY) {
      const [cols, rows] = process.stdout.getWindowSize();
      try { sys.ioctl(master, 0x5414 /* TIOCSWINSZ */, new Uint16Array([rows, cols, 0, 0])); } catch {}
    }
  };
  resize();
  if (isTty) stdin.setRawMode(true);
  const restore = () => { if (isTty) try { stdin.setRawMode(false); } catch {} };
  process.on("exit", restore);
  process.on("SIGWINCH", resize);
  const out = createReadStream("", { fd: master, autoClose: false });
  const input = createWriteStream("", { fd: master, autoClose: false });
  stdin.on("data", (d) => input.write(d));
  const done = new Promise<void>((resolve) => {
    out.on("data", (d) => process.stdout.write(d));
    out.on("error", () => resolve()); // EIO once the last slave fd closes
    out.on("end", () => resolve());
  });
  return { restore, done };
}

/** Wait for `pid` (our child or reparented to us), forwarding signals; returns its exit code. */
export async function waitForeground(pid: number, tty?: Tty): Promise<number> {
  const handlers = FORWARDED.map((name) => {
    const h = () => { try { sys.kill(pid, SIGNUM[name]!); } catch {} };
    if (!(tty && name === "SIGWINCH")) process.on(name, h);
    return [name, h] as const;
  });
  const pidfd = sys.pidfdOpen(pid);
  try {
    // Short polls, yielding to the event loop in between so signal handlers and the pty run.
    while (!sys.pollIn(pidfd, tty ? 0 : 10)) await Bun.sleep(tty ? 10 : 0);
    const [, status] = sys.waitpid(pid, 0);
    if (tty) await Promise.race([tty.done, Bun.sleep(200)]);
    return exitCodeOf(status);
  } finally {
    sys.close(pidfd);
    for (const [name, h] of handlers) process.off(name, h);
    tty?.restore();
  }
}
