// The libseccomp backend: builds the filter with libseccomp (as runc does through
// libseccomp-golang) and exports the BPF program instead of loading it, so that init loads the
// same bytes whichever compiler made them.
import { read } from "bun:ffi";
import { type LibseccompSymbols, SCMP_ARG_CMP_SIZE, SCMP_FLTATR, openLibseccomp } from "../../../ffi/libseccomp.ts";
import { RuntimeError, SysError } from "../../sys/errors.ts";
import { closeFd, readAllFd, rewind } from "../../sys/fs.ts";
import { SECCOMP_FILTER_FLAG, SPEC_OPERATORS } from "./constants.ts";
import type { SeccompPlan } from "./rules.ts";
import { memfdCreate } from "../../sys/linux.ts";

const NR_SCMP_ERROR = -1;
const EEXIST = 17;
/** runc turns on the binary tree above this many syscall entries. */
const OPTIMIZE_ABOVE = 32;

const FLAG_ATTRIBUTES: Array<[number, number, string]> = [
  [SECCOMP_FILTER_FLAG.TSYNC, SCMP_FLTATR.CTL_TSYNC, "SECCOMP_FILTER_FLAG_TSYNC"],
  [SECCOMP_FILTER_FLAG.LOG, SCMP_FLTATR.CTL_LOG, "SECCOMP_FILTER_FLAG_LOG"],
  [SECCOMP_FILTER_FLAG.SPEC_ALLOW, SCMP_FLTATR.CTL_SSB, "SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
  [SECCOMP_FILTER_FLAG.WAIT_KILLABLE_RECV, SCMP_FLTATR.CTL_WAITKILL, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"],
];

export const libseccompError = (): string | undefined => openLibseccomp().error;

/** "2.5.4", or undefined without libseccomp. */
export function libseccompVersion(): string | undefined {
  const lib = openLibseccomp().symbols;
  const version = lib?.seccomp_version();
  if (!version) return undefined;
  return [0, 4, 8].map((offset) => read.u32(version, offset)).join(".");
}

/** libseccomp's number for a syscall on one arch (negative: not on that arch), for tests. */
export function libseccompSyscallNumber(arch: string, name: string): number | undefined {
  const lib = openLibseccomp().symbols;
  if (!lib) return undefined;
  const token = lib.seccomp_arch_resolve_name(cstr(archName(arch)));
  return lib.seccomp_syscall_resolve_name_arch(token, cstr(name));
}

const cstr = (s: string) => Buffer.from(`${s}\0`);
const archName = (arch: string) => arch.replace(/^SCMP_ARCH_/, "").toLowerCase();

export function compileLibseccomp(plan: SeccompPlan): { program: Uint8Array; warnings: string[]; unknownSyscalls: string[] } {
  const { symbols: lib, error } = openLibseccomp();
  if (!lib) throw new RuntimeError(`seccomp: libseccomp unavailable: ${error}`);
  const warnings: string[] = [];
  const ctx = lib.seccomp_init(plan.defaultAction >>> 0);
  if (!ctx) throw new RuntimeError(`seccomp: seccomp_init(0x${plan.defaultAction.toString(16)}) failed: default action not supported`);
  try {
    addArchitectures(lib, ctx, plan, warnings);
    for (const [bit, attribute, name] of FLAG_ATTRIBUTES) {
      if (!(plan.flags & bit)) continue;
      const rc = lib.seccomp_attr_set(ctx, attribute, 1);
      // We load the program ourselves with these flags: libseccomp only has to know about them.
      if (rc < 0) warnings.push(`seccomp: libseccomp ${libseccompVersion()} cannot set ${name} (${-rc}); passed to seccomp(2) anyway`);
    }
    if (plan.rules.length > OPTIMIZE_ABOVE) lib.seccomp_attr_set(ctx, SCMP_FLTATR.CTL_OPTIMIZE, 2);
    const unknownSyscalls = addRules(lib, ctx, plan, warnings);
    return { program: exportBpf(lib, ctx), warnings, unknownSyscalls };
  } finally {
    lib.seccomp_release(ctx);
  }
}

function addArchitectures(lib: LibseccompSymbols, ctx: NonNullable<ReturnType<LibseccompSymbols["seccomp_init"]>>, plan: SeccompPlan, warnings: string[]) {
  for (const arch of plan.architectures) {
    const token = lib.seccomp_arch_resolve_name(cstr(archName(arch)));
    if (!token) {
      warnings.push(`seccomp: libseccomp ${libseccompVersion()} does not know ${arch}; skipped`);
      continue;
    }
    if (lib.seccomp_arch_exist(ctx, token) !== -EEXIST) continue;
    const rc = lib.seccomp_arch_add(ctx, token);
    if (rc < 0) throw new SysError("seccomp_arch_add", -rc, arch);
  }
}

/** Adds plan.rules; returns the syscall names libseccomp does not know (skipped, with a warning). */
function addRules(lib: LibseccompSymbols, ctx: NonNullable<ReturnType<LibseccompSymbols["seccomp_init"]>>, plan: SeccompPlan, warnings: string[]): string[] {
  const unknown = new Set<string>();
  for (const rule of plan.rules) {
    const nr = lib.seccomp_syscall_resolve_name(cstr(rule.syscall));
    if (nr === NR_SCMP_ERROR) {
      if (!unknown.has(rule.syscall)) warnings.push(`seccomp: unknown syscall "${rule.syscall}" (${rule.where}) ignored`);
      unknown.add(rule.syscall);
      continue;
    }
    const args = new Uint8Array(Math.max(1, rule.conditions.length) * SCMP_ARG_CMP_SIZE);
    const view = new DataView(args.buffer);
    rule.conditions.forEach((c, i) => {
      const at = i * SCMP_ARG_CMP_SIZE;
      view.setUint32(at, c.index, true);
      view.setUint32(at + 4, SPEC_OPERATORS[c.op]!, true);
      view.setBigUint64(at + 8, c.value, true);
      view.setBigUint64(at + 16, c.valueTwo, true);
    });
    const rc = lib.seccomp_rule_add_array(ctx, rule.action >>> 0, nr, rule.conditions.length, args);
    if (rc < 0) throw new RuntimeError(`${rule.where}: seccomp_rule_add "${rule.syscall}": ${new SysError("", -rc).message.replace(/^: /, "")}`);
  }
  return [...unknown];
}

function exportBpf(lib: LibseccompSymbols, ctx: NonNullable<ReturnType<LibseccompSymbols["seccomp_init"]>>): Uint8Array {
  const fd = memfdCreate("minidocker-seccomp");
  try {
    const rc = lib.seccomp_export_bpf(ctx, fd);
    if (rc < 0) throw new SysError("seccomp_export_bpf", -rc);
    rewind(fd);
    return new Uint8Array(readAllFd(fd, "seccomp_export_bpf memfd"));
  } finally {
    closeFd(fd);
  }
}
