// Path calls relative to a directory fd, for resolving mount destinations inside the rootfs
// (openat2(2) RESOLVE_IN_ROOT, mkdirat). Thin wrappers that throw SysError, like sys/linux.ts.
import { errno } from "../../ffi/libc.ts";
import { SysError } from "./errors.ts";
import { cstr, NR, retry, syscall } from "./linux.ts";

const arm = process.arch === "arm64";
const ENOSYS = 38, EINTR = 4;

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
  for (;;) {
    const fd = syscall(NR.openat2, dirfd, name, how, 24);
    if (fd >= 0) return fd;
    const e = errno();
    if (e === EINTR) continue;
    if (e === ENOSYS) { openat2Missing = true; return undefined; }
    throw new SysError("openat2", e, path);
  }
}

export function mkdirat(dirfd: number, name: string, mode: number) {
  const path = cstr(name);
  retry("mkdirat", name, () => syscall(NR.mkdirat, dirfd, path, mode));
}

const NR_MKNODAT = arm ? 33 : 259;
const NR_FCHOWNAT = arm ? 54 : 260;
const AT_SYMLINK_NOFOLLOW = 0x100;

/** mknodat(dirfd, name, mode, dev); errors name `subject` (the full path). */
export function mknodat(dirfd: number, name: string, mode: number, dev: number, subject = name) {
  const path = cstr(name);
  retry("mknod", subject, () => syscall(NR_MKNODAT, dirfd, path, mode, dev));
}

/** fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW): never the target of a symlink. */
export function lchownat(dirfd: number, name: string, uid: number, gid: number, subject = name) {
  const path = cstr(name);
  retry("chown", subject, () => syscall(NR_FCHOWNAT, dirfd, path, uid, gid, AT_SYMLINK_NOFOLLOW));
}

/** unlinkat(dirfd, name, 0): a file or symlink in that directory, never through a symlink. */
export function unlinkat(dirfd: number, name: string, subject = name) {
  const path = cstr(name);
  retry("unlink", subject, () => syscall(NR.unlinkat, dirfd, path, 0));
}

/** symlinkat(target, dirfd, name): `name` in that directory points at `target`. */
export function symlinkat(target: string, dirfd: number, name: string, subject = name) {
  const targetC = cstr(target), path = cstr(name);
  retry("symlink", subject, () => syscall(NR.symlinkat, targetC, dirfd, path));
}

// More *at calls, for applying image layers inside a rootfs (src/image/apply.ts): every name is
// one component in an open directory, so nothing is resolved through a symlink.
const NR_LINKAT = arm ? 37 : 265;
const NR_FCHMOD = arm ? 52 : 91;
const NR_FSETXATTR = arm ? 7 : 190;
const NR_LSETXATTR = arm ? 6 : 189;
const NR_UTIMENSAT = arm ? 88 : 280;
const NR_OPENAT = arm ? 56 : 257;
const AT_REMOVEDIR = 0x200;

/** openat(dirfd, name, flags | O_CLOEXEC, mode). */
export function openat(dirfd: number, name: string, flags: number, mode = 0, subject = name): number {
  const nameC = cstr(name);
  return retry("open", subject, () => syscall(NR_OPENAT, dirfd, nameC, flags | 0o2000000, mode));
}

/** linkat(olddirfd, oldname, newdirfd, newname, 0): a hard link to the entry itself (a symlink is not followed). */
export function linkat(oldDirfd: number, oldName: string, newDirfd: number, newName: string, subject = newName) {
  retry("link", subject, () => syscall(NR_LINKAT, oldDirfd, cstr(oldName), newDirfd, cstr(newName), 0));
}

/** unlinkat(dirfd, name, AT_REMOVEDIR): an empty directory. */
export function rmdirat(dirfd: number, name: string, subject = name) {
  retry("rmdir", subject, () => syscall(NR.unlinkat, dirfd, cstr(name), AT_REMOVEDIR));
}

export function fchmod(fd: number, mode: number, subject = String(fd)) {
  retry("chmod", subject, () => syscall(NR_FCHMOD, fd, mode));
}

/** fchmodat(dirfd, name, mode): follows a symlink, so only for entries just made that are none. */
export function fchmodat(dirfd: number, name: string, mode: number, subject = name) {
  retry("chmod", subject, () => syscall(NR.fchmodat, dirfd, cstr(name), mode));
}

/** fsetxattr on an open file or directory. */
export function fsetxattr(fd: number, name: string, value: Uint8Array, subject = String(fd)) {
  const v = value.length ? value : new Uint8Array(1);
  retry(`setxattr ${name}`, subject, () => syscall(NR_FSETXATTR, fd, cstr(name), v, value.length, 0));
}

