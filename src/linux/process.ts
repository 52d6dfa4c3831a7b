// Init's last steps on the process, around the exec.fifo wait: the phases of
// process-security.ts (runc's order), the keyring, cwd, and the seccomp filter — loaded before
// the user switch when no_new_privs is off (it needs CAP_SYS_ADMIN), else right before execve.
import type { Process } from "../spec/types.ts";
import { step } from "../sys/errors.ts";
import * as sys from "../sys/linux.ts";
import { linuxProcessSys as psys } from "../sys/process.ts";
import { applyLsm } from "./lsm.ts";
import { applyPersonality, type Personality } from "./process-attrs.ts";
import { prepareProcess, restrictProcess, switchIdentity } from "./process-security.ts";
import { loadSeccomp } from "./seccomp/load.ts";
import { envWithHome } from "./user.ts";

const SECCOMP_FILTER_FLAG_NEW_LISTENER = 8;

export interface ProcessOptions {
  noNewKeyring: boolean;
  personality?: Personality;
  seccomp?: { program: Uint8Array; flags: number };
  onSeccompFd: (fd: number) => void;
}

export interface PreparedProcess {
  warnings: string[];
  env: string[];
  /** Runs right before execve (after the exec.fifo wait): the late seccomp load. */
  beforeExec: () => void;
}

export function applyProcess(proc: Process, opts: ProcessOptions): PreparedProcess {
  if (!opts.noNewKeyring) joinSessionKeyring();
  // HOME from the container's /etc/passwd, read as root (runc does it before the switch).
  const env = envWithHome(psys, proc.env ?? [], proc.user?.uid ?? 0);
  // rlimits: the parent only raised hard limits (impossible from inside a user namespace); the
  // exact values go in now, after the rootfs, as runc's parent sets them at procReady.
  prepareProcess(psys, proc, false); // errors name the field (process.rlimits, …)
  restrictProcess(psys, proc);
  const loadFilter = () => {
    if (!opts.seccomp) return;
    const fd = step("linux.seccomp", () => loadSeccomp(opts.seccomp!.program, opts.seccomp!.flags));
    if (fd >= 0) {
      opts.onSeccompFd(fd);
      sys.close(fd);
    }
  };
  // A notify listener fd must reach the parent while it still waits for us: load early then.
  const early = !proc.noNewPrivileges || ((opts.seccomp?.flags ?? 0) & SECCOMP_FILTER_FLAG_NEW_LISTENER) !== 0;
  if (early) loadFilter();
  const warnings = step("process.user/capabilities", () => switchIdentity(psys, proc));
  // cwd after the user switch: the user must be able to enter it (runc does the same).
  step(`process.cwd "${proc.cwd}"`, () => sys.chdir(proc.cwd || "/"));
  warnings.push(...step("linux.personality", () => applyPersonality(psys, opts.personality)));
  return {
    warnings,
    env,
    beforeExec: () => {
      applyLsm(proc);
      if (!early) loadFilter();
    },
  };
}

/** A fresh session keyring per container (runc: keys.JoinSessionKeyring), unless --no-new-keyring. */
function joinSessionKeyring() {
  // keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL); a host without keyrings (ENOSYS) just goes on.
  sys.syscall(process.arch === "arm64" ? 219 : 250, 1, 0);
}
