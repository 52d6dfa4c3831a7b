// File operations over raw syscalls, instead of node:fs: Bun loads every builtin module the
// bundle imports before the first line of JS runs, and node:fs costs ~1 ms in each of the two
// processes of a container start. Every call throws SysError(call, errno, path), whose `code`
// is the errno name as node's errors have it ("ENOENT"); every fd is opened O_CLOEXEC.
import { errno, libc } from "../../ffi/libc.ts";
import { SysError } from "./errors.ts";
import { cstr, NR, O, retry, syscall } from "./linux.ts";

const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;
const AT_REMOVEDIR = 0x200;
const AT_EMPTY_PATH = 0x1000;
const STATX_BASIC_STATS = 0x7ff;
const EINTR = 4, EAGAIN = 11, EEXIST = 17, ENOENT = 2, EISDIR = 21, EPERM = 1;

export const S_IFMT = 0o170000;
export const S = { IFSOCK: 0o140000, IFLNK: 0o120000, IFREG: 0o100000, IFBLK: 0o060000, IFDIR: 0o040000, IFCHR: 0o020000, IFIFO: 0o010000 } as const;
export const X_OK = 1, W_OK = 2, R_OK = 4;

/** What stat(2) tells; `dev` and `rdev` encoded as glibc's makedev (as node's Stats have them). */
export class FileStat {
  constructor(
    readonly mode: number, readonly uid: number, readonly gid: number, readonly size: number, readonly ino: number,
    readonly nlink: number, readonly dev: number, readonly rdev: number, readonly mtimeMs: number,
  ) {}
  isFile() { return (this.mode & S_IFMT) === S.IFREG; }
  isDirectory() { return (this.mode & S_IFMT) === S.IFDIR; }
  isSymbolicLink() { return (this.mode & S_IFMT) === S.IFLNK; }
  isCharacterDevice() { return (this.mode & S_IFMT) === S.IFCHR; }
  isBlockDevice() { return (this.mode & S_IFMT) === S.IFBLK; }
  isFIFO() { return (this.mode & S_IFMT) === S.IFIFO; }
  isSocket() { return (this.mode & S_IFMT) === S.IFSOCK; }
}

// glibc's makedev(): major bits 0-11 at 8-19 and 12-31 at 32-51; minor bits 0-7 at 0-7, 8-31 at 20-43
const makedev = (major: number, minor: number) =>
  ((major & 0xfffff000) >>> 0) * 2 ** 32 + ((major & 0xfff) << 8) + ((minor & 0xffffff00) >>> 0) * 2 ** 12 + (minor & 0xff);

const statxBuf = new Uint8Array(256); // struct statx; one call at a time (JS is single-threaded here)
const statxView = new DataView(statxBuf.buffer);

/** statx(2); the errno on failure (no exception: probing a missing path is common and an Error costs its stack trace). */
function statxOrErrno(dirfd: number, path: string, flags: number): FileStat | number {
  const name = cstr(path);
  for (;;) {
    if (syscall(NR.statx, dirfd, name, flags, STATX_BASIC_STATS, statxBuf) !== -1) break;
    const e = errno();
    if (e !== EINTR) return e;
  }
  const v = statxView;
  return new FileStat(
    v.getUint16(28, true), v.getUint32(20, true), v.getUint32(24, true), Number(v.getBigUint64(40, true)),
    Number(v.getBigUint64(32, true)), v.getUint32(16, true),
    makedev(v.getUint32(136, true), v.getUint32(140, true)), makedev(v.getUint32(128, true), v.getUint32(132, true)),
    Number(v.getBigInt64(112, true)) * 1000 + v.getUint32(120, true) / 1e6,
  );
}

function statx(dirfd: number, path: string, flags: number, call: string, subject: string): FileStat {
  const st = statxOrErrno(dirfd, path, flags);
  if (typeof st === "number") throw new SysError(call, st, subject);
  return st;
}

