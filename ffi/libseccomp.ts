// libseccomp.so.2 through bun:ffi, opened on first use: a host without libseccomp gets
// `undefined` (the builtin compiler takes over), never a crash at import.
import { dlopen, FFIType } from "bun:ffi";

const { i32, u32, ptr, cstring } = FFIType;

const SYMBOLS = {
  seccomp_version: { args: [], returns: ptr },
  seccomp_api_get: { args: [], returns: u32 },
  seccomp_init: { args: [u32], returns: ptr },
  seccomp_release: { args: [ptr], returns: FFIType.void },
  seccomp_arch_native: { args: [], returns: u32 },
  seccomp_arch_resolve_name: { args: [cstring], returns: u32 },
  seccomp_arch_exist: { args: [ptr, u32], returns: i32 },
  seccomp_arch_add: { args: [ptr, u32], returns: i32 },
  seccomp_attr_set: { args: [ptr, u32, u32], returns: i32 },
  seccomp_syscall_resolve_name: { args: [cstring], returns: i32 },
  seccomp_syscall_resolve_name_arch: { args: [u32, cstring], returns: i32 },
  seccomp_rule_add_array: { args: [ptr, u32, i32, u32, ptr], returns: i32 },
  seccomp_export_bpf: { args: [ptr, i32], returns: i32 },
} as const;

export type LibseccompSymbols = ReturnType<typeof dlopen<typeof SYMBOLS>>["symbols"];

let loaded: { symbols?: LibseccompSymbols; error?: string } | undefined;

/** The libseccomp symbol table, or an error string saying why it could not be opened. */
export function openLibseccomp(): { symbols?: LibseccompSymbols; error?: string } {
  if (!loaded) {
    try {
      loaded = { symbols: dlopen(process.env.MINIDOCKER_LIBSECCOMP ?? "libseccomp.so.2", SYMBOLS).symbols };
    } catch (e) {
      loaded = { error: (e as Error).message };
    }
  }
  return loaded;
}

/** enum scmp_filter_attr (seccomp.h) */
export const SCMP_FLTATR = {
  ACT_DEFAULT: 1, ACT_BADARCH: 2, CTL_NNP: 3, CTL_TSYNC: 4, API_TSKIP: 5, CTL_LOG: 6, CTL_SSB: 7,
  CTL_OPTIMIZE: 8, API_SYSRAWRC: 9, CTL_WAITKILL: 10,
} as const;

/** struct scmp_arg_cmp { unsigned int arg; enum scmp_compare op; u64 datum_a; u64 datum_b; } */
export const SCMP_ARG_CMP_SIZE = 24;
