// Differential testing of the two seccomp compilers: compile a profile with libseccomp and with
// the builtin compiler, run both programs in the BPF interpreter on a table of probes
// (arch, syscall nr, args) and compare the returned SECCOMP_RET values.
import { readFileSync } from "node:fs";
import { compileSeccomp } from "../../../src/linux/seccomp/index.ts";
import { AUDIT_ARCH, BUILTIN_ARCHES, X32_SYSCALL_BIT } from "../../../src/linux/seccomp/constants.ts";
import { DOCKER_DEFAULT_CAPS, type DockerProfile, dockerProfileToOci } from "../../../src/linux/seccomp/docker-profile.ts";
import { runSeccompProgram } from "../../../src/linux/seccomp/interpreter.ts";
import { libseccompSyscallNumber } from "../../../src/linux/seccomp/libseccomp.ts";
import type { LinuxSeccomp } from "../../../src/linux/seccomp/types.ts";

const bundles = `${import.meta.dir}/../../../bundles/seccomp`;
const docker = JSON.parse(readFileSync(`${bundles}/docker-default.json`, "utf8")) as DockerProfile;
const ALL_ARCHES = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64"];
const OPERATORS = ["SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"];
const ACTIONS = ["SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY"];

export const PROFILES: Record<string, LinuxSeccomp> = {
  "docker-default amd64": dockerProfileToOci(docker, { arch: "SCMP_ARCH_X86_64", caps: DOCKER_DEFAULT_CAPS }),
  "docker-default amd64 +SYS_ADMIN": dockerProfileToOci(docker, { arch: "SCMP_ARCH_X86_64", caps: [...DOCKER_DEFAULT_CAPS, "CAP_SYS_ADMIN"] }),
  "docker-default arm64 (aarch64 only)": { ...dockerProfileToOci(docker, { arch: "SCMP_ARCH_AARCH64", caps: DOCKER_DEFAULT_CAPS }), architectures: ["SCMP_ARCH_AARCH64"] },
  "static-web": JSON.parse(readFileSync(`${bundles}/static-web.json`, "utf8")),
  ...Object.fromEntries(ACTIONS.filter((a) => a !== "SCMP_ACT_ALLOW").map((action) => [`action ${action}`, {
    defaultAction: "SCMP_ACT_ALLOW", architectures: ALL_ARCHES,
    syscalls: [{ names: ["mkdir", "mkdirat", "getpid"], action, ...(action === "SCMP_ACT_ERRNO" || action === "SCMP_ACT_TRACE" ? { errnoRet: 13 } : {}) }],
  }])),
  "action default KILL_PROCESS, allow list": {
    defaultAction: "SCMP_ACT_KILL_PROCESS", architectures: ALL_ARCHES,
    syscalls: [{ names: ["read", "write", "exit_group"], action: "SCMP_ACT_ALLOW" }, { names: ["uname"], action: "SCMP_ACT_LOG" }],
  },
  ...Object.fromEntries(OPERATORS.flatMap((op) => [5, 0x100000005].map((value) => [`operator ${op} ${value.toString(16)}`, {
    defaultAction: "SCMP_ACT_ALLOW", architectures: ALL_ARCHES,
    syscalls: [{ names: ["personality", "dup"], action: "SCMP_ACT_ERRNO", args: [{ index: 0, value, ...(op === "SCMP_CMP_MASKED_EQ" ? { valueTwo: 4 } : {}), op }] },
      { names: ["dup3"], action: "SCMP_ACT_ERRNO", errnoRet: 22, args: [{ index: 2, value, valueTwo: value, op }] }],
  }]))),
  "args ANDed (two indexes)": {
    defaultAction: "SCMP_ACT_ALLOW", architectures: ALL_ARCHES,
    syscalls: [{ names: ["dup3"], action: "SCMP_ACT_ERRNO", args: [{ index: 0, value: 1, op: "SCMP_CMP_EQ" }, { index: 1, value: 8, op: "SCMP_CMP_GE" }] }],
  },
  "args ORed (same index twice, runc)": {
    defaultAction: "SCMP_ACT_ALLOW", architectures: ALL_ARCHES,
    syscalls: [{ names: ["dup3"], action: "SCMP_ACT_ERRNO", args: [{ index: 0, value: 1, op: "SCMP_CMP_EQ" }, { index: 0, value: 40, op: "SCMP_CMP_EQ" }] }],
  },
  "x86_64 only": { defaultAction: "SCMP_ACT_ERRNO", syscalls: [{ names: ["read"], action: "SCMP_ACT_ALLOW" }] },
  "x32 only": { defaultAction: "SCMP_ACT_ERRNO", architectures: ["SCMP_ARCH_X32"], syscalls: [{ names: ["read"], action: "SCMP_ACT_ALLOW" }] },
};

