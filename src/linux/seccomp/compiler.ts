// The builtin seccomp compiler: linux.seccomp → a BPF program, without libseccomp. It keeps
// libseccomp's semantics (see README.md): architecture check against AUDIT_ARCH_* with the
// bad-arch action KILL_THREAD, x86_64 and x32 sharing AUDIT_ARCH_X86_64 and told apart by
// X32_SYSCALL_BIT, 64-bit arguments compared as hi and lo 32-bit words (lo only on 32-bit
// arches), masked datums, and an unconditional rule overriding conditional ones.
import { BPF, type Item, assemble, encode } from "./bpf.ts";
import { type ArchDef, BUILTIN_ARCHES, SECCOMP_DATA, SECCOMP_RET, X32_SYSCALL_BIT } from "./constants.ts";
import type { Condition, Rule, SeccompPlan } from "./rules.ts";

/** libseccomp's default SCMP_FLTATR_ACT_BADARCH (runc keeps it). */
const BAD_ARCH_ACTION = SECCOMP_RET.KILL_THREAD;
const UINT32 = 0xffffffffn;

const knownToBuiltin = (name: string) =>
  Object.values(BUILTIN_ARCHES).some((arch) => name in arch.syscalls);

interface ArchGroup {
  audit: number;
  arches: ArchDef[];
}

export function compileBuiltin(plan: SeccompPlan): { program: Uint8Array; warnings: string[]; unknownSyscalls: string[] } {
  const warnings: string[] = [];
  const arches: ArchDef[] = [];
  for (const name of plan.architectures) {
    const arch = BUILTIN_ARCHES[name];
    if (arch) arches.push(arch);
    else warnings.push(`seccomp: the builtin compiler has no syscall table for ${name}; its syscalls get the bad-arch action (KILL)`);
  }
  const unknown = new Set<string>();
  for (const rule of plan.rules)
    if (!knownToBuiltin(rule.syscall) && !unknown.has(rule.syscall)) {
      unknown.add(rule.syscall);
      warnings.push(`seccomp: unknown syscall "${rule.syscall}" (${rule.where}) ignored`);
    }

  // x86_64 and x32 report the same AUDIT_ARCH: one block serves both.
  const groups: ArchGroup[] = [];
  for (const arch of arches) {
    const group = groups.find((g) => g.audit === arch.audit);
    if (group) group.arches.push(arch);
    else groups.push({ audit: arch.audit, arches: [arch] });
  }

  const items: Item[] = [{ kind: "load", offset: SECCOMP_DATA.arch }];
  groups.forEach((group, g) => {
    items.push({ kind: "jump", op: BPF.JEQ, k: group.audit, ifTrue: `arch${g}`, ifFalse: `notArch${g}` });
    items.push({ kind: "label", name: `notArch${g}` });
  });
  items.push({ kind: "ret", value: BAD_ARCH_ACTION });
  groups.forEach((group, g) => items.push(...archBlock(group, `arch${g}`, plan)));
  const filters = assemble(items);
  return { program: encode(filters), warnings, unknownSyscalls: [...unknown] };
}

function archBlock(group: ArchGroup, label: string, plan: SeccompPlan): Item[] {
  const items: Item[] = [{ kind: "label", name: label }, { kind: "load", offset: SECCOMP_DATA.nr }];
  const names = group.arches.map((a) => a.name);
  if (names.length === 1 && names[0] === "SCMP_ARCH_X86_64")
    items.push({ kind: "jump", op: BPF.JGE, k: X32_SYSCALL_BIT, ifTrue: `${label}bad`, ifFalse: `${label}abi` });
  else if (names.length === 1 && names[0] === "SCMP_ARCH_X32")
    items.push({ kind: "jump", op: BPF.JGE, k: X32_SYSCALL_BIT, ifTrue: `${label}abi`, ifFalse: `${label}bad` });
  if (items.length > 2) items.push({ kind: "label", name: `${label}bad` }, { kind: "ret", value: BAD_ARCH_ACTION }, { kind: "label", name: `${label}abi` });

  // syscall number → its rules, in profile order; each arch of the group has its own numbers
  const bySyscall = new Map<number, { rules: Rule[]; bits: 32 | 64 }>();
  for (const arch of group.arches)
    for (const rule of plan.rules) {
      const nr = arch.syscalls[rule.syscall];
      if (nr === undefined) continue;
      const entry = bySyscall.get(nr) ?? { rules: [], bits: arch.bits };
      entry.rules.push(rule);
      bySyscall.set(nr, entry);
    }
  const numbers = [...bySyscall.keys()].sort((a, b) => a - b);
  items.push(...dispatch(numbers, `${label}n`, plan.defaultAction, (nr, prefix) => {
    const { rules, bits } = bySyscall.get(nr)!;
    return syscallBlock(rules, bits, prefix, plan.defaultAction);
  }));
  return items;
}

const LEAF_SIZE = 8;

/**
 * A binary search over the sorted syscall numbers (the accumulator holds nr). Each leaf checks
 * up to LEAF_SIZE numbers and is followed by their blocks, so its jumps stay short; syscalls
 * whose block is the same single `ret` share it.
 */