/** lsetxattr(path) where `path` is `/proc/self/fd/DIRFD/NAME`: the entry itself, never a symlink's target. */
export function lsetxattrAt(dirfd: number, name: string, attr: string, value: Uint8Array, subject = name) {
  const v = value.length ? value : new Uint8Array(1);
  const path = cstr(`/proc/self/fd/${dirfd}/${name}`), attrC = cstr(attr);
  retry(`setxattr ${attr}`, subject, () => syscall(NR_LSETXATTR, path, attrC, v, value.length, 0));
}

/** utimensat(dirfd, name, {atime, mtime}, AT_SYMLINK_NOFOLLOW); times in seconds (fractions kept to the ns). */
export function lutimesat(dirfd: number, name: string, atime: number, mtime: number, subject = name) {
  const ts = new BigInt64Array(4);
  const put = (i: number, t: number) => { const s = Math.floor(t); ts[i] = BigInt(s); ts[i + 1] = BigInt(Math.round((t - s) * 1e9)); };
  put(0, atime); put(2, mtime);
  retry("utimensat", subject, () => syscall(NR_UTIMENSAT, dirfd, cstr(name), ts, AT_SYMLINK_NOFOLLOW));
}

/** rename(2) that fails with EEXIST instead of replacing `to` (RENAME_NOREPLACE). */
export function renameNoReplace(from: string, to: string) {
  retry("rename", to, () => syscall(NR.renameat2, -100, cstr(from), -100, cstr(to), 1));
}

/** readlinkat(dirfd, name): a symlink's target. */
export function readlinkat(dirfd: number, name: string, subject = name): string {
  const buf = Buffer.allocUnsafe(4096);
  const nameC = cstr(name);
  const n = retry("readlink", subject, () => syscall(NR.readlinkat, dirfd, nameC, buf, buf.length));
  return buf.toString("utf8", 0, n);
}

// The new mount API (Linux 5.2+): detached mounts made from a path or fd, attached by fd.
const NR_OPEN_TREE = 428;
const NR_MOVE_MOUNT = 429;
const NR_FSTATFS = arm ? 44 : 138;
export const OPEN_TREE = { CLONE: 1, CLOEXEC: 0o2000000, RECURSIVE: 0x8000 /* AT_RECURSIVE */, EMPTY_PATH: 0x1000 } as const;
export const MOVE_MOUNT = { F_EMPTY_PATH: 0x4, T_EMPTY_PATH: 0x40 } as const;

/** open_tree(dirfd, path, flags): with OPEN_TREE_CLONE, a detached copy of the mount at `path` (and nothing mounted on it). */
export function openTree(dirfd: number, path: string, flags: number, subject = path): number {
  const name = cstr(path);
  return retry("open_tree", subject, () => syscall(NR_OPEN_TREE, dirfd, name, flags));
}

/** move_mount(fromFd, "", toFd, "", F_EMPTY_PATH|T_EMPTY_PATH): attach a detached mount onto an open target. */
export function moveMountOnto(fromFd: number, toFd: number, subject: string) {
  const empty = cstr("");
  retry("move_mount", subject, () => syscall(NR_MOVE_MOUNT, fromFd, empty, toFd, empty, MOVE_MOUNT.F_EMPTY_PATH | MOVE_MOUNT.T_EMPTY_PATH));
}

/** fstatfs(fd).f_type: the filesystem's magic number (PROC_SUPER_MAGIC 0x9fa0, …). */
export function fsMagic(fd: number, subject = String(fd)): number {
  const buf = new BigInt64Array(15); // struct statfs: f_type first
  retry("fstatfs", subject, () => syscall(NR_FSTATFS, fd, buf));
  return Number(buf[0]);
}

const NR_IOCTL = arm ? 29 : 16;
const TIOCGPTPEER = 0x5441;

/** ioctl(master, TIOCGPTPEER, flags): the pty's other end by fd, never by a /dev/pts/N path an image could redirect (Linux 4.13+). */
export function openPtyPeer(master: number, flags: number): number {
  return retry("ioctl TIOCGPTPEER", String(master), () => syscall(NR_IOCTL, master, TIOCGPTPEER, flags));
}

export const MOUNT_ATTR_IDMAP = 0x100000;
const AT_EMPTY_PATH = 0x1000;

/** mount_setattr(fd, "", AT_EMPTY_PATH [| AT_RECURSIVE], {attr_set: MOUNT_ATTR_IDMAP, userns_fd}): an idmapped mount (a detached one). */
export function idmapMount(treeFd: number, usernsFd: number, recursive: boolean, subject: string) {
  const attr = new BigUint64Array([BigInt(MOUNT_ATTR_IDMAP), 0n, 0n, BigInt(usernsFd)]); // struct mount_attr
  const empty = cstr("");
  retry("mount_setattr MOUNT_ATTR_IDMAP", subject, () => syscall(NR.mount_setattr, treeFd, empty, AT_EMPTY_PATH | (recursive ? OPEN_TREE.RECURSIVE : 0), attr, 32));
}
