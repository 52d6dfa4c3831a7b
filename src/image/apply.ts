// Applies layer tar entries to a rootfs, every write inside it: a parent directory is opened
// with openat2(RESOLVE_IN_ROOT) (a symlink an earlier layer planted resolves inside the rootfs,
// as it would in the container), then the entry's own name is made, replaced or removed with
// an *at call on that directory fd, never through a symlink. Names that leave the root (`..`,
// absolute) are refused outright. Whiteouts (`.wh.NAME`, opaque `.wh..wh..opq`) follow the OCI
// image spec; directory times are set when the layer is done (children change them).
import { RuntimeError, SysError } from "../sys/errors.ts";
import { closeFd, DT, fstat, listDirFd, removeTreeAt, writeAll } from "../sys/fs.ts";
import {
  fchmod, fchmodat, fsetxattr, lchownat, linkat, lsetxattrAt, lutimesat, mkdirat, mknodat, openat, openat2, readlinkat, RESOLVE, symlinkat,
} from "../sys/in-root.ts";
import { fchown } from "../sys/fs.ts";
import { O } from "../sys/linux.ts";
import type { IdMap } from "../stages/spawn.ts";
import type { TarEntry, TarSink } from "./tar.ts";

const ENOENT = 2, EEXIST = 17, ENOTDIR = 20, EOPNOTSUPP = 95;
const S_IFCHR = 0o020000, S_IFBLK = 0o060000, S_IFIFO = 0o010000;
const WHITEOUT = ".wh.", OPAQUE = ".wh..wh..opq";
const DIR_PATH = O.PATH | O.DIRECTORY;

export type { IdMap };

export interface WriterOptions {
  /** skip device nodes (with a warning) and own files by the mapped ids */
  rootless: boolean;
  uidMap: IdMap[];
  gidMap: IdMap[];
  warn(msg: string): void;
}

/** An entry name → its components inside the root; `..` or an absolute name is an attack. */
export function cleanName(name: string, what = "name"): string[] {
  if (name.startsWith("/")) throw new RuntimeError(`${what} "${name}" is absolute: refusing to write outside the rootfs`);
  const parts = name.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) throw new RuntimeError(`${what} "${name}" leaves the rootfs ("..")`);
  return parts;
}

/** container id → host id by the map (rootless); ids outside it belong to the map's root. */
function mapId(id: number, map: IdMap[], unmapped: { count: number }): number {
  if (!map.length) return id;
  for (const m of map) if (id >= m.containerID && id < m.containerID + m.size) return m.hostID + id - m.containerID;
  unmapped.count++;
  return mapId(0, map, { count: 0 });
}

export class LayerWriter implements TarSink {
  private upper = new Set<string>(); // paths this layer wrote: an opaque whiteout keeps them
  private dirTimes: Array<[string[], number, number]> = [];
  private file: { fd: number; dirFd: number; name: string; entry: TarEntry; path: string } | undefined;
  private skippedDevices = new Set<string>();
  private xattrUnsupported = new Set<string>();
  readonly unmapped = { count: 0 };

  constructor(private readonly rootFd: number, private readonly opts: WriterOptions) {}

  /**
   * O_PATH fd of directory `parts` resolved inside the root. Missing directories are made (0755,
   * root) as umoci does, also where a symlink points: its target is followed inside the root, one
   * component at a time, each a real directory, so `..` in a target stops at the root.
   */
  private openDir(parts: string[], path: string): number {
    try {
      return this.resolve(parts.join("/") || ".");
    } catch (e) {
      if (!(e instanceof SysError && e.errno === ENOENT)) throw this.notDir(e, path);
    }
    const done: string[] = [];
    const todo = [...parts];
    for (let hops = 0; todo.length;) {
      const name = todo.shift()!;
      if (name === "" || name === ".") continue;
      if (name === "..") { done.pop(); continue; }
      const dirFd = this.resolve(done.join("/") || ".");
      try {
        try { mkdirat(dirFd, name, 0o755); } catch (e) { if (!(e instanceof SysError && e.errno === EEXIST)) throw e; }
        const fd = openat(dirFd, name, O.PATH | O.NOFOLLOW, 0, path);
        let st;
        try { st = fstat(fd); } finally { closeFd(fd); }
        if (st.isDirectory()) { done.push(name); continue; }
        if (!st.isSymbolicLink()) throw new RuntimeError(`"${path}": "${[...done, name].join("/")}" is not a directory`);
        if (++hops > 40) throw new RuntimeError(`"${path}": too many levels of symbolic links`);
        const target = readlinkat(dirFd, name, path);
        if (target.startsWith("/")) done.length = 0;
        todo.unshift(...target.split("/"));
      } finally {
        closeFd(dirFd);
      }
    }
    return this.resolve(done.join("/") || ".");
  }

