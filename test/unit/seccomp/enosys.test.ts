// runc's -ENOSYS stub: syscalls above the highest one a profile names get ENOSYS, when the
// default action is not permissive; both backends, through the BPF interpreter.
import { describe, expect, test } from "bun:test";
import { AUDIT_ARCH, SECCOMP_RET, X32_SYSCALL_BIT } from "../../../src/linux/seccomp/constants.ts";
import { enosysStub } from "../../../src/linux/seccomp/enosys.ts";
import { compileSeccomp, type SeccompBackend } from "../../../src/linux/seccomp/index.ts";
import { runSeccompProgram } from "../../../src/linux/seccomp/interpreter.ts";
import { syscallsX86_64 } from "../../../src/linux/seccomp/syscalls/x86_64.ts";
import { syscallsX32 } from "../../../src/linux/seccomp/syscalls/x32.ts";
import { syscallsX86 } from "../../../src/linux/seccomp/syscalls/x86.ts";
import type { LinuxSeccomp } from "../../../src/linux/seccomp/types.ts";

const ENOSYS = SECCOMP_RET.ERRNO | 38, EPERM = SECCOMP_RET.ERRNO | 1;
const backends: SeccompBackend[] = ["builtin", "libseccomp"];
// openat (257 on x86_64, 295 on i386) is the highest name here; mkdir (83) is denied by a rule
const profile = (over: Partial<LinuxSeccomp> = {}): LinuxSeccomp => ({
  defaultAction: "SCMP_ACT_ERRNO",
  architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
  syscalls: [
    { names: ["read", "write", "openat"], action: "SCMP_ACT_ALLOW" },
    { names: ["mkdir"], action: "SCMP_ACT_KILL" },
  ],
  ...over,
});
const x86_64 = (nr: number) => ({ nr, arch: AUDIT_ARCH.X86_64 });

for (const backend of backends) {
  describe(`-ENOSYS stub (${backend})`, () => {
    const run = (p: LinuxSeccomp, nr: number, arch: number = AUDIT_ARCH.X86_64) =>
      runSeccompProgram(compileSeccomp(p, { backend }).program, { nr, arch });

    test("x86_64: above the highest named syscall → ENOSYS; at or below it, the profile decides", () => {
      const openat = syscallsX86_64.openat!;
      expect(run(profile(), openat + 1)).toBe(ENOSYS);
      expect(run(profile(), syscallsX86_64.clone3!)).toBe(ENOSYS);
      expect(run(profile(), openat)).toBe(SECCOMP_RET.ALLOW);
      expect(run(profile(), syscallsX86_64.getpid!)).toBe(EPERM); // below: the default action
      expect(run(profile(), syscallsX86_64.mkdir!)).toBe(SECCOMP_RET.KILL_THREAD);
    });

    test("i386 and x32 each with their own highest number", () => {
      expect(run(profile(), syscallsX86.openat! + 1, AUDIT_ARCH.I386)).toBe(ENOSYS);
      expect(run(profile(), syscallsX86.getpid!, AUDIT_ARCH.I386)).toBe(EPERM);
      const x32openat = syscallsX32.openat!;
      expect(x32openat & X32_SYSCALL_BIT).toBe(X32_SYSCALL_BIT);
      expect(run(profile(), x32openat + 1)).toBe(ENOSYS);
      expect(run(profile(), syscallsX32.getpid!)).toBe(EPERM);
    });

    test("x86_64 listed alone: x32 calls are left to the filter (its bad-arch action)", () => {
      const p = profile({ architectures: ["SCMP_ARCH_X86_64"] });
      expect(run(p, syscallsX86_64.openat! + 1)).toBe(ENOSYS);
      expect(run(p, syscallsX32.openat! + 1)).toBe(SECCOMP_RET.KILL_THREAD);
    });

    test("no stub with a permissive default, without architectures, or a default of ENOSYS already", () => {
      const allow = profile({ defaultAction: "SCMP_ACT_ALLOW" });
      expect(run(allow, syscallsX86_64.clone3!)).toBe(SECCOMP_RET.ALLOW);
      for (const defaultAction of ["SCMP_ACT_LOG", "SCMP_ACT_TRACE"])
        expect(run(profile({ defaultAction }), syscallsX86_64.clone3!)).not.toBe(ENOSYS);
      expect(run(profile({ architectures: [] }), syscallsX86_64.clone3!)).toBe(EPERM);
      expect(enosysStub(profile({ defaultErrnoRet: 38 }), ENOSYS)).toEqual([]);
      expect(run(profile({ defaultErrnoRet: 38 }), syscallsX86_64.clone3!)).toBe(ENOSYS);
    });

    test("any non-permissive default: KILL, TRAP, KILL_PROCESS", () => {
      for (const defaultAction of ["SCMP_ACT_KILL", "SCMP_ACT_TRAP", "SCMP_ACT_KILL_PROCESS"])
        expect(run(profile({ defaultAction }), syscallsX86_64.clone3!)).toBe(ENOSYS);
    });
  });
}

test("a long allow list (every x86_64 syscall below 400): the limit is the highest of them", () => {
  const p: LinuxSeccomp = profile({ syscalls: [{ names: Object.keys(syscallsX86_64).filter((n) => syscallsX86_64[n]! < 400), action: "SCMP_ACT_ALLOW" }] });
  const max = Math.max(...Object.values(syscallsX86_64).filter((n) => n < 400));
  expect(runSeccompProgram(compileSeccomp(p, { backend: "builtin" }).program, x86_64(max + 1))).toBe(ENOSYS);
  expect(runSeccompProgram(compileSeccomp(p, { backend: "builtin" }).program, x86_64(max))).toBe(SECCOMP_RET.ALLOW);
});