export const stat = (path: string) => statx(AT_FDCWD, path, 0, "stat", path);
export const lstat = (path: string) => statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, "lstat", path);
export const fstat = (fd: number) => statx(fd, "", AT_EMPTY_PATH, "fstat", String(fd));

/** stat, or undefined when the path cannot be stat'ed (missing, a dangling symlink, no access…). */
export function tryStat(path: string): FileStat | undefined {
  const st = statxOrErrno(AT_FDCWD, path, 0);
  return typeof st === "number" ? undefined : st;
}

/** lstat, or undefined when the path cannot be stat'ed. */
export function tryLstat(path: string): FileStat | undefined {
  const st = statxOrErrno(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW);
  return typeof st === "number" ? undefined : st;
}

/** Like existsSync: the path (through symlinks) can be stat'ed. */
export const exists = (path: string): boolean => typeof statxOrErrno(AT_FDCWD, path, 0) !== "number";

/** An extended attribute's value as text, or undefined when the file has none of that name (or no xattrs). */
export function getxattrText(path: string, name: string): string | undefined {
  const pathC = cstr(path), nameC = cstr(name), buf = Buffer.alloc(256);
  for (;;) {
    const n = syscall(NR.getxattr, pathC, nameC, buf, buf.length);
    if (n >= 0) return buf.subarray(0, n).toString("utf8");
    if (errno() !== EINTR) return undefined;
  }
}

/** faccessat(path, X_OK | W_OK | R_OK); throws SysError("access") when refused. */
export function access(path: string, mode: number) {
  const name = cstr(path);
  retry("access", path, () => syscall(NR.faccessat, AT_FDCWD, name, mode));
}

/** open(2) with O_CLOEXEC added; EINTR retried. */
export function openFile(path: string, flags: number, mode = 0o666): number {
  const name = cstr(path);
  return retry("open", path, () => libc.open(name, flags | O.CLOEXEC, mode));
}

export const closeFd = (fd: number) => { libc.close(fd); };

/** read(2) into buf, EINTR retried; the byte count, 0 at end of file. */
export function readInto(fd: number, buf: Uint8Array, subject = String(fd)): number {
  return retry("read", subject, () => libc.read(fd, buf, buf.length) as number);
}

/** Everything until end of file (/proc and /sys files report size 0: their size is not asked). */
export function readAllFd(fd: number, subject = String(fd)): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  for (let size = 4096; ; size = Math.min(size * 2, 1 << 20)) {
    const chunk = Buffer.allocUnsafe(size);
    const n = readInto(fd, chunk, subject);
    if (n === 0) break;
    chunks.push(n === size ? chunk : chunk.subarray(0, n));
    total += n;
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}

/** lseek(fd, 0, SEEK_SET): read from the start what was just written (a memfd). */
export function rewind(fd: number) {
  retry("lseek", String(fd), () => syscall(NR.lseek, fd, 0, 0));
}

/** lseek(fd, offset, SEEK_SET). */
export function seek(fd: number, offset: number, subject = String(fd)) {
  retry("lseek", subject, () => syscall(NR.lseek, fd, offset, 0));
}

export function readBytes(path: string): Buffer {
  const fd = openFile(path, O.RDONLY);
  try { return readAllFd(fd, path); } finally { libc.close(fd); }
}

export const readText = (path: string): string => readBytes(path).toString("utf8");

/** write(2) until all of `data` is written; EINTR retried, EAGAIN (a non-blocking fd) waited out. */
export function writeAll(fd: number, data: string | Uint8Array, subject = String(fd)) {
  const bytes = typeof data === "string" ? Buffer.from(data) : data;
  for (let off = 0; off < bytes.length; ) {
    const n = libc.write(fd, bytes.subarray(off), bytes.length - off) as number;
    if (n >= 0) { off += n; continue; }
    const e = errno();
    if (e === EINTR) continue;
    if (e === EAGAIN) { waitWritable(fd); continue; }
    throw new SysError("write", e, subject);
  }
}

