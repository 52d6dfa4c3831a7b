// The smaller process attributes: linux.personality, process.ioPriority, process.scheduler,
// process.oomScoreAdj, process.noNewPrivileges and process.user.umask. Each parser is pure (and
// unit-tested); each apply* makes one call through ProcessSys.
import { ConfigError, RuntimeError, SysError } from "../sys/errors.ts";
import type { ProcessSys, SchedAttr } from "../sys/process.ts";

// ── personality (linux.personality) ─────────────────────────────────────────────────────

export interface Personality {
  domain?: string;
  flags?: string[];
}

const PERSONALITY_DOMAINS: Record<string, number> = { LINUX: 0x0000, LINUX32: 0x0008 }; // PER_LINUX, PER_LINUX32

/**
 * The personality(2) value and warnings. The spec defines no flag values yet ("Currently no
 * flag values are supported"): flags are ignored with a warning, as runc does.
 */
export function parsePersonality(personality: Personality) {
  const domain = personality.domain ?? "LINUX";
  const persona = PERSONALITY_DOMAINS[domain];
  if (persona === undefined)
    throw new ConfigError("linux.personality.domain", `unknown domain ${JSON.stringify(domain)} (LINUX or LINUX32)`);
  const warnings = personality.flags?.length
    ? [`ignoring personality flags ${personality.flags.join(", ")}: the runtime spec defines none`]
    : [];
  return { persona, warnings };
}

export function applyPersonality(sys: ProcessSys, personality: Personality | undefined): string[] {
  if (!personality) return [];
  const { persona, warnings } = parsePersonality(personality);
  sys.personality(persona);
  return warnings;
}

// ── I/O priority (process.ioPriority) ───────────────────────────────────────────────────

export interface IoPriority {
  class: string;
  priority?: number;
}

const IOPRIO_CLASSES: Record<string, number> = { IOPRIO_CLASS_RT: 1, IOPRIO_CLASS_BE: 2, IOPRIO_CLASS_IDLE: 3 };
const IOPRIO_CLASS_SHIFT = 13;

/** class << 13 | priority; priority 0 (highest) to 7 (include/uapi/linux/ioprio.h). */
export function parseIoPriority(io: IoPriority): number {
  const ioClass = IOPRIO_CLASSES[io.class];
  if (ioClass === undefined)
    throw new ConfigError("process.ioPriority.class", `unknown class ${JSON.stringify(io.class)}`);
  const priority = io.priority ?? 0;
  if (!Number.isInteger(priority) || priority < 0 || priority > 7)
    throw new ConfigError("process.ioPriority.priority", `must be 0 to 7, got ${priority}`);
  return (ioClass << IOPRIO_CLASS_SHIFT) | priority;
}

export function applyIoPriority(sys: ProcessSys, io: IoPriority | undefined) {
  if (io) sys.ioprioSet(parseIoPriority(io));
}

// ── scheduler (process.scheduler) ───────────────────────────────────────────────────────

export interface Scheduler {
  policy: string;
  nice?: number;
  priority?: number;
  flags?: string[];
  runtime?: number;
  deadline?: number;
  period?: number;
}

const SCHED_POLICIES: Record<string, number> = {
  SCHED_OTHER: 0, SCHED_FIFO: 1, SCHED_RR: 2, SCHED_BATCH: 3, SCHED_ISO: 4, SCHED_IDLE: 5, SCHED_DEADLINE: 6,
};

const SCHED_FLAGS: Record<string, number> = {
  SCHED_FLAG_RESET_ON_FORK: 0x01,
  SCHED_FLAG_RECLAIM: 0x02,
  SCHED_FLAG_DL_OVERRUN: 0x04,
  SCHED_FLAG_KEEP_POLICY: 0x08,
  SCHED_FLAG_KEEP_PARAMS: 0x10,
  SCHED_FLAG_UTIL_CLAMP_MIN: 0x20,
  SCHED_FLAG_UTIL_CLAMP_MAX: 0x40,
};

