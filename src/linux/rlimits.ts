// process.rlimits through prlimit64(2). runc sets them from the parent on the child's pid
// (process_linux.go, procReady: "we lose permissions to raise the limits once we enter a
// user-namespace"): raising a hard limit needs CAP_SYS_RESOURCE in the initial user namespace.
// So applyRlimits takes a pid: 0 in init, the init's pid from the parent.
import { ConfigError, RuntimeError } from "../sys/errors.ts";
import type { ProcessSys } from "../sys/process.ts";

/** One process.rlimits entry (config-schema.json). */
export interface Rlimit {
  type: string;
  soft: number | bigint;
  hard: number | bigint;
}

/** RLIMIT_* numbers (include/uapi/asm-generic/resource.h; the same on x86_64 and aarch64). */
export const RLIMITS = {
  RLIMIT_CPU: 0,
  RLIMIT_FSIZE: 1,
  RLIMIT_DATA: 2,
  RLIMIT_STACK: 3,
  RLIMIT_CORE: 4,
  RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6,
  RLIMIT_NOFILE: 7,
  RLIMIT_MEMLOCK: 8,
  RLIMIT_AS: 9,
  RLIMIT_LOCKS: 10,
  RLIMIT_SIGPENDING: 11,
  RLIMIT_MSGQUEUE: 12,
  RLIMIT_NICE: 13,
  RLIMIT_RTPRIO: 14,
  RLIMIT_RTTIME: 15,
} as const;

export const RLIM_INFINITY = 0xffff_ffff_ffff_ffffn;

export interface ResolvedRlimit {
  type: keyof typeof RLIMITS;
  resource: number;
  soft: bigint;
  hard: bigint;
}

/**
 * A JSON uint64 as a bigint. JSON numbers are doubles: 18446744073709551615 (RLIM_INFINITY, as
 * Go writes it) parses as 2^64, so anything at or above 2^64-1 means unlimited.
 */
export function toLimit(value: number | bigint, jsonPath: string): bigint {
  if (typeof value === "bigint") {
    if (value < 0n) throw new ConfigError(jsonPath, `must not be negative, got ${value}`);
    return value >= RLIM_INFINITY ? RLIM_INFINITY : value;
  }
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0)
    throw new ConfigError(jsonPath, `expected an unsigned integer, got ${JSON.stringify(value)}`);
  return value >= 2 ** 64 - 1 ? RLIM_INFINITY : BigInt(value);
}

const showLimit = (n: bigint) => (n === RLIM_INFINITY ? "unlimited" : String(n));

/** Check names and values; unknown types are errors, as in runc ("wrong rlimit value"). */
export function resolveRlimits(rlimits: readonly Rlimit[] | undefined): ResolvedRlimit[] {
  return (rlimits ?? []).map((limit, i) => {
    const at = `process.rlimits[${i}]`;
    if (!Object.hasOwn(RLIMITS, limit.type))
      throw new ConfigError(`${at}.type`, `unknown rlimit ${JSON.stringify(limit.type)}`);
    const type = limit.type as keyof typeof RLIMITS;
    const soft = toLimit(limit.soft, `${at}.soft`);
    const hard = toLimit(limit.hard, `${at}.hard`);
    if (soft > hard)
      throw new ConfigError(at, `${type}: soft limit ${showLimit(soft)} is above hard limit ${showLimit(hard)}`);
    return { type, resource: RLIMITS[type], soft, hard };
  });
}

/**
 * Set each rlimit of process `pid` (0: this process). Errors name the rlimit and values:
 * `RLIMIT_NOFILE soft=1024 hard=30000: prlimit64: EPERM (Operation not permitted)`.
 */
export function applyRlimits(sys: ProcessSys, rlimits: readonly Rlimit[] | undefined, pid = 0) {
  for (const { type, resource, soft, hard } of resolveRlimits(rlimits)) {
    setRlimit(sys, pid, resource, soft, hard, `${type} soft=${showLimit(soft)} hard=${showLimit(hard)}`);
  }
}

function setRlimit(sys: ProcessSys, pid: number, resource: number, soft: bigint, hard: bigint, what: string) {
  try {
    sys.prlimit(pid, resource, soft, hard, what);
  } catch (e) {
    const hint = (e as { errno?: number }).errno === 1
      ? " (raising a hard limit needs CAP_SYS_RESOURCE in the initial user namespace)"
      : "";
    throw new RuntimeError(`set rlimit ${(e as Error).message}${hint}`, { cause: e });
  }
}

/**
 * Raise the hard limits of process `pid` that the config sets above its current ones, keeping
 * everything else: a user-namespace init could not raise them itself. Init then sets the exact
 * values once its rootfs is done, as runc does at procReady: a small RLIMIT_NOFILE or RLIMIT_AS
 * applied at spawn starved init (a Bun process) before the container's process ever ran.
 */
export function raiseHardRlimits(sys: ProcessSys, rlimits: readonly Rlimit[] | undefined, pid: number, limitsText: string) {
  const current = parseProcLimits(limitsText);
  for (const { type, resource, hard } of resolveRlimits(rlimits)) {
    const now = current.get(resource);
    if (!now || hard <= now.hard) continue;
    setRlimit(sys, pid, resource, now.soft, hard, `${type} hard=${showLimit(hard)}`);
  }
}

// /proc/PID/limits rows, in RLIMIT_* order: "Max open files   1024   20000   files"
export function parseProcLimits(text: string): Map<number, { soft: bigint; hard: bigint }> {
  const limits = new Map<number, { soft: bigint; hard: bigint }>();
  text.split("\n").slice(1).filter((l) => l.trim()).forEach((line, resource) => {
    const [soft, hard] = line.slice(26).trim().split(/\s+/);
    const value = (v = "") => (v === "unlimited" ? RLIM_INFINITY : BigInt(v));
    limits.set(resource, { soft: value(soft), hard: value(hard) });
  });
  return limits;
}