  private resolve(rel: string): number {
    const fd = openat2(this.rootFd, rel, DIR_PATH | O.CLOEXEC, RESOLVE.IN_ROOT | RESOLVE.NO_MAGICLINKS);
    if (fd === undefined) throw new RuntimeError("unpack needs openat2(2) (Linux 5.6 or later) to write safely inside the rootfs");
    return fd;
  }

  private notDir(e: unknown, path: string) {
    return e instanceof SysError && e.errno === ENOTDIR ? new RuntimeError(`"${path}": a parent is not a directory`) : e;
  }

  entry(e: TarEntry) {
    const parts = cleanName(e.path);
    const path = parts.join("/");
    const base = parts.at(-1) ?? "";
    if (base.startsWith(WHITEOUT)) return this.whiteout(parts.slice(0, -1), base, e.path);
    if (!parts.length) { // "./": the rootfs directory itself
      if (e.type !== "dir") throw new RuntimeError(`entry "${e.path}": the root can only be a directory`);
      const fd = openat(this.rootFd, ".", O.RDONLY | O.DIRECTORY);
      try { this.own(fd, e, "/"); } finally { closeFd(fd); }
      this.dirTimes.push([[], e.atime ?? e.mtime, e.mtime]);
      return;
    }
    this.addUpper(parts);
    const dirFd = this.openDir(parts.slice(0, -1), e.path);
    let keepDir = false;
    try {
      keepDir = this.make(dirFd, base, path, e);
    } finally {
      if (!keepDir) closeFd(dirFd);
    }
  }

  /** `parts` and its parents belong to this layer: an opaque whiteout of an ancestor keeps them. */
  private addUpper(parts: string[]) {
    for (let i = parts.length; i > 0; i--) {
      const path = parts.slice(0, i).join("/");
      if (this.upper.has(path)) return;
      this.upper.add(path);
    }
  }

  /** Make one entry in `dirFd`; true when a file is open for its data (the dir fd is kept until endEntry). */
  private make(dirFd: number, name: string, path: string, e: TarEntry): boolean {
    if (e.type === "dir") {
      try { mkdirat(dirFd, name, 0o700); } catch (err) {
        if (!(err instanceof SysError && err.errno === EEXIST)) throw err;
        if (!this.isDir(dirFd, name)) { removeTreeAt(dirFd, name, path); mkdirat(dirFd, name, 0o700); }
      }
      const fd = openat(dirFd, name, O.RDONLY | O.DIRECTORY | O.NOFOLLOW, 0, path);
      try { this.own(fd, e, path); } finally { closeFd(fd); }
      this.dirTimes.push([path.split("/"), e.atime ?? e.mtime, e.mtime]);
      return false;
    }
    // anything else replaces what is there (unlinked: a hard link to it elsewhere keeps the old data)
    removeTreeAt(dirFd, name, path);
    switch (e.type) {
      case "file": {
        const fd = openat(dirFd, name, O.WRONLY | O.CREAT | O.EXCL | O.NOFOLLOW, 0o600, path);
        this.file = { fd, dirFd, name, entry: e, path };
        return true;
      }
      case "symlink":
        symlinkat(e.linkname, dirFd, name, path);
        this.chownAt(dirFd, name, e, path);
        this.xattrsAt(dirFd, name, e, path);
        break;
      case "hardlink": {
        const target = cleanName(e.linkname, `hard link target of "${e.path}":`);
        if (!target.length) throw new RuntimeError(`entry "${e.path}": hard link to the root`);
        if (this.skippedDevices.has(target.join("/"))) return false; // a link to a device skipped above
        const targetDir = this.openDir(target.slice(0, -1), e.linkname);
        try { linkat(targetDir, target.at(-1)!, dirFd, name, path); } finally { closeFd(targetDir); }
        return false; // a hard link shares its target's owner, mode and times
      }
      case "char": case "block": case "fifo": {
        if (this.opts.rootless && e.type !== "fifo") {
          if (this.skippedDevices.size === 0) this.opts.warn(`rootless: device node "${path}" skipped (and any further ones)`);
          this.skippedDevices.add(path);
          return false;
        }
        const kind = e.type === "char" ? S_IFCHR : e.type === "block" ? S_IFBLK : S_IFIFO;
        mknodat(dirFd, name, kind | (e.mode & 0o777), makedev(e.devmajor, e.devminor), path);
        this.chownAt(dirFd, name, e, path);
        fchmodat(dirFd, name, e.mode, path); // after chown (which clears setuid) and past the umask
        this.xattrsAt(dirFd, name, e, path);
        break;
      }
    }
    lutimesat(dirFd, name, e.atime ?? e.mtime, e.mtime, path);
    return false;
  }

