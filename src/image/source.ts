// Where an image comes from: an OCI layout directory (`oci:DIR[:TAG]`), the same layout in a tar
// (`oci-archive:FILE[:TAG]`) or a `docker save` archive (`docker-archive:FILE[:REPO:TAG]`).
// Each is a set of named files read in chunks; an archive is indexed once (headers only, by
// seeking), its members read in place. Nothing is extracted from the outer archive to disk.
import { RuntimeError, SysError } from "../sys/errors.ts";
import { closeFd, fstat, openFile, readInto, seek } from "../sys/fs.ts";
import { O } from "../sys/linux.ts";
import { HeaderDecoder, parseHeader } from "./tar.ts";

export type Transport = "oci" | "oci-archive" | "docker-archive";

export interface SourceRef { transport: Transport; path: string; ref?: string }

/** `oci:DIR[:TAG]` → parts; the path ends at the first ':' after the transport (as skopeo reads it). */
export function parseSource(text: string): SourceRef {
  const colon = text.indexOf(":");
  const transport = text.slice(0, colon);
  if (colon < 0 || (transport !== "oci" && transport !== "oci-archive" && transport !== "docker-archive"))
    throw new RuntimeError(`source "${text}": expected oci:DIR[:TAG], oci-archive:FILE[:TAG] or docker-archive:FILE[:REPO:TAG]`);
  const rest = text.slice(colon + 1);
  const sep = rest.indexOf(":");
  const path = sep < 0 ? rest : rest.slice(0, sep);
  const ref = sep < 0 ? undefined : rest.slice(sep + 1);
  if (!path) throw new RuntimeError(`source "${text}": no path`);
  if (ref === "") throw new RuntimeError(`source "${text}": empty tag`);
  return { transport, path, ref };
}

/** Sequential reads of one file's bytes (a whole file, or a member of an archive). */
export class ByteReader {
  private left: number;
  constructor(private readonly fd: number, offset: number, readonly size: number, private readonly name: string, private readonly owned: boolean) {
    this.left = size;
    seek(fd, offset, name);
  }

  /** The next chunk (up to `max` bytes), undefined at the end. */
  read(max = 1 << 20): Uint8Array | undefined {
    if (this.left === 0) return undefined;
    const buf = new Uint8Array(Math.min(max, this.left));
    const n = readInto(this.fd, buf, this.name);
    if (n === 0) throw new RuntimeError(`"${this.name}": file ends ${this.left} bytes early`);
    this.left -= n;
    return n === buf.length ? buf : buf.subarray(0, n);
  }

  /** The next bytes into `buf` (no allocation: for a pass that only hashes); 0 at the end. */
  readInto(buf: Uint8Array): number {
    if (this.left === 0) return 0;
    const n = readInto(this.fd, this.left < buf.length ? buf.subarray(0, this.left) : buf, this.name);
    if (n === 0) throw new RuntimeError(`"${this.name}": file ends ${this.left} bytes early`);
    this.left -= n;
    return n;
  }

  close() { if (this.owned) closeFd(this.fd); }
}

export interface FileSet {
  readonly describe: string;
  /** The file's size, or undefined when it is missing. */
  size(name: string): number | undefined;
  open(name: string): ByteReader;
  close(): void;
}

const ENOENT = 2, ENOTDIR = 20;

/** open(2) of a regular file only: O_NONBLOCK so that a fifo planted in a source cannot hang us. */
function openRegular(path: string): number {
  const fd = openFile(path, O.RDONLY | O.NONBLOCK);
  if (!fstat(fd).isFile()) {
    closeFd(fd);
    throw new RuntimeError(`"${path}" is not a regular file`);
  }
  return fd;
}

