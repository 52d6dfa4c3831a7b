// The order in which init applies process.* to itself before execve, after runc 1.2+
// (libcontainer/standard_init_linux.go Init, init_linux.go finalizeNamespace):
//
//   prepareProcess        rlimits, oom_score_adj        runc: parent at procReady / nsexec
//                         umask                          runc: end of finalizeRootfs
//   restrictProcess       no_new_privs, scheduler, ioPriority
//   (beforeSwitch)        init: chdir to process.cwd while still privileged
//   ── seccomp here when noNewPrivileges is false: loading a filter without no_new_privs needs
//      CAP_SYS_ADMIN, which switchIdentity may drop
//   switchIdentity        bounding set, keepcaps, stdio owner, setgroups/setresgid/setresuid,
//                         clear keepcaps, capset, ambient, restore the parent-death signal
//   (afterSwitch)         init: chdir again when the privileged one was refused
//   applyPersonality
//   late(): seccomp here when noNewPrivileges is true: as late as possible, so the profile
//      need allow few of init's own calls (init: create before "ready", exec right before execve)
//   (init waits on exec.fifo, runs startContainer hooks — under the filter, as runc)
//   execve
//
// Every step works on the calling thread where the kernel keeps the state per thread (see
// sys/process.ts): call them all on the JS thread that calls execve.
import { step } from "../sys/errors.ts";
import type { ProcessSys } from "../sys/process.ts";
import { linuxProcessSys } from "../sys/process.ts";
import {
  applyCapabilitySets, dropBoundingSet, keepCapabilities, parseCapabilities, releaseKeepCaps,
  type LinuxCapabilities,
} from "./capabilities.ts";
import {
  applyIoPriority, applyNoNewPrivileges, applyOomScoreAdj, applyPersonality, applyScheduler, applyUmask,
  type IoPriority, type Personality, type Scheduler,
} from "./process-attrs.ts";
import { applyRlimits, type Rlimit } from "./rlimits.ts";
import { envWithHome, giveStdioToUser, switchUser, type User } from "./user.ts";

/** The parts of the spec's Process that this file applies (field names as in config.json). */
export interface ProcessSecurity {
  user?: User;
  env?: string[];
  capabilities?: LinuxCapabilities;
  rlimits?: Rlimit[];
  noNewPrivileges?: boolean;
  oomScoreAdj?: number;
  scheduler?: Scheduler;
  ioPriority?: IoPriority;
}

export interface ProcessSecurityOptions {
  /** linux.personality */
  personality?: Personality;
  /** Load the seccomp filter; slotted where runc does, by noNewPrivileges. */
  loadSeccomp?: () => void;
  /** Load it before the user switch even with noNewPrivileges (a NOTIFY listener fd must reach the parent early). */
  seccompEarly?: boolean;
  /** Runs before the early seccomp load and the user switch (init: chdir while privileged). */
  beforeSwitch?: () => void;
  /** Runs right after the user switch (init: chdir when only the user may enter process.cwd). */
  afterSwitch?: () => void;
  /** The parent already set the rlimits on init's pid (needed to raise hard limits in a user namespace). */
  rlimitsSetByParent?: boolean;
  /** The parent already wrote init's oom_score_adj (init's own /proc files are not its to write: see launch.ts). */
  oomScoreAdjSetByParent?: boolean;
  /** Chown fds 0-2 to the user (runc fixStdioPermissions); default true. */
  giveStdio?: boolean;
  sys?: ProcessSys;
}

const PR_SET_PDEATHSIG = 1;

/** rlimits, oom_score_adj, umask: while init still holds every capability. */
export function prepareProcess(sys: ProcessSys, proc: ProcessSecurity, rlimitsSetByParent = false, oomScoreAdjSetByParent = false) {
  if (!rlimitsSetByParent) step("process.rlimits", () => applyRlimits(sys, proc.rlimits));
  if (!oomScoreAdjSetByParent) step("process.oomScoreAdj", () => applyOomScoreAdj(sys, proc.oomScoreAdj));
  step("process.user.umask", () => applyUmask(sys, proc.user?.umask));
}

/** no_new_privs, scheduler, I/O priority (runc: right before syncParentReady). */
export function restrictProcess(sys: ProcessSys, proc: ProcessSecurity) {
  step("process.noNewPrivileges", () => applyNoNewPrivileges(sys, proc.noNewPrivileges));
  step("process.scheduler", () => applyScheduler(sys, proc.scheduler));
  step("process.ioPriority", () => applyIoPriority(sys, proc.ioPriority));
}

/**
 * Capabilities and user, in runc's finalizeNamespace order (see capabilities.ts). Returns
 * warnings (unknown capabilities, ambient caps that could not be raised, skipped groups).
 */
export function switchIdentity(sys: ProcessSys, proc: ProcessSecurity, giveStdio = true): string[] {
  const lastCap = Math.min(sys.lastCap(), 63);
  const { sets, warnings } = parseCapabilities(proc.capabilities, lastCap);
  const parentDeathSignal = sys.parentDeathSignal();
  dropBoundingSet(sys, sets.bounding, lastCap);
  keepCapabilities(sys);
  if (giveStdio) giveStdioToUser(proc.user);
  warnings.push(...switchUser(sys, proc.user));
  releaseKeepCaps(sys);
  warnings.push(...applyCapabilitySets(sys, sets, lastCap));
  // the uid change cleared the parent-death signal (runc pdeath.Restore)
  if (parentDeathSignal) sys.prctl(PR_SET_PDEATHSIG, parentDeathSignal, 0, "PR_SET_PDEATHSIG");
  return warnings;
}

/**
 * Everything above, in order, with seccomp slotted in: before the user switch without
 * no_new_privs (it needs CAP_SYS_ADMIN then), else in `late()`, which the caller runs as late
 * as it can. Returns the env the process gets (HOME added
 * from the container's /etc/passwd when missing, resolved before the user switch) and the
 * warnings to log. This is the order init runs (src/linux/process.ts).
 */
export function applyProcessSecurity(proc: ProcessSecurity, options: ProcessSecurityOptions = {}) {
  const sys = options.sys ?? linuxProcessSys;
  const env = envWithHome(sys, proc.env ?? [], proc.user?.uid ?? 0);
  prepareProcess(sys, proc, options.rlimitsSetByParent, options.oomScoreAdjSetByParent);
  restrictProcess(sys, proc);
  options.beforeSwitch?.();
  const early = !proc.noNewPrivileges || options.seccompEarly === true;
  if (early) options.loadSeccomp?.();
  const warnings = step("process.user/capabilities", () => switchIdentity(sys, proc, options.giveStdio ?? true));
  options.afterSwitch?.();
  warnings.push(...step("linux.personality", () => applyPersonality(sys, options.personality)));
  const late = () => { if (!early) options.loadSeccomp?.(); };
  return { env, warnings, late };
}