/** poll(POLLOUT) on one fd, up to a second (an interrupted wait just returns: the caller writes again). */
function waitWritable(fd: number) {
  const table = new Int32Array([fd, 4 /* POLLOUT */]);
  libc.poll(table, 1, 1000);
}

export interface WriteOptions {
  /** Permission bits of a file created by the write (before the umask); 0o666 by default. */
  mode?: number;
  /** open(2) flags; O_WRONLY | O_CREAT | O_TRUNC by default (O_CLOEXEC always added). */
  flags?: number;
}

/** Write a whole file, as writeFileSync: created (mode 0o666 & ~umask) or truncated. */
export function writeText(path: string, data: string | Uint8Array, opts: WriteOptions = {}) {
  const fd = openFile(path, opts.flags ?? (O.WRONLY | O.CREAT | O.TRUNC), opts.mode ?? 0o666);
  try { writeAll(fd, data, path); } finally { libc.close(fd); }
}

export const appendText = (path: string, data: string | Uint8Array, mode = 0o666) =>
  writeText(path, data, { flags: O.WRONLY | O.CREAT | O.APPEND, mode });

export function fsync(fd: number, subject = String(fd)) {
  retry("fsync", subject, () => syscall(NR.fsync, fd));
}

/** Run a call returning -1 on failure again while it fails with EINTR; 0 or the errno (no exception). */
function errnoOf(run: () => number): number {
  for (;;) {
    if (run() !== -1) return 0;
    const e = errno();
    if (e !== EINTR) return e;
  }
}

const mkdirErrno = (path: string, mode: number) => { const name = cstr(path); return errnoOf(() => syscall(NR.mkdirat, AT_FDCWD, name, mode)); };

export function mkdir(path: string, mode = 0o777) {
  const e = mkdirErrno(path, mode);
  if (e) throw new SysError("mkdir", e, path);
}

