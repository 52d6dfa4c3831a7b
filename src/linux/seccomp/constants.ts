// Kernel and libseccomp constants shared by both compilers, the loader and the BPF interpreter
// (include/uapi/linux/seccomp.h, include/uapi/linux/audit.h, include/uapi/linux/filter.h).
import { syscallsAARCH64 } from "./syscalls/aarch64.ts";
import { syscallsX32 } from "./syscalls/x32.ts";
import { syscallsX86 } from "./syscalls/x86.ts";
import { syscallsX86_64 } from "./syscalls/x86_64.ts";

/** seccomp filter return values (SECCOMP_RET_*); the low 16 bits carry data (errno, trace msg). */
export const SECCOMP_RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0x00000000,
  TRAP: 0x00030000,
  ERRNO: 0x00050000,
  USER_NOTIF: 0x7fc00000,
  TRACE: 0x7ff00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const;
export const SECCOMP_RET_DATA = 0x0000ffff;

export const SECCOMP_SET_MODE_FILTER = 1;
export const SECCOMP_FILTER_FLAG = {
  TSYNC: 1,
  LOG: 2,
  SPEC_ALLOW: 4,
  NEW_LISTENER: 8,
  TSYNC_ESRCH: 16,
  WAIT_KILLABLE_RECV: 32,
} as const;

/** The spec's flag names → kernel flag bits. */
export const SPEC_FLAGS: Readonly<Record<string, number>> = {
  SECCOMP_FILTER_FLAG_TSYNC: SECCOMP_FILTER_FLAG.TSYNC,
  SECCOMP_FILTER_FLAG_LOG: SECCOMP_FILTER_FLAG.LOG,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: SECCOMP_FILTER_FLAG.SPEC_ALLOW,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: SECCOMP_FILTER_FLAG.WAIT_KILLABLE_RECV,
};

export const EPERM = 1;

/** Spec action names → SECCOMP_RET base value (SCMP_ACT_KILL is KILL_THREAD, as in libseccomp). */
export const SPEC_ACTIONS: Readonly<Record<string, number>> = {
  SCMP_ACT_KILL: SECCOMP_RET.KILL_THREAD,
  SCMP_ACT_KILL_THREAD: SECCOMP_RET.KILL_THREAD,
  SCMP_ACT_KILL_PROCESS: SECCOMP_RET.KILL_PROCESS,
  SCMP_ACT_TRAP: SECCOMP_RET.TRAP,
  SCMP_ACT_ERRNO: SECCOMP_RET.ERRNO,
  SCMP_ACT_TRACE: SECCOMP_RET.TRACE,
  SCMP_ACT_ALLOW: SECCOMP_RET.ALLOW,
  SCMP_ACT_LOG: SECCOMP_RET.LOG,
  SCMP_ACT_NOTIFY: SECCOMP_RET.USER_NOTIF,
};

/** libseccomp's enum scmp_compare. */
export const SPEC_OPERATORS: Readonly<Record<string, number>> = {
  SCMP_CMP_NE: 1,
  SCMP_CMP_LT: 2,
  SCMP_CMP_LE: 3,
  SCMP_CMP_EQ: 4,
  SCMP_CMP_GE: 5,
  SCMP_CMP_GT: 6,
  SCMP_CMP_MASKED_EQ: 7,
};

const AUDIT_ARCH_64BIT = 0x80000000;
const AUDIT_ARCH_LE = 0x40000000;
/** AUDIT_ARCH_* values: what the kernel puts in seccomp_data.arch (also libseccomp's arch tokens). */
export const AUDIT_ARCH = {
  X86_64: 62 | AUDIT_ARCH_64BIT | AUDIT_ARCH_LE, // 0xc000003e (x32 reports this too)
  I386: 3 | AUDIT_ARCH_LE, // 0x40000003
  AARCH64: 183 | AUDIT_ARCH_64BIT | AUDIT_ARCH_LE, // 0xc00000b7
  ARM: 40 | AUDIT_ARCH_LE, // 0x40000028
} as const;

/** x32 syscalls run with this bit set in their number, under AUDIT_ARCH_X86_64. */
export const X32_SYSCALL_BIT = 0x40000000;

export interface ArchDef {
  /** libseccomp's name (SCMP_ARCH_X86_64) */
  name: string;
  /** seccomp_data.arch */
  audit: number;
  /** 64-bit arguments (hi and lo words compared) or 32-bit (lo word only) */
  bits: 32 | 64;
  syscalls: Readonly<Record<string, number>>;
}

/** The architectures the builtin compiler has syscall tables for. */
export const BUILTIN_ARCHES: Readonly<Record<string, ArchDef>> = {
  SCMP_ARCH_X86_64: { name: "SCMP_ARCH_X86_64", audit: AUDIT_ARCH.X86_64, bits: 64, syscalls: syscallsX86_64 },
  SCMP_ARCH_X86: { name: "SCMP_ARCH_X86", audit: AUDIT_ARCH.I386, bits: 32, syscalls: syscallsX86 },
  SCMP_ARCH_X32: { name: "SCMP_ARCH_X32", audit: AUDIT_ARCH.X86_64, bits: 32, syscalls: syscallsX32 },
  SCMP_ARCH_AARCH64: { name: "SCMP_ARCH_AARCH64", audit: AUDIT_ARCH.AARCH64, bits: 64, syscalls: syscallsAARCH64 },
};

/** Every architecture name the spec allows (config-linux.md), for input validation. */
export const SPEC_ARCHITECTURES = new Set([
  "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64",
  "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64",
  "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32",
  "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X",
  "SCMP_ARCH_SH", "SCMP_ARCH_SHEB", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",
]);

/** The architecture this process runs on, as libseccomp names it. */
export const nativeArch = (): string =>
  process.arch === "arm64" ? "SCMP_ARCH_AARCH64" : process.arch === "ia32" ? "SCMP_ARCH_X86" : "SCMP_ARCH_X86_64";

/** struct seccomp_data offsets (little endian: the low word of an argument comes first). */
export const SECCOMP_DATA = { nr: 0, arch: 4, ip: 8, args: 16 } as const;