function dispatch(numbers: number[], prefix: string, defaultAction: number,
  block: (nr: number, prefix: string) => Item[]): Item[] {
  if (numbers.length <= LEAF_SIZE) {
    const checks: Item[] = [];
    const blocks: Item[] = [];
    const sharedReturns = new Map<number, string>();
    numbers.forEach((nr, i) => {
      let target = `${prefix}${nr}`;
      const body = block(nr, `${prefix}${nr}`);
      const only = body.length === 1 ? body[0]! : undefined;
      if (only?.kind === "ret" && sharedReturns.has(only.value)) target = sharedReturns.get(only.value)!;
      else {
        if (only?.kind === "ret") sharedReturns.set(only.value, target);
        blocks.push({ kind: "label", name: target }, ...body);
      }
      checks.push({ kind: "jump", op: BPF.JEQ, k: nr, ifTrue: target, ifFalse: `${prefix}${nr}no${i}` });
      checks.push({ kind: "label", name: `${prefix}${nr}no${i}` });
    });
    return [...checks, { kind: "ret", value: defaultAction }, ...blocks];
  }
  const mid = numbers.length >> 1;
  const pivot = numbers[mid]!;
  return [
    { kind: "jump", op: BPF.JGE, k: pivot, ifTrue: `${prefix}ge${pivot}`, ifFalse: `${prefix}lt${pivot}` },
    { kind: "label", name: `${prefix}lt${pivot}` },
    ...dispatch(numbers.slice(0, mid), prefix, defaultAction, block),
    { kind: "label", name: `${prefix}ge${pivot}` },
    ...dispatch(numbers.slice(mid), prefix, defaultAction, block),
  ];
}

function syscallBlock(rules: Rule[], bits: 32 | 64, prefix: string, defaultAction: number): Item[] {
  // libseccomp: an unconditional rule replaces the syscall's argument chains.
  const unconditional = rules.find((r) => r.conditions.length === 0);
  if (unconditional) return [{ kind: "ret", value: unconditional.action }];
  const items: Item[] = [];
  rules.forEach((rule, r) => {
    const fail = `${prefix}r${r}fail`;
    rule.conditions.forEach((condition, c) => {
      const pass = `${prefix}r${r}c${c}pass`;
      items.push(...compare(condition, bits, pass, fail, `${prefix}r${r}c${c}`));
      items.push({ kind: "label", name: pass });
    });
    items.push({ kind: "ret", value: rule.action }, { kind: "label", name: fail });
  });
  items.push({ kind: "ret", value: defaultAction });
  return items;
}

/** One argument comparison: jumps to `pass` or `fail`. */
export function compare(cond: Condition, bits: 32 | 64, pass: string, fail: string, prefix: string): Item[] {
  const loOffset = SECCOMP_DATA.args + 8 * cond.index;
  const hiOffset = loOffset + 4;
  const hi = (v: bigint) => Number((v >> 32n) & UINT32);
  const lo = (v: bigint) => Number(v & UINT32);
  const loLabel = `${prefix}lo`;
  const eqLabel = `${prefix}eq`;
  const loadLo: Item = { kind: "load", offset: loOffset };
  const loadHi: Item = { kind: "load", offset: hiOffset };
  const { value } = cond;

  switch (cond.op) {
    case "SCMP_CMP_EQ":
    case "SCMP_CMP_NE": {
      const [t, f] = cond.op === "SCMP_CMP_EQ" ? [pass, fail] : [fail, pass];
      const loCheck: Item[] = [loadLo, { kind: "jump", op: BPF.JEQ, k: lo(value), ifTrue: t, ifFalse: f }];
      if (bits === 32) return loCheck;
      return [loadHi, { kind: "jump", op: BPF.JEQ, k: hi(value), ifTrue: loLabel, ifFalse: f }, { kind: "label", name: loLabel }, ...loCheck];
    }
    case "SCMP_CMP_MASKED_EQ": {
      const mask = value;
      const datum = cond.valueTwo & mask;
      const word = (offset: number, m: number, d: number, ifTrue: string): Item[] => [
        { kind: "load", offset },
        ...(m === 0xffffffff ? [] : [{ kind: "and", mask: m } as Item]),
        { kind: "jump", op: BPF.JEQ, k: d, ifTrue, ifFalse: fail },
      ];
      const items: Item[] = [];
      // A zero mask word compares nothing (libseccomp skips it too).
      const needLo = lo(mask) !== 0;
      if (bits === 64 && hi(mask) !== 0) items.push(...word(hiOffset, hi(mask), hi(datum), needLo ? loLabel : pass), { kind: "label", name: loLabel });
      if (needLo) items.push(...word(loOffset, lo(mask), lo(datum), pass));
      return items; // empty when the mask is zero: always true, fall through to `pass`
    }
    default: {
      // GT/GE pass when the argument is above; LT/LE are their negations (LT = !GE, LE = !GT).
      const [loOp, above, below] =
        cond.op === "SCMP_CMP_GT" ? [BPF.JGT, pass, fail] :
        cond.op === "SCMP_CMP_GE" ? [BPF.JGE, pass, fail] :
        cond.op === "SCMP_CMP_LT" ? [BPF.JGE, fail, pass] :
        [BPF.JGT, fail, pass]; // SCMP_CMP_LE
      const loCheck: Item[] = [loadLo, { kind: "jump", op: loOp, k: lo(value), ifTrue: above, ifFalse: below }];
      if (bits === 32) return loCheck;
      return [
        loadHi,
        { kind: "jump", op: BPF.JGT, k: hi(value), ifTrue: above, ifFalse: eqLabel },
        { kind: "label", name: eqLabel },
        { kind: "jump", op: BPF.JEQ, k: hi(value), ifTrue: loLabel, ifFalse: below },
        { kind: "label", name: loLabel },
        ...loCheck,
      ];
    }
  }
}