/** mkdir -p: missing parents made with `mode` too; an existing directory is fine, anything else there is EEXIST. */
export function mkdirp(path: string, mode = 0o777) {
  let e = mkdirErrno(path, mode);
  if (e === ENOENT) {
    const parent = path.replace(/\/+[^/]*\/*$/, "");
    if (parent && parent !== path) {
      mkdirp(parent, mode);
      e = mkdirErrno(path, mode);
    }
  }
  if (e === EEXIST && tryStat(path)?.isDirectory()) return;
  if (e) throw new SysError("mkdir", e, path);
}

/** mkdtemp(3): a new directory `/tmp/<prefix>-XXXXXXXX`, mode 0700, that did not exist before. */
export function makePrivateTempDir(prefix: string): string {
  for (;;) {
    const path = `/tmp/${prefix}-${crypto.getRandomValues(new Uint32Array(2)).reduce((s, n) => s + n.toString(36), "")}`;
    const e = mkdirErrno(path, 0o700);
    if (e === 0) return path;
    if (e !== EEXIST) throw new SysError("mkdir", e, path);
  }
}

export function rmdir(path: string) {
  const name = cstr(path);
  retry("rmdir", path, () => syscall(NR.unlinkat, AT_FDCWD, name, AT_REMOVEDIR));
}

export function unlink(path: string) {
  const name = cstr(path);
  retry("unlink", path, () => syscall(NR.unlinkat, AT_FDCWD, name, 0));
}

/** unlink, a missing file being fine (rmSync(path, { force: true }) on a file). */
export function unlinkIfExists(path: string) {
  const name = cstr(path);
  const e = errnoOf(() => syscall(NR.unlinkat, AT_FDCWD, name, 0));
  if (e && e !== ENOENT) throw new SysError("unlink", e, path);
}

export function rename(from: string, to: string) {
  const fromC = cstr(from), toC = cstr(to);
  retry("rename", from, () => syscall(NR.renameat2, AT_FDCWD, fromC, AT_FDCWD, toC, 0));
}

/** `path` becomes a symlink to `target`. */
export function symlink(target: string, path: string) {
  const targetC = cstr(target), pathC = cstr(path);
  retry("symlink", path, () => syscall(NR.symlinkat, targetC, AT_FDCWD, pathC));
}

export function readlink(path: string): string {
  const buf = Buffer.allocUnsafe(4096);
  const name = cstr(path);
  const n = retry("readlink", path, () => syscall(NR.readlinkat, AT_FDCWD, name, buf, buf.length));
  return buf.toString("utf8", 0, n);
}

/** The canonical absolute path, every symlink resolved (the file must exist). */
export function realpath(path: string): string {
  const fd = openFile(path, O.PATH);
  try { return readlink(`/proc/self/fd/${fd}`); } finally { libc.close(fd); }
}

export function chmod(path: string, mode: number) {
  const name = cstr(path);
  retry("chmod", path, () => syscall(NR.fchmodat, AT_FDCWD, name, mode));
}

export function fchown(fd: number, uid: number, gid: number) {
  retry("fchown", String(fd), () => syscall(NR.fchown, fd, uid, gid));
}

export const DT = { UNKNOWN: 0, FIFO: 1, CHR: 2, DIR: 4, BLK: 6, REG: 8, LNK: 10, SOCK: 12 } as const;

export interface DirEntry {
  name: string;
  /** d_type (DT.*), looked up with lstat where the filesystem does not say. */
  type: number;
  isDirectory(): boolean; isFile(): boolean; isSymbolicLink(): boolean;
}

/** getdents64 over an open directory fd: names (not "." and "..") with their d_type. */
function listFd(fd: number, subject: string): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  const buf = Buffer.allocUnsafe(32768);
  for (;;) {
    const n = retry("getdents64", subject, () => syscall(NR.getdents64, fd, buf, buf.length));
    if (n === 0) return out;
    for (let off = 0; off < n; ) {
      const reclen = buf.readUInt16LE(off + 16);
      const type = buf[off + 18]!;
      const end = buf.indexOf(0, off + 19);
      const name = buf.toString("utf8", off + 19, end);
      if (name !== "." && name !== "..") out.push([name, type]);
      off += reclen;
    }
  }
}

const TYPE_OF_MODE: Record<number, number> = {
  [S.IFIFO]: DT.FIFO, [S.IFCHR]: DT.CHR, [S.IFDIR]: DT.DIR, [S.IFBLK]: DT.BLK, [S.IFREG]: DT.REG, [S.IFLNK]: DT.LNK, [S.IFSOCK]: DT.SOCK,
};

function withDir<T>(path: string, run: (fd: number) => T): T {
  const fd = openFile(path, O.RDONLY | O.DIRECTORY);
  try { return run(fd); } finally { libc.close(fd); }
}

/** The names in a directory (readdirSync order: as the filesystem lists them). */
export const readDir = (path: string): string[] => withDir(path, (fd) => listFd(fd, path).map(([name]) => name));

/** readdirSync(path, { withFileTypes: true }). */
export function readDirEntries(path: string): DirEntry[] {
  return withDir(path, (fd) => listFd(fd, path).map(([name, d]) => {
    const type = d !== DT.UNKNOWN ? d : TYPE_OF_MODE[statx(fd, name, AT_SYMLINK_NOFOLLOW, "lstat", `${path}/${name}`).mode & S_IFMT] ?? DT.UNKNOWN;
    return { name, type, isDirectory: () => type === DT.DIR, isFile: () => type === DT.REG, isSymbolicLink: () => type === DT.LNK };
  }));
}

/** Empty the directory open as `fd` (never through a symlink: those are unlinked), then nothing else. */
function emptyDirFd(fd: number, subject: string) {
  for (const [name, type] of listFd(fd, subject)) {
    const child = `${subject}/${name}`;
    const nameC = cstr(name);
    if (type !== DT.DIR) {
      const e = errnoOf(() => syscall(NR.unlinkat, fd, nameC, 0));
      if (e === 0 || e === ENOENT) continue;
      if (e !== EISDIR) throw new SysError("unlink", e, child);
    }
    let sub = -1;
    const e = errnoOf(() => (sub = libc.openat(fd, nameC, O.RDONLY | O.DIRECTORY | O.NOFOLLOW | O.CLOEXEC, 0)));
    if (e === ENOENT) continue;
    if (e) throw new SysError("open", e, child);
    try { emptyDirFd(sub, child); } finally { libc.close(sub); }
    const r = errnoOf(() => syscall(NR.unlinkat, fd, nameC, AT_REMOVEDIR));
    if (r && r !== ENOENT) throw new SysError("rmdir", r, child);
  }
}

/** rm -rf: a file, a symlink (not what it points to) or a whole tree; a missing path is fine. */
export function removeTree(path: string) {
  const name = cstr(path);
  const e = errnoOf(() => syscall(NR.unlinkat, AT_FDCWD, name, 0));
  if (e === 0 || e === ENOENT) return;
  if (e !== EISDIR) throw new SysError("unlink", e, path);
  let fd = -1;
  const o = errnoOf(() => (fd = libc.open(name, O.RDONLY | O.DIRECTORY | O.NOFOLLOW | O.CLOEXEC, 0)));
  if (o === ENOENT) return;
  if (o) throw new SysError("open", o, path);
  try { emptyDirFd(fd, path); } finally { libc.close(fd); }
  try { rmdir(path); } catch (err) { if ((err as SysError).errno !== ENOENT) throw err; }
}

/**
 * A file or directory that someone other than us could have written or replaced: the reason
 * is in the message (`"/run/x": owned by uid 1000, not 0`). errno EPERM, code "EPERM".
 */
export class UntrustedPathError extends SysError {
  constructor(readonly path: string, readonly reason: string) {
    super("trust", EPERM, path);
    this.message = `"${path}": not trusted: ${reason}`;
  }
}

const geteuid = () => libc.geteuid();

/** Why a directory (or, `file`, a regular file) is not ours alone, or "" when it is. */
function distrust(st: FileStat, kind: "dir" | "ancestor" | "file"): string {
  const euid = geteuid();
  if (kind === "file" ? !st.isFile() : !st.isDirectory()) return kind === "file" ? "not a regular file" : "not a directory";
  if (st.uid !== euid) return `owned by uid ${st.uid}, not ${euid}`;
  // A sticky world-writable ancestor (/tmp) is fine: others cannot rename or unlink what we own there.
  if ((st.mode & 0o022) !== 0 && !(kind === "ancestor" && (st.mode & 0o1000) !== 0))
    return `writable by ${["group", "others", "group and others"][((st.mode & 0o020) >> 4 | (st.mode & 0o002)) - 1]} (mode ${(st.mode & 0o7777).toString(8)})`;
  return "";
}

const isSymlinkAt = (dirfd: number, name: string) => {
  const st = statxOrErrno(dirfd, name, AT_SYMLINK_NOFOLLOW);
  return typeof st !== "number" && st.isSymbolicLink();
};

function openAtNoFollow(dirfd: number, name: string, flags: number, subject: string, mode = 0): number {
  const nameC = cstr(name);
  return retry("open", subject, () => libc.openat(dirfd, nameC, flags | O.NOFOLLOW | O.CLOEXEC, mode));
}

/**
 * Open the directory `path` (absolute) only if no one but us could have put anything in it:
 * each component from / is opened O_NOFOLLOW (a symlink anywhere fails), is owned by our euid,
 * and is not group- or other-writable (an ancestor may be, with the sticky bit, as /tmp).
 * Walking by fd means what was checked is what is used. Throws UntrustedPathError or SysError.
 */
export function openTrustedDir(path: string): number {
  if (!path.startsWith("/")) throw new UntrustedPathError(path, "not an absolute path");
  const parts = path.split("/").filter((p) => p && p !== ".");
  if (parts.includes("..")) throw new UntrustedPathError(path, "contains \"..\"");
  let fd = openFile("/", O.RDONLY | O.DIRECTORY);
  let walked = "";
  try {
    for (const [i, part] of parts.entries()) {
      walked += `/${part}`;
      let next: number;
      try {
        next = openAtNoFollow(fd, part, O.RDONLY | O.DIRECTORY, walked);
      } catch (e) {
        // O_NOFOLLOW | O_DIRECTORY on a symlink fails with ENOTDIR: say what it is
        if (isSymlinkAt(fd, part)) throw new UntrustedPathError(walked, "a symlink");
        throw e;
      }
      libc.close(fd);
      fd = next;
      const reason = distrust(fstat(fd), i === parts.length - 1 ? "dir" : "ancestor");
      if (reason) throw new UntrustedPathError(walked, reason);
    }
    if (!parts.length) {
      const reason = distrust(fstat(fd), "dir");
      if (reason) throw new UntrustedPathError("/", reason);
    }
    return fd;
  } catch (e) {
    libc.close(fd);
    throw e;
  }
}

/**
 * Read `name` in a directory opened by openTrustedDir, only if it is a regular file (not a
 * symlink, fifo, device…) owned by our euid and writable by no one else.
 */
export function readTrustedFileAt(dirfd: number, name: string, subject = name): Buffer {
  // O_NONBLOCK: a fifo planted there must not hang the open
  let fd: number;
  try {
    fd = openAtNoFollow(dirfd, name, O.RDONLY | O.NONBLOCK, subject);
  } catch (e) {
    if (isSymlinkAt(dirfd, name)) throw new UntrustedPathError(subject, "a symlink");
    throw e;
  }
  try {
    const reason = distrust(fstat(fd), "file");
    if (reason) throw new UntrustedPathError(subject, reason);
    return readAllFd(fd, subject);
  } finally {
    libc.close(fd);
  }
}

/** Create `name` in the directory `dirfd` (O_EXCL | O_NOFOLLOW: never an existing file or link) and write it whole. */
export function writeNewFileAt(dirfd: number, name: string, data: string | Uint8Array, mode: number, subject = name) {
  const fd = openAtNoFollow(dirfd, name, O.WRONLY | O.CREAT | O.EXCL, subject, mode);
  try { writeAll(fd, data, subject); } finally { libc.close(fd); }
}

/** renameat2(dirfd, from, dirfd, to, 0): both names in one open directory. */
export function renameAt(dirfd: number, from: string, to: string, subject = from) {
  const fromC = cstr(from), toC = cstr(to);
  retry("rename", subject, () => syscall(NR.renameat2, dirfd, fromC, dirfd, toC, 0));
}

/** unlinkat(dirfd, name, 0), a missing name being fine. */
export function unlinkAtIfExists(dirfd: number, name: string, subject = name) {
  const nameC = cstr(name);
  const e = errnoOf(() => syscall(NR.unlinkat, dirfd, nameC, 0));
  if (e && e !== ENOENT) throw new SysError("unlink", e, subject);
}

/** The names in the directory open as `fd`. */
export const readDirFd = (fd: number, subject = String(fd)): string[] => listFd(fd, subject).map(([name]) => name);
/** The names and d_types (DT.*) in the directory open as `fd`, not "." and "..". */
export const listDirFd = (fd: number, subject: string): Array<[string, number]> => listFd(fd, subject);

/** rm -rf of `name` in the directory open as `dirfd`: never through a symlink; a missing name is fine. */
export function removeTreeAt(dirfd: number, name: string, subject = name) {
  const nameC = cstr(name);
  const e = errnoOf(() => syscall(NR.unlinkat, dirfd, nameC, 0));
  if (e === 0 || e === ENOENT) return;
  if (e !== EISDIR) throw new SysError("unlink", e, subject);
  const fd = retry("open", subject, () => libc.openat(dirfd, nameC, O.RDONLY | O.DIRECTORY | O.NOFOLLOW | O.CLOEXEC, 0));
  try { emptyDirFd(fd, subject); } finally { libc.close(fd); }
  const r = errnoOf(() => syscall(NR.unlinkat, dirfd, nameC, AT_REMOVEDIR));
  if (r && r !== ENOENT) throw new SysError("rmdir", r, subject);
}
