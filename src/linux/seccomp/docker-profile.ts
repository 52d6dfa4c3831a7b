// Docker's seccomp profile format (moby profiles/seccomp: archMap, includes/excludes by arch and
// capability) → the OCI linux.seccomp a runtime receives, as moby's setupSeccomp does it.
import type { LinuxSeccomp, LinuxSyscall } from "./types.ts";

interface Filter { arches?: string[]; caps?: string[]; minKernel?: string }
interface DockerSyscall extends LinuxSyscall { name?: string; includes?: Filter; excludes?: Filter; comment?: string }
export interface DockerProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  archMap?: Array<{ architecture: string; subArchitectures: string[] | null }>;
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls: DockerSyscall[];
}

/** Go's GOARCH names as moby's profile uses them, for our SCMP_ARCH names. */
const GOARCH: Record<string, string> = {
  SCMP_ARCH_X86_64: "amd64", SCMP_ARCH_X86: "x86", SCMP_ARCH_X32: "x32", SCMP_ARCH_AARCH64: "arm64", SCMP_ARCH_ARM: "arm",
};

export function dockerProfileToOci(profile: DockerProfile, opts: { arch: string; caps: string[] }): LinuxSeccomp {
  const native = GOARCH[opts.arch] ?? opts.arch;
  let architectures = profile.architectures ?? [];
  const mapped = profile.archMap?.find((a) => a.architecture === opts.arch);
  if (mapped) architectures = [mapped.architecture, ...(mapped.subArchitectures ?? [])];
  const syscalls: LinuxSyscall[] = [];
  for (const call of profile.syscalls) {
    const { includes = {}, excludes = {} } = call;
    if (excludes.arches?.includes(native)) continue;
    if (excludes.caps?.some((c) => opts.caps.includes(c))) continue;
    if (includes.arches && !includes.arches.includes(native)) continue;
    if (includes.caps && !includes.caps.every((c) => opts.caps.includes(c))) continue;
    // includes.minKernel: our kernels are all newer than any minKernel in the profile.
    const names = call.names ?? (call.name ? [call.name] : []);
    syscalls.push({
      names, action: call.action,
      ...(call.errnoRet !== undefined && { errnoRet: call.errnoRet }),
      ...(call.args?.length && { args: call.args }),
    });
  }
  return {
    defaultAction: profile.defaultAction,
    ...(profile.defaultErrnoRet !== undefined && { defaultErrnoRet: profile.defaultErrnoRet }),
    architectures, ...(profile.flags && { flags: profile.flags }), syscalls,
  };
}

/** Docker's default capability set (moby oci/caps/defaults.go). */
export const DOCKER_DEFAULT_CAPS = [
  "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
  "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
];