/** Files under a directory (an OCI layout). Names are checked by the caller (digests, fixed names). */
export class DirFiles implements FileSet {
  constructor(private readonly dir: string) {}
  get describe() { return this.dir; }
  size(name: string): number | undefined {
    let fd: number;
    try {
      fd = openRegular(`${this.dir}/${name}`);
    } catch (e) {
      if (e instanceof SysError && (e.errno === ENOENT || e.errno === ENOTDIR)) return undefined;
      throw e;
    }
    try { return fstat(fd).size; } finally { closeFd(fd); }
  }
  open(name: string): ByteReader {
    const fd = openRegular(`${this.dir}/${name}`);
    try {
      return new ByteReader(fd, 0, fstat(fd).size, `${this.dir}/${name}`, true);
    } catch (e) {
      closeFd(fd);
      throw e;
    }
  }
  close() {}
}

interface Member { offset: number; size: number; link?: string }

/** Files inside an uncompressed tar (`docker save`, oci-archive): an index of member offsets. */
export class TarFiles implements FileSet {
  private members = new Map<string, Member>();
  private fd: number;

  constructor(private readonly file: string) {
    this.fd = openRegular(file);
    try { this.index(); } catch (e) {
      closeFd(this.fd);
      throw e instanceof RuntimeError && !(e instanceof SysError) ? new RuntimeError(`"${file}": ${e.message}`) : e;
    }
  }

  get describe() { return this.file; }

  private index() {
    const total = fstat(this.fd).size;
    const block = new Uint8Array(512);
    const decoder = new HeaderDecoder();
    let offset = 0;
    const readAt = (at: number, buf: Uint8Array) => {
      const r = new ByteReader(this.fd, at, buf.length, this.file, false);
      let fill = 0;
      for (let c = r.read(buf.length); c; c = r.read(buf.length - fill)) { buf.set(c, fill); fill += c.length; }
    };
    while (offset + 512 <= total) {
      readAt(offset, block);
      const h = parseHeader(block);
      if (!h) break;
      const dataAt = offset + 512;
      offset = dataAt + Math.ceil(h.size / 512) * 512;
      if (offset > total) throw new RuntimeError(`member "${h.name}" runs past the end of the archive (truncated)`);
      if (HeaderDecoder.isMeta(h)) {
        if (h.size > 1 << 20) throw new RuntimeError(`tar metadata header of ${h.size} bytes`);
        const data = new Uint8Array(h.size);
        readAt(dataAt, data);
        decoder.meta(h, data);
        continue;
      }
      const e = decoder.entry(h);
      const name = normal(e.path);
      if (e.type === "file") this.members.set(name, { offset: dataAt, size: e.size });
      else if (e.type === "symlink") this.members.set(name, { offset: 0, size: 0, link: joinLink(name, e.linkname) });
      else if (e.type === "hardlink") this.members.set(name, { offset: 0, size: 0, link: normal(e.linkname) });
    }
  }

  private find(name: string): Member | undefined {
    let key = normal(name);
    for (let hops = 0; hops < 16; hops++) {
      const m = this.members.get(key);
      if (!m?.link) return m;
      key = m.link;
    }
    throw new RuntimeError(`"${this.file}": member "${name}": too many links`);
  }

  size(name: string) { return this.find(name)?.size; }

  open(name: string): ByteReader {
    const m = this.find(name);
    if (!m) throw new RuntimeError(`"${this.file}": no member "${name}"`);
    return new ByteReader(this.fd, m.offset, m.size, `${this.file}:${name}`, false);
  }

  close() { closeFd(this.fd); }
}

const normal = (name: string) => name.split("/").filter((p) => p && p !== ".").join("/");

/** A symlink member's target, relative to its directory, as an archive name. */
function joinLink(name: string, target: string): string {
  const out = target.startsWith("/") ? [] : name.split("/").slice(0, -1);
  for (const p of target.split("/")) {
    if (!p || p === ".") continue;
    if (p === "..") out.pop(); else out.push(p);
  }
  return out.join("/");
}

/** The file set of a source. */
export function openFiles(src: SourceRef): FileSet {
  if (src.transport === "oci") return new DirFiles(src.path);
  return new TarFiles(src.path);
}
