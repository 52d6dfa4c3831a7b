// The OCI runtime spec's `linux.seccomp` object (config-linux.md "Seccomp"), kept local until
// src/spec/types.ts exports LinuxSeccomp; the shapes are identical, so switching is an import change.

export type SeccompAction =
  | "SCMP_ACT_KILL" | "SCMP_ACT_KILL_PROCESS" | "SCMP_ACT_KILL_THREAD" | "SCMP_ACT_TRAP"
  | "SCMP_ACT_ERRNO" | "SCMP_ACT_TRACE" | "SCMP_ACT_ALLOW" | "SCMP_ACT_LOG" | "SCMP_ACT_NOTIFY";

export type SeccompOperator =
  | "SCMP_CMP_NE" | "SCMP_CMP_LT" | "SCMP_CMP_LE" | "SCMP_CMP_EQ" | "SCMP_CMP_GE" | "SCMP_CMP_GT"
  | "SCMP_CMP_MASKED_EQ";

export type SeccompFlag =
  | "SECCOMP_FILTER_FLAG_TSYNC" | "SECCOMP_FILTER_FLAG_LOG" | "SECCOMP_FILTER_FLAG_SPEC_ALLOW"
  | "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV";

export interface LinuxSeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: SeccompOperator | string;
}

export interface LinuxSyscall {
  names: string[];
  action: SeccompAction | string;
  errnoRet?: number;
  args?: LinuxSeccompArg[];
}

export interface LinuxSeccomp {
  defaultAction: SeccompAction | string;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: Array<SeccompFlag | string>;
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: LinuxSyscall[];
}
