// linux.seccomp → a flat list of rules with resolved actions, shared by both compilers so that
// they agree on everything except code generation. Follows runc (libcontainer/seccomp and
// specconv): one rule per syscall name; an entry whose action equals the default action is
// dropped; ERRNO and TRACE without errnoRet return EPERM; when one argument index appears twice
// in an entry, each condition becomes a rule of its own (ORed), otherwise all are ANDed.
import { ConfigError } from "../../sys/errors.ts";
import {
  EPERM, SECCOMP_FILTER_FLAG, SECCOMP_RET, SPEC_ACTIONS, SPEC_ARCHITECTURES, SPEC_FLAGS, SPEC_OPERATORS,
  nativeArch,
} from "./constants.ts";
import type { LinuxSeccomp } from "./types.ts";

export type OperatorName =
  "SCMP_CMP_NE" | "SCMP_CMP_LT" | "SCMP_CMP_LE" | "SCMP_CMP_EQ" | "SCMP_CMP_GE" | "SCMP_CMP_GT" | "SCMP_CMP_MASKED_EQ";

export interface Condition {
  index: number;
  op: OperatorName;
  /** the compared value; for MASKED_EQ the mask (the spec's `value`) */
  value: bigint;
  /** for MASKED_EQ the value compared after masking (the spec's `valueTwo`) */
  valueTwo: bigint;
}

export interface Rule {
  syscall: string;
  /** full SECCOMP_RET_* value, data included */
  action: number;
  conditions: Condition[];
  /** `linux.seccomp.syscalls[3]`, for messages */
  where: string;
}

export interface SeccompPlan {
  defaultAction: number;
  /** libseccomp names, native first, no duplicates */
  architectures: string[];
  /** kernel SECCOMP_FILTER_FLAG_* bits to pass to seccomp(2) */
  flags: number;
  rules: Rule[];
  notify: boolean;
}

const UINT64_MAX = (1n << 64n) - 1n;
const MAX_SYSCALL_ARGS = 6;

/** A spec number (JSON numbers above 2^53 arrive rounded) as an unsigned 64-bit bigint. */
export function toUint64(value: number | bigint, where: string): bigint {
  if (typeof value === "bigint") {
    if (value < 0n || value > UINT64_MAX) throw new ConfigError(where, `${value} is not a 64-bit unsigned value`);
    return value;
  }
  if (!Number.isInteger(value) || value < 0) throw new ConfigError(where, `${value} is not a 64-bit unsigned value`);
  const big = BigInt(value);
  // 18446744073709551615 parses to 2^64 as a double: it can only have meant UINT64_MAX.
  return big > UINT64_MAX ? UINT64_MAX : big;
}

export function resolveAction(name: string, errnoRet: number | undefined, actionPath: string, errnoPath: string): number {
  const base = SPEC_ACTIONS[name];
  if (base === undefined) throw new ConfigError(actionPath, `unknown action "${name}"`);
  if (base === SECCOMP_RET.ERRNO || base === SECCOMP_RET.TRACE) {
    const data = errnoRet ?? EPERM;
    if (!Number.isInteger(data) || data < 0 || data > 0xffff)
      throw new ConfigError(errnoPath, `${data} does not fit the 16 bits of SECCOMP_RET_DATA`);
    return (base | data) >>> 0;
  }
  if (errnoRet !== undefined)
    throw new ConfigError(errnoPath, `only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take errnoRet, not ${name}`);
  return base;
}

export function planSeccomp(seccomp: LinuxSeccomp): SeccompPlan {
  const root = "linux.seccomp";
  const defaultAction = resolveAction(seccomp.defaultAction, seccomp.defaultErrnoRet,
    `${root}.defaultAction`, `${root}.defaultErrnoRet`);
  // runc refuses it too: every syscall of the container would wait for an agent.
  if (defaultAction === SECCOMP_RET.USER_NOTIF)
    throw new ConfigError(`${root}.defaultAction`, "SCMP_ACT_NOTIFY cannot be the default action");
  const architectures = [nativeArch()];
  (seccomp.architectures ?? []).forEach((arch, i) => {
    if (!SPEC_ARCHITECTURES.has(arch))
      throw new ConfigError(`${root}.architectures[${i}]`, `unknown architecture "${arch}"`);
    if (!architectures.includes(arch)) architectures.push(arch);
  });

  let flags = 0;
  (seccomp.flags ?? []).forEach((flag, i) => {
    const bit = SPEC_FLAGS[flag];
    if (bit === undefined) throw new ConfigError(`${root}.flags[${i}]`, `unknown flag "${flag}"`);
    flags |= bit;
  });

  const rules: Rule[] = [];
  (seccomp.syscalls ?? []).forEach((entry, i) => {
    const where = `${root}.syscalls[${i}]`;
    const action = resolveAction(entry.action, entry.errnoRet, `${where}.action`, `${where}.errnoRet`);
    // runc refuses it: init reports to its parent with write() after the filter is loaded.
    if (action === SECCOMP_RET.USER_NOTIF && entry.names?.includes("write"))
      throw new ConfigError(`${where}.action`, "SCMP_ACT_NOTIFY cannot be used for the write syscall");
    const conditions = (entry.args ?? []).map((arg, j): Condition => {
      const at = `${where}.args[${j}]`;
      if (SPEC_OPERATORS[arg.op] === undefined) throw new ConfigError(`${at}.op`, `unknown operator "${arg.op}"`);
      if (!Number.isInteger(arg.index) || arg.index < 0 || arg.index >= MAX_SYSCALL_ARGS)
        throw new ConfigError(`${at}.index`, `${arg.index} is not an argument index (0..5)`);
      return {
        index: arg.index, op: arg.op as OperatorName,
        value: toUint64(arg.value, `${at}.value`), valueTwo: toUint64(arg.valueTwo ?? 0, `${at}.valueTwo`),
      };
    });
    if (!entry.names?.length) throw new ConfigError(`${where}.names`, "no syscall names");
    if (action === defaultAction) return; // runc: redundant, and libseccomp refuses it
    const indexes = conditions.map((c) => c.index);
    const sameIndexTwice = indexes.some((index, k) => indexes.indexOf(index) !== k);
    const groups = sameIndexTwice ? conditions.map((c) => [c]) : [conditions];
    for (const syscall of entry.names)
      for (const group of groups) rules.push({ syscall, action, conditions: group, where });
  });

  const notify = rules.some((r) => r.action === SECCOMP_RET.USER_NOTIF);
  if (notify) {
    flags |= SECCOMP_FILTER_FLAG.NEW_LISTENER;
    // The kernel refuses TSYNC with a listener unless TSYNC_ESRCH says how to report a failed sync.
    if (flags & SECCOMP_FILTER_FLAG.TSYNC) flags |= SECCOMP_FILTER_FLAG.TSYNC_ESRCH;
  }
  return { defaultAction, architectures, flags, rules, notify };
}
