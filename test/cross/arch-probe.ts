// Printed by the Bun of one target (natively, or the arm64 runtime under qemu-user): the
// per-architecture constants this process would use, for arch-constants checks against the
// kernel's headers of that architecture (test/cross/arm64-qemu.test.ts).
import { BUILTIN_ARCHES, nativeArch } from "../../src/linux/seccomp/constants.ts";
import { NR, O } from "../../src/sys/linux.ts";

const arch = BUILTIN_ARCHES[nativeArch()]!;
console.log(JSON.stringify({ arch: process.arch, nativeArch: nativeArch(), audit: arch.audit, NR, O, seccomp: arch.syscalls }));
