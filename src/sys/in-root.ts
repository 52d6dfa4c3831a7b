// Path calls relative to a directory fd, for resolving mount destinations inside the rootfs
// (openat2(2) RESOLVE_IN_ROOT, mkdirat). Thin wrappers that throw SysError, like sys/linux.ts.
import { ptr } from "bun:ffi";
import { errno } from "../../ffi/libc.ts";
import { SysError } from "./errors.ts";
import { cstr, NR, syscall } from "./linux.ts";

const arm = process.arch === "arm64";
const ENOSYS = 38;

export const RESOLVE = { NO_XDEV: 0x01, NO_MAGICLINKS: 0x02, NO_SYMLINKS: 0x04, BENEATH: 0x08, IN_ROOT: 0x10 } as const;

let openat2Missing = false;

/**
 * openat2(dirfd, path, {flags, mode, resolve}); undefined where the kernel has no openat2
 * (before 5.6, or a seccomp profile refusing it with ENOSYS) so callers take their fallback.
 */
export function openat2(dirfd: number, path: string, flags: number, resolve: number, mode = 0): number | undefined {
  if (openat2Missing) return undefined;
  const how = new BigUint64Array([BigInt(flags), BigInt(mode), BigInt(resolve)]); // struct open_how
  const name = cstr(path);
  const fd = syscall(NR.openat2, dirfd, ptr(name), ptr(how), 24);
  if (fd >= 0) return fd;
  const e = errno();
  if (e === ENOSYS) { openat2Missing = true; return undefined; }
  throw new SysError("openat2", e, path);
}

export function mkdirat(dirfd: number, name: string, mode: number) {
  const path = cstr(name);
  if (syscall(NR.mkdirat, dirfd, ptr(path), mode) < 0) throw new SysError("mkdirat", errno(), name);
}

const NR_MKNODAT = arm ? 33 : 259;
const NR_FCHOWNAT = arm ? 54 : 260;
const AT_SYMLINK_NOFOLLOW = 0x100;

/** mknodat(dirfd, name, mode, dev); errors name `subject` (the full path). */
export function mknodat(dirfd: number, name: string, mode: number, dev: number, subject = name) {
  if (syscall(NR_MKNODAT, dirfd, ptr(cstr(name)), mode, dev) < 0) throw new SysError("mknod", errno(), subject);
}

/** fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW): never the target of a symlink. */
export function lchownat(dirfd: number, name: string, uid: number, gid: number, subject = name) {
  if (syscall(NR_FCHOWNAT, dirfd, ptr(cstr(name)), uid, gid, AT_SYMLINK_NOFOLLOW) < 0) throw new SysError("chown", errno(), subject);
}

/** unlinkat(dirfd, name, 0): a file or symlink in that directory, never through a symlink. */
export function unlinkat(dirfd: number, name: string, subject = name) {
  if (syscall(NR.unlinkat, dirfd, ptr(cstr(name)), 0) < 0) throw new SysError("unlink", errno(), subject);
}

/** symlinkat(target, dirfd, name): `name` in that directory points at `target`. */
export function symlinkat(target: string, dirfd: number, name: string, subject = name) {
  if (syscall(NR.symlinkat, ptr(cstr(target)), dirfd, ptr(cstr(name))) < 0) throw new SysError("symlink", errno(), subject);
}
