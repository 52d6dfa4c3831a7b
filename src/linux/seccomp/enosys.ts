// runc's -ENOSYS stub (libcontainer/seccomp/patchbpf, runc 1.1): a syscall newer than every
// syscall the profile names fails with ENOSYS instead of the default action, so a libc that
// tries a new call (clone3, openat2, faccessat2…) falls back to the old one rather than dying of
// EPERM or SIGSYS. Prepended to either backend's program, with runc's rule:
// - only when the default action is not permissive (ALLOW, LOG, TRACE: nothing to stub);
// - per architecture *listed* in `architectures` (none listed: no stub, as runc), the limit is
//   the highest number, on that architecture, of any syscall name in the profile (whatever its
//   action); numbers above it return ERRNO(ENOSYS);
// - x86_64 and x32 share AUDIT_ARCH_X86_64: the X32 bit chooses whose limit applies, and a
//   listed one alone leaves the other's calls to the filter.
import { assemble, BPF, type Item, type SockFilter } from "./bpf.ts";
import { BUILTIN_ARCHES, SECCOMP_DATA, SECCOMP_RET, SECCOMP_RET_DATA, X32_SYSCALL_BIT } from "./constants.ts";
import type { LinuxSeccomp } from "./types.ts";

const ENOSYS = 38;
const PERMISSIVE = new Set([SECCOMP_RET.ALLOW, SECCOMP_RET.LOG, SECCOMP_RET.TRACE]);

/** The stub's instructions (empty when none applies); its jumps to "the filter" land right after it. */
export function enosysStub(seccomp: LinuxSeccomp, defaultAction: number): SockFilter[] {
  const action = (defaultAction & ~SECCOMP_RET_DATA) >>> 0;
  if (PERMISSIVE.has(action as never)) return [];
  // runc skips it for a default of ERRNO(ENOSYS): the filter already answers so
  if (action === SECCOMP_RET.ERRNO && (defaultAction & SECCOMP_RET_DATA) === ENOSYS) return [];
  const names = (seccomp.syscalls ?? []).flatMap((rule) => rule.names ?? []);
  // highest number per listed architecture, grouped by seccomp_data.arch
  const limits = new Map<number, Map<string, number>>();
  for (const name of new Set(seccomp.architectures ?? [])) {
    const arch = BUILTIN_ARCHES[name];
    if (!arch) continue; // an architecture we have no table for: its calls go to the filter
    const numbers = names.map((n) => arch.syscalls[n]).filter((n): n is number => n !== undefined);
    if (!numbers.length) continue;
    if (!limits.has(arch.audit)) limits.set(arch.audit, new Map());
    limits.get(arch.audit)!.set(name, Math.max(...numbers));
  }
  if (!limits.size) return [];

  const items: Item[] = [{ kind: "load", offset: SECCOMP_DATA.arch }];
  const above = (limit: number): Item => ({ kind: "jump", op: BPF.JGT, k: limit, ifTrue: "enosys", ifFalse: "filter" });
  const audits = [...limits.keys()];
  audits.forEach((audit, i) =>
    items.push({ kind: "jump", op: BPF.JEQ, k: audit, ifTrue: `arch${i}`, ifFalse: i + 1 < audits.length ? `next${i}` : "filter" },
      ...(i + 1 < audits.length ? [{ kind: "label", name: `next${i}` } as Item] : [])));
  audits.forEach((audit, i) => {
    const perArch = limits.get(audit)!;
    items.push({ kind: "label", name: `arch${i}` }, { kind: "load", offset: SECCOMP_DATA.nr });
    const x86_64 = perArch.get("SCMP_ARCH_X86_64"), x32 = perArch.get("SCMP_ARCH_X32");
    if (x86_64 === undefined && x32 === undefined) {
      items.push(above(Math.max(...perArch.values())));
      return;
    }
    // the X32 bit set: an x32 call
    items.push({ kind: "jump", op: BPF.JSET, k: X32_SYSCALL_BIT, ifTrue: x32 === undefined ? "filter" : `x32_${i}`,
      ifFalse: x86_64 === undefined ? "filter" : `x86_64_${i}` });
    if (x86_64 !== undefined) items.push({ kind: "label", name: `x86_64_${i}` }, above(x86_64));
    if (x32 !== undefined) items.push({ kind: "label", name: `x32_${i}` }, above(x32));
  });
  items.push({ kind: "label", name: "enosys" }, { kind: "ret", value: SECCOMP_RET.ERRNO | ENOSYS });
  items.push({ kind: "label", name: "filter" });
  return assemble(items);
}
