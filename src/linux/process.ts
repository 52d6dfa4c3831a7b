// Init's last steps on the process: the phases of process-security.ts (runc's order), the
// keyring, cwd, and the seccomp filter — loaded before the user switch when no_new_privs is off
// (it needs CAP_SYS_ADMIN), else as late as init can (`seal()`).
//
// After the filter is loaded, init itself must need no syscall the profile may deny: a profile
// denying close_range (runtime-tools' default) used to stop init right after `start`, so the
// container never ran. Everything init does to itself before execve (fds close-on-exec, LSM
// labels, signal dispositions) happens before the filter; after it come only what runc does
// there too: the exec.fifo, startContainer hooks (under the filter, as runc) and execve.
import type { Process } from "../spec/types.ts";
import { during, step, SysError } from "../sys/errors.ts";
import { readText } from "../sys/fs.ts";
import * as sys from "../sys/linux.ts";
import { linuxProcessSys as psys } from "../sys/process.ts";
import { applyLsm } from "./lsm.ts";
import type { Personality } from "./process-attrs.ts";
import { applyProcessSecurity } from "./process-security.ts";
import { loadSeccomp } from "./seccomp/load.ts";

const SECCOMP_FILTER_FLAG_NEW_LISTENER = 8;
const EPERM = 1, EACCES = 13;

export interface ProcessOptions {
  noNewKeyring: boolean;
  personality?: Personality;
  seccomp?: { program: Uint8Array; flags: number };
  onSeccompFd: (fd: number) => void;
  /** fds 3 … 3+preserveFds-1 go to the process; every other fd is marked close-on-exec */
  preserveFds: number;
}

export interface PreparedProcess {
  warnings: string[];
  env: string[];
  /**
   * The last steps before execve: fds, LSM labels, signals, then the seccomp filter if not loaded
   * yet (no_new_privs). Call it as late as the caller's own syscalls allow; idempotent.
   */
  seal: () => void;
}

export function applyProcess(proc: Process, opts: ProcessOptions): PreparedProcess {
  if (!opts.noNewKeyring) joinSessionKeyring();
  const ignoredSignals = ignoredSignalMask(); // now: a tiny RLIMIT_NOFILE comes next
  let readyForFilter = false;
  const beforeFilter = () => {
    if (readyForFilter) return;
    readyForFilter = true;
    // Bun marked the preserved fds above 3 close-on-exec when this process started
    for (let fd = 3; fd < 3 + opts.preserveFds; fd++) sys.clearCloexec(fd);
    // Every fd init opens from now on is O_CLOEXEC (the exec.fifo, Bun's own)
    sys.cloexecFrom(3 + opts.preserveFds);
    applyLsm(proc); // runc: SetExecLabel before seccomp
    resetIgnoredSignals(ignoredSignals);
  };
  const loadFilter = () => {
    beforeFilter();
    if (!opts.seccomp) return;
    const fd = step("linux.seccomp", () => loadSeccomp(opts.seccomp!.program, opts.seccomp!.flags));
    if (fd >= 0) {
      opts.onSeccompFd(fd);
      sys.close(fd);
    }
  };
  // runc finalizeNamespace: chdir while still privileged (a cwd only root may enter, e.g. for
  // `exec --user 0` into a container of another user); if that is refused, again as the user
  // (a cwd only the user may enter, e.g. on root-squashed NFS).
  const cwd = proc.cwd || "/";
  let cwdEntered = false;
  // rlimits: the parent only raised hard limits (impossible from inside a user namespace); the
  // exact values go in now, after the rootfs, as runc's parent sets them at procReady.
  const { env, warnings, late } = applyProcessSecurity(proc, {
    sys: psys,
    personality: opts.personality,
    loadSeccomp: loadFilter,
    // a NOTIFY listener fd must reach the parent while it still waits for us
    seccompEarly: ((opts.seccomp?.flags ?? 0) & SECCOMP_FILTER_FLAG_NEW_LISTENER) !== 0,
    beforeSwitch: () => {
      try {
        sys.chdir(cwd);
        cwdEntered = true;
      } catch (e) {
        if (!(e instanceof SysError && (e.errno === EACCES || e.errno === EPERM))) throw during(`process.cwd "${cwd}"`, e);
      }
    },
    afterSwitch: () => { if (!cwdEntered) step(`process.cwd "${cwd}"`, () => sys.chdir(cwd)); },
    oomScoreAdjSetByParent: true, // container/launch.ts
  });
  return { warnings, env, seal: () => { beforeFilter(); late(); } };
}

const SIGPIPE = 13, SIGXFSZ = 25;

/**
 * Ignored signals stay ignored over execve; handled ones are reset by the kernel. Bun ignores
 * SIGPIPE and SIGXFSZ: those two get a handler instead (init must not die of a hook that
 * closes its stdin early), which the kernel resets at execve — so no syscall is left for after
 * the filter. Anything else ignored (inherited) goes back to the default now.
 */
function resetIgnoredSignals(ignored: bigint) {
  for (let sig = 1; sig < 32; sig++) {
    if (!((ignored >> BigInt(sig - 1)) & 1n)) continue;
    if (sig === SIGPIPE) process.on("SIGPIPE", () => {});
    else if (sig === SIGXFSZ) process.on("SIGXFSZ", () => {});
    else sys.signalDefault(sig);
  }
}

/** SigIgn of /proc/self/status: bit n-1 for signal n. */
function ignoredSignalMask(): bigint {
  const line = readText("/proc/self/status").match(/^SigIgn:\s*([0-9a-f]+)$/m);
  return line ? BigInt(`0x${line[1]}`) : 0n;
}

/** A fresh session keyring per container (runc: keys.JoinSessionKeyring), unless --no-new-keyring. */
function joinSessionKeyring() {
  // keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL); a host without keyrings (ENOSYS) just goes on.
  sys.syscall(process.arch === "arm64" ? 219 : 250, 1, 0);
}
