// A process we may have to kill (init while create or exec sets it up), held by a pidfd: the
// signal can never reach another process that reused its pid, and it is sent once, however many
// failure paths ask for it.
import { errno } from "../../ffi/libc.ts";
import { SysError } from "./errors.ts";
import { readText } from "./fs.ts";
import { close, kill, NR, pidfdOpen, pollIn, syscall } from "./linux.ts";

const ESRCH = 3, SIGKILL = 9;
const NR_WAITID = process.arch === "arm64" ? 95 : 247;
const P_PIDFD = 3, WEXITED = 4, WNOHANG = 1;

export class OwnedProcess {
  private fd = -1;
  private killed = false;

  /** Open the pidfd now, while the process cannot have exited unnoticed (it waits for us). */
  constructor(readonly pid: number) {
    try {
      this.fd = pidfdOpen(pid);
    } catch (e) {
      // gone already: nothing to kill; no pidfds (ENOSYS before Linux 5.3, EMFILE…): by pid, once
      if ((e as SysError).errno === ESRCH) this.killed = true;
    }
  }

  /** SIGKILL it (once; later calls do nothing) and wait, bounded, until it has exited; reaped if it is our child. */
  kill(timeoutMs = 5000) {
    if (this.killed) return;
    this.killed = true;
    if (this.fd < 0) return killByPid(this.pid, timeoutMs);
    if (syscall(NR.pidfd_send_signal, this.fd, SIGKILL, 0, 0) === -1) {
      const e = errno();
      if (e !== ESRCH) throw new SysError("pidfd_send_signal", e, String(this.pid));
    }
    pollIn(this.fd, timeoutMs); // a pidfd is readable once its process exited
    const siginfo = new Uint8Array(128);
    syscall(NR_WAITID, P_PIDFD, this.fd, siginfo, WEXITED | WNOHANG, 0); // ECHILD when not ours
  }

  /** Let go of the pidfd (the process lives on, someone else's now); idempotent. */
  close() {
    if (this.fd >= 0) close(this.fd);
    this.fd = -1;
    this.killed = true;
  }
}

function killByPid(pid: number, timeoutMs: number) {
  try { kill(pid, SIGKILL); } catch { return; }
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; Bun.sleepSync(2)) {
    try {
      if (/\) [ZX] /.test(readText(`/proc/${pid}/stat`))) return;
    } catch {
      return;
    }
  }
}