  data(chunk: Uint8Array) {
    if (this.file) writeAll(this.file.fd, chunk, this.file.path);
  }

  endEntry() {
    const f = this.file;
    if (!f) return;
    this.file = undefined;
    try {
      this.own(f.fd, f.entry, f.path);
    } finally {
      closeFd(f.fd);
    }
    try { lutimesat(f.dirFd, f.name, f.entry.atime ?? f.entry.mtime, f.entry.mtime, f.path); } finally { closeFd(f.dirFd); }
  }

  /** Owner, then mode (chown clears setuid/setgid), then xattrs, on an open file or directory. */
  private own(fd: number, e: TarEntry, path: string) {
    fchown(fd, mapId(e.uid, this.opts.uidMap, this.unmapped), mapId(e.gid, this.opts.gidMap, this.unmapped));
    fchmod(fd, e.mode, path);
    for (const [name, value] of e.xattrs) this.xattr(() => fsetxattr(fd, name, value, path), name, path);
  }

  private chownAt(dirFd: number, name: string, e: TarEntry, path: string) {
    lchownat(dirFd, name, mapId(e.uid, this.opts.uidMap, this.unmapped), mapId(e.gid, this.opts.gidMap, this.unmapped), path);
  }

  private xattrsAt(dirFd: number, name: string, e: TarEntry, path: string) {
    for (const [attr, value] of e.xattrs) this.xattr(() => lsetxattrAt(dirFd, name, attr, value, path), attr, path);
  }

  /** An xattr the filesystem cannot hold is warned about once per name; any other failure is an error. */
  private xattr(set: () => void, name: string, path: string) {
    try { set(); } catch (err) {
      if (!(err instanceof SysError && err.errno === EOPNOTSUPP)) throw err;
      if (!this.xattrUnsupported.has(name)) this.opts.warn(`xattr ${name} of "${path}" not supported by the target filesystem: skipped`);
      this.xattrUnsupported.add(name);
    }
  }

  private isDir(dirFd: number, name: string): boolean {
    try { closeFd(openat(dirFd, name, O.PATH | O.DIRECTORY | O.NOFOLLOW)); return true; } catch { return false; }
  }

  private whiteout(parent: string[], base: string, raw: string) {
    let dirFd: number;
    try {
      dirFd = this.resolve(parent.join("/") || ".");
    } catch (e) {
      if (e instanceof SysError && (e.errno === ENOENT || e.errno === ENOTDIR)) return; // nothing below to hide
      throw e;
    }
    try {
      if (base === OPAQUE) return this.removeLower(dirFd, parent.join("/"));
      const name = base.slice(WHITEOUT.length);
      if (!name || name === "." || name === ".." || name.includes("/")) throw new RuntimeError(`whiteout "${raw}" names no entry`);
      removeTreeAt(dirFd, name, [...parent, name].join("/"));
    } finally {
      closeFd(dirFd);
    }
  }

  /** Opaque directory: remove what lower layers put in it, keep what this layer wrote. */
  private removeLower(dirFd: number, dirPath: string) {
    const list = openat(dirFd, ".", O.RDONLY | O.DIRECTORY);
    try {
      for (const [name, type] of listDirFd(list, dirPath || "/")) {
        const path = dirPath ? `${dirPath}/${name}` : name;
        if (!this.upper.has(path)) { removeTreeAt(list, name, path); continue; }
        if (type !== DT.DIR) continue;
        const sub = openat(list, name, O.PATH | O.DIRECTORY | O.NOFOLLOW, 0, path);
        try { this.removeLower(sub, path); } finally { closeFd(sub); }
      }
    } finally {
      closeFd(list);
    }
  }

  /** The layer is done: directory times (children changed them), warnings. */
  finishLayer() {
    if (this.file) throw new RuntimeError("layer ended inside an entry");
    for (const [parts, atime, mtime] of this.dirTimes.reverse()) {
      let fd: number;
      try { fd = this.resolve(parts.slice(0, -1).join("/") || "."); } catch { continue; } // removed later in the layer
      try { lutimesat(fd, parts.at(-1) ?? ".", atime, mtime); } catch { /* replaced later in the layer */ } finally { closeFd(fd); }
    }
    this.dirTimes = [];
    this.upper.clear();
  }

  /** Close what an entry left open (a failed layer). */
  abort() {
    if (this.file) { closeFd(this.file.fd); closeFd(this.file.dirFd); this.file = undefined; }
  }
}

/** Linux's new_encode_dev: the dev_t mknod(2) takes. */
const makedev = (major: number, minor: number) => ((minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12)) >>> 0;
