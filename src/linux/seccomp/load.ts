// Init side: load a compiled seccomp program into the calling thread. Imports only the syscall
// layer (no libseccomp, no valibot): init runs it on the JS thread right before execve, since a
// filter without TSYNC binds only the thread that loads it.
import { seccompSetModeFilter } from "../../sys/linux.ts";

const SECCOMP_FILTER_FLAG_NEW_LISTENER = 8;

/**
 * seccomp(SECCOMP_SET_MODE_FILTER, flags, program). Needs no_new_privs or CAP_SYS_ADMIN.
 * Returns the notify fd when flags has SECCOMP_FILTER_FLAG_NEW_LISTENER, else -1.
 */
export function loadSeccomp(program: Uint8Array, flags: number): number {
  const rc = seccompSetModeFilter(program, flags);
  return flags & SECCOMP_FILTER_FLAG_NEW_LISTENER ? rc : -1;
}