export interface Probe { arch: string; audit: number; nr: number; args: bigint[] }

const VALUES = [0n, 1n, 2n, 3n, 4n, 5n, 6n, 8n, 10n, 40n, 0x7e020000n, 131072n, 131080n, 0xffffffffn, 0x100000000n, 0x100000004n,
  0x100000005n, 0x100000006n, 0xffffffff00000005n, 0xffffffffffffffffn];

function syscallsWithArgs(seccomp: LinuxSeccomp): Set<string> {
  return new Set((seccomp.syscalls ?? []).filter((s) => s.args?.length).flatMap((s) => s.names));
}

/** Every syscall both libseccomp and our table number alike, unknown numbers, the x32 bit. */
export function probesFor(seccomp: LinuxSeccomp): Probe[] {
  const withArgs = syscallsWithArgs(seccomp);
  const probes: Probe[] = [];
  for (const arch of ALL_ARCHES) {
    const def = BUILTIN_ARCHES[arch]!;
    const offset = arch === "SCMP_ARCH_X32" ? X32_SYSCALL_BIT : 0;
    const entries = Object.entries(def.syscalls).filter(([name, nr]) => libseccompSyscallNumber(arch, name) === nr);
    for (const [name, nr] of entries) {
      if (!withArgs.has(name)) { probes.push({ arch, audit: def.audit, nr, args: [] }); continue; }
      for (const index of [0, 1, 2]) for (const v of VALUES) probes.push({ arch, audit: def.audit, nr, args: [0n, 0n, 0n].map((z, i) => (i === index ? v : z)) });
      for (const a of VALUES) for (const b of VALUES) probes.push({ arch, audit: def.audit, nr, args: [a, b] });
    }
    for (const nr of [offset + 999, offset + 4095, arch === "SCMP_ARCH_X86_64" ? X32_SYSCALL_BIT : 0x40000000 - 1])
      probes.push({ arch, audit: def.audit, nr, args: [] });
  }
  probes.push({ arch: "SCMP_ARCH_ARM", audit: AUDIT_ARCH.ARM, nr: 0, args: [] });
  return probes;
}

export interface Difference { probe: Probe; libseccomp: number; builtin: number }
export interface DifferentialResult {
  profile: string; probes: number; same: number; differences: Difference[];
  instructions: { libseccomp: number; builtin: number }; warnings: { libseccomp: string[]; builtin: string[] };
}

export function differential(profile: string, seccomp: LinuxSeccomp): DifferentialResult {
  const lib = compileSeccomp(seccomp, { backend: "libseccomp" });
  const ours = compileSeccomp(seccomp, { backend: "builtin" });
  const probes = probesFor(seccomp);
  const differences: Difference[] = [];
  for (const probe of probes) {
    const data = { arch: probe.audit, nr: probe.nr, args: probe.args };
    const a = runSeccompProgram(lib.program, data);
    const b = runSeccompProgram(ours.program, data);
    if (a !== b) differences.push({ probe, libseccomp: a, builtin: b });
  }
  return {
    profile, probes: probes.length, same: probes.length - differences.length, differences,
    instructions: { libseccomp: lib.program.length / 8, builtin: ours.program.length / 8 },
    warnings: { libseccomp: lib.warnings, builtin: ours.warnings },
  };
}
