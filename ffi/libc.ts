// libc through bun:ffi: the one dlopen table every other module calls through src/sys/.
// Functions return -1 and set errno; read it with errno() right after the call (never dlsym
// `errno` itself: oven-sh/bun#22212). Nothing may allocate in between — an allocation can run
// the GC, whose own libc calls (futex, madvise) may set errno — so no function returns i64,
// which comes back as a freshly allocated BigInt: i64_fast gives a plain number (a BigInt only
// beyond 2^53, which a return value of these calls never is). syscall() is variadic in C; on
// x86_64/aarch64 passing six integer registers is ABI-compatible for integer/pointer arguments.
import { dlopen, FFIType, read } from "bun:ffi";

const { i32, i64, i64_fast, u64, u32, ptr } = FFIType;

// glibc's soname; on musl (the -musl release builds) the loader answers any "libc.*" name with
// musl itself, which has all of these symbols, __errno_location too (test/cross/musl.test.ts).
const LIBC = "libc.so.6";

/** The table as declared (test/unit/sys/ffi-rules.test.ts checks its return types). */
export const LIBC_SYMBOLS = {
  __errno_location: { args: [], returns: ptr },
  syscall: { args: [i64, i64, i64, i64, i64, i64, i64], returns: i64_fast },
  open: { args: [ptr, i32, i32], returns: i32 },
  openat: { args: [i32, ptr, i32, i32], returns: i32 },
  close: { args: [i32], returns: i32 },
  read: { args: [i32, ptr, u64], returns: i64_fast },
  write: { args: [i32, ptr, u64], returns: i64_fast },
  dup2: { args: [i32, i32], returns: i32 },
  mount: { args: [ptr, ptr, ptr, u64, ptr], returns: i32 },
  umount2: { args: [ptr, i32], returns: i32 },
  chdir: { args: [ptr], returns: i32 },
  fchdir: { args: [i32], returns: i32 },
  chroot: { args: [ptr], returns: i32 },
  mkfifo: { args: [ptr, u64], returns: i32 },
  mknod: { args: [ptr, u64, u64], returns: i32 },
  umask: { args: [u64], returns: u64 },
  sethostname: { args: [ptr, u64], returns: i32 },
  setdomainname: { args: [ptr, u64], returns: i32 },
  setgroups: { args: [u64, ptr], returns: i32 },
  setresuid: { args: [u32, u32, u32], returns: i32 },
  setresgid: { args: [u32, u32, u32], returns: i32 },
  prctl: { args: [i32, u64, u64, u64, u64], returns: i32 },
  kill: { args: [i32, i32], returns: i32 },
  waitpid: { args: [i32, ptr, i32], returns: i32 },
  poll: { args: [ptr, u64, i32], returns: i32 },
  socketpair: { args: [i32, i32, i32, ptr], returns: i32 },
  flock: { args: [i32, i32], returns: i32 },
  execve: { args: [ptr, ptr, ptr], returns: i32 },
  personality: { args: [u64], returns: i32 },
  setns: { args: [i32, i32], returns: i32 },
  unshare: { args: [i32], returns: i32 },
  ioctl: { args: [i32, u64, ptr], returns: i32 },
  sendmsg: { args: [i32, ptr, i32], returns: i64_fast },
  recvmsg: { args: [i32, ptr, i32], returns: i64_fast },
  socket: { args: [i32, i32, i32], returns: i32 },
  connect: { args: [i32, ptr, u32], returns: i32 },
  bind: { args: [i32, ptr, u32], returns: i32 },
  listen: { args: [i32, i32], returns: i32 },
  accept4: { args: [i32, ptr, ptr, i32], returns: i32 },
  getpid: { args: [], returns: i32 },
  setsid: { args: [], returns: i32 },
  getuid: { args: [], returns: u32 },
  geteuid: { args: [], returns: u32 },
} as const;

export const libc = dlopen(LIBC, LIBC_SYMBOLS).symbols;


export const errno = (): number => read.i32(libc.__errno_location()!, 0);