const nanoseconds = (value: number | undefined, field: string) => {
  if (value === undefined) return 0n;
  if (!Number.isInteger(value) || value < 0)
    throw new ConfigError(`process.scheduler.${field}`, `expected nanoseconds (an unsigned integer), got ${value}`);
  return BigInt(value);
};

/** process.scheduler as struct sched_attr (runc ToSchedAttr). The kernel checks the combination. */
export function parseScheduler(scheduler: Scheduler): SchedAttr {
  const policy = SCHED_POLICIES[scheduler.policy];
  if (policy === undefined)
    throw new ConfigError("process.scheduler.policy", `unknown policy ${JSON.stringify(scheduler.policy)}`);
  let flags = 0n;
  for (const [i, flag] of (scheduler.flags ?? []).entries()) {
    const bit = SCHED_FLAGS[flag];
    if (bit === undefined) throw new ConfigError(`process.scheduler.flags[${i}]`, `unknown flag ${JSON.stringify(flag)}`);
    flags |= BigInt(bit);
  }
  const nice = scheduler.nice ?? 0;
  if (!Number.isInteger(nice) || nice < -20 || nice > 19)
    throw new ConfigError("process.scheduler.nice", `must be -20 to 19, got ${nice}`);
  const priority = scheduler.priority ?? 0;
  if (!Number.isInteger(priority) || priority < 0)
    throw new ConfigError("process.scheduler.priority", `must not be negative, got ${priority}`);
  return {
    policy,
    flags,
    nice,
    priority,
    runtime: nanoseconds(scheduler.runtime, "runtime"),
    deadline: nanoseconds(scheduler.deadline, "deadline"),
    period: nanoseconds(scheduler.period, "period"),
  };
}

export function applyScheduler(sys: ProcessSys, scheduler: Scheduler | undefined) {
  if (!scheduler) return;
  const attr = parseScheduler(scheduler);
  try {
    sys.schedSetattr(attr);
  } catch (e) {
    // With RT group scheduling (cgroup v1 cpu.rt_runtime_us), a cgroup starts with no realtime
    // bandwidth: the kernel refuses FIFO/RR with EPERM even to root.
    if (!(e instanceof SysError && e.errno === EPERM && (attr.policy === 1 || attr.policy === 2))) throw e;
    throw new RuntimeError(`${e.message}; a realtime policy needs realtime bandwidth in the container's cgroup ` +
      "(linux.resources.cpu.realtimeRuntime, cgroup v1)", { cause: e });
  }
}

const EPERM = 1;

// ── oom_score_adj, no_new_privs, umask ──────────────────────────────────────────────────

/**
 * Write /proc/<pid>/oom_score_adj (-1000 to 1000). The runtime writes init's from the parent, as
 * runc's nsexec does before joining the user namespace: lowering the value needs CAP_SYS_RESOURCE
 * (in the initial user namespace), raising it needs nothing.
 */
export function applyOomScoreAdj(sys: ProcessSys, oomScoreAdj: number | undefined, pid: number | "self" = "self") {
  if (oomScoreAdj === undefined) return;
  if (!Number.isInteger(oomScoreAdj) || oomScoreAdj < -1000 || oomScoreAdj > 1000)
    throw new ConfigError("process.oomScoreAdj", `must be -1000 to 1000, got ${oomScoreAdj}`);
  sys.writeFile(`/proc/${pid}/oom_score_adj`, String(oomScoreAdj));
}

const PR_SET_NO_NEW_PRIVS = 38;

/** prctl(PR_SET_NO_NEW_PRIVS): per thread, inherited over execve; cannot be undone. */
export function applyNoNewPrivileges(sys: ProcessSys, noNewPrivileges: boolean | undefined) {
  if (noNewPrivileges) sys.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, "PR_SET_NO_NEW_PRIVS");
}

/** process.user.umask, 0022 when unset (runc finalizeRootfs). */
export function applyUmask(sys: ProcessSys, umask: number | undefined) {
  const mask = umask ?? 0o022;
  if (!Number.isInteger(mask) || mask < 0)
    throw new ConfigError("process.user.umask", `expected an unsigned integer, got ${mask}`);
  sys.umask(mask & 0o777); // umask(2) keeps only the permission bits, as runc passes it on
}
