// Init's last steps on the process, around the exec.fifo wait: the phases of
// process-security.ts (runc's order), the keyring, cwd, and the seccomp filter — loaded before
// the user switch when no_new_privs is off (it needs CAP_SYS_ADMIN), else right before execve.
import type { Process } from "../spec/types.ts";
import { step } from "../sys/errors.ts";
import * as sys from "../sys/linux.ts";
import { linuxProcessSys as psys } from "../sys/process.ts";
import { applyLsm } from "./lsm.ts";
import type { Personality } from "./process-attrs.ts";
import { applyProcessSecurity } from "./process-security.ts";
import { loadSeccomp } from "./seccomp/load.ts";

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
  const loadFilter = () => {
    if (!opts.seccomp) return;
    const fd = step("linux.seccomp", () => loadSeccomp(opts.seccomp!.program, opts.seccomp!.flags));
    if (fd >= 0) {
      opts.onSeccompFd(fd);
      sys.close(fd);
    }
  };
  // rlimits: the parent only raised hard limits (impossible from inside a user namespace); the
  // exact values go in now, after the rootfs, as runc's parent sets them at procReady.
  const { env, warnings, late } = applyProcessSecurity(proc, {
    sys: psys,
    personality: opts.personality,
    loadSeccomp: loadFilter,
    // a NOTIFY listener fd must reach the parent while it still waits for us
    seccompEarly: ((opts.seccomp?.flags ?? 0) & SECCOMP_FILTER_FLAG_NEW_LISTENER) !== 0,
    afterSwitch: () => step(`process.cwd "${proc.cwd}"`, () => sys.chdir(proc.cwd || "/")),
    oomScoreAdjSetByParent: true, // container/launch.ts
  });
  return {
    warnings,
    env,
    beforeExec: () => {
      applyLsm(proc);
      late();
    },
  };
}

/** A fresh session keyring per container (runc: keys.JoinSessionKeyring), unless --no-new-keyring. */
function joinSessionKeyring() {
  // keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL); a host without keyrings (ENOSYS) just goes on.
  sys.syscall(process.arch === "arm64" ? 219 : 250, 1, 0);
}
