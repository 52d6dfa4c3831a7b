// A streaming tar reader: ustar, pax (x and g headers) and GNU long names (L, K). It is fed
// chunks of any size and hands each entry's header and data to a sink as they arrive, so
// memory stays bounded whatever the archive's size. Only headers are buffered (a pax record
// or long name at most MAX_META bytes). Sparse files and unknown entry types are refused.
import { RuntimeError } from "../sys/errors.ts";

export type EntryType = "file" | "hardlink" | "symlink" | "char" | "block" | "dir" | "fifo";

export interface TarEntry {
  path: string;
  type: EntryType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** seconds since the epoch, with the fraction a pax header gives */
  mtime: number;
  atime?: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  xattrs: Map<string, Uint8Array>;
}

export interface TarSink {
  entry(e: TarEntry): void;
  data(chunk: Uint8Array): void;
  endEntry(): void;
}

const BLOCK = 512;
const MAX_META = 1 << 20;
const TYPES: Record<string, EntryType> = {
  "0": "file", "\0": "file", "7": "file", "1": "hardlink", "2": "symlink", "3": "char", "4": "block", "5": "dir", "6": "fifo",
};
const decoder = new TextDecoder();

const cString = (b: Uint8Array, off: number, len: number) => {
  const field = b.subarray(off, off + len);
  const end = field.indexOf(0);
  return decoder.decode(end < 0 ? field : field.subarray(0, end));
};

/** An octal field (NUL/space padded) or GNU base-256 (high bit of the first byte set). */
function number(b: Uint8Array, off: number, len: number, field: string): number {
  if (b[off]! & 0x80) {
    if (b[off] === 0xff) throw new RuntimeError(`tar header: negative ${field}`);
    let n = b[off]! & 0x7f;
    for (let i = 1; i < len; i++) n = n * 256 + b[off + i]!;
    if (!Number.isSafeInteger(n)) throw new RuntimeError(`tar header: ${field} too large`);
    return n;
  }
  const text = cString(b, off, len).trim();
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text)) throw new RuntimeError(`tar header: ${field} is not octal: "${text}"`);
  return parseInt(text, 8);
}

export interface RawHeader {
  name: string; mode: number; uid: number; gid: number; size: number; mtime: number;
  typeflag: string; linkname: string; devmajor: number; devminor: number;
}

/** One 512-byte header block; undefined for an all-zero block (end of archive). */
export function parseHeader(b: Uint8Array): RawHeader | undefined {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : b[i]!;
  if (sum === 32 * 8 && b.every((x, i) => x === 0 || (i >= 148 && i < 156))) return undefined;
  const stored = number(b, 148, 8, "checksum");
  if (stored !== sum) {
    // some old tars summed signed bytes
    let signed = 0;
    for (let i = 0; i < BLOCK; i++) signed += i >= 148 && i < 156 ? 32 : (b[i]! << 24) >> 24;
    if (stored !== signed) throw new RuntimeError("tar header: bad checksum (not a tar archive, or corrupt)");
  }
  const magic = cString(b, 257, 6);
  let name = cString(b, 0, 100);
  if (magic === "ustar" && b[262] === 0) { // POSIX ustar: the prefix field holds the leading directories
    const prefix = cString(b, 345, 155);
    if (prefix) name = `${prefix}/${name}`;
  }
  return {
    name, mode: number(b, 100, 8, "mode"), uid: number(b, 108, 8, "uid"), gid: number(b, 116, 8, "gid"),
    size: number(b, 124, 12, "size"), mtime: number(b, 136, 12, "mtime"), typeflag: String.fromCharCode(b[156]!),
    linkname: cString(b, 157, 100), devmajor: number(b, 329, 8, "devmajor"), devminor: number(b, 337, 8, "devminor"),
  };
}

/** pax records `LEN KEY=VALUE\n`; values stay bytes (xattr values are binary). */
export function parsePax(data: Uint8Array): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (let off = 0; off < data.length;) {
    if (data[off] === 0) break;
    const space = data.indexOf(0x20, off);
    const len = space < 0 ? NaN : Number(decoder.decode(data.subarray(off, space)));
    if (!Number.isInteger(len) || len <= 0 || off + len > data.length || data[off + len - 1] !== 0x0a)
      throw new RuntimeError("tar pax header: malformed record");
    const record = data.subarray(space + 1, off + len - 1);
    const eq = record.indexOf(0x3d);
    if (eq < 0) throw new RuntimeError("tar pax header: record without '='");
    out.set(decoder.decode(record.subarray(0, eq)), record.subarray(eq + 1));
    off += len;
  }
  return out;
}

/** Header + pending pax/GNU metadata → an entry; shared by the stream reader and the archive index. */
export class HeaderDecoder {
  private global = new Map<string, Uint8Array>();
  private pax: Map<string, Uint8Array> | undefined;
  private longName: string | undefined;
  private longLink: string | undefined;

  /** Is this header's data metadata for the next entry (pax, GNU long name)? */
  static isMeta(h: RawHeader) { return h.typeflag === "x" || h.typeflag === "g" || h.typeflag === "L" || h.typeflag === "K"; }

  meta(h: RawHeader, data: Uint8Array) {
    if (h.typeflag === "x") this.pax = parsePax(data);
    else if (h.typeflag === "g") for (const [k, v] of parsePax(data)) this.global.set(k, v);
    else if (h.typeflag === "L") this.longName = cString(data, 0, data.length);
    else this.longLink = cString(data, 0, data.length);
  }

  entry(h: RawHeader): TarEntry {
    const pax = new Map([...this.global].filter(([k]) => k !== "path" && k !== "linkpath"));
    for (const [k, v] of this.pax ?? []) pax.set(k, v);
    const text = (k: string) => { const v = pax.get(k); return v === undefined ? undefined : decoder.decode(v); };
    const num = (k: string, fallback: number) => {
      const v = text(k);
      if (v === undefined) return fallback;
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) throw new RuntimeError(`tar pax header: ${k} is not a number: "${v}"`);
      return n;
    };
    const type = TYPES[h.typeflag];
    const path = text("path") ?? this.longName ?? h.name;
    if (!type || pax.has("GNU.sparse.major") || pax.has("GNU.sparse.size"))
      throw new RuntimeError(`tar entry "${path}": unsupported type ${JSON.stringify(h.typeflag)}${type ? " (sparse)" : ""}`);
    const xattrs = new Map<string, Uint8Array>();
    for (const [k, v] of pax) {
      if (k.startsWith("SCHILY.xattr.")) xattrs.set(k.slice(13), v);
      else if (k.startsWith("LIBARCHIVE.xattr.")) xattrs.set(decodeURIComponent(k.slice(17)), Buffer.from(decoder.decode(v), "base64"));
    }
    const e: TarEntry = {
      path, type, mode: h.mode & 0o7777, uid: num("uid", h.uid), gid: num("gid", h.gid), size: num("size", h.size),
      mtime: num("mtime", h.mtime), atime: pax.has("atime") ? num("atime", 0) : undefined,
      linkname: text("linkpath") ?? this.longLink ?? h.linkname, devmajor: h.devmajor, devminor: h.devminor, xattrs,
    };
    if (!Number.isSafeInteger(e.size)) throw new RuntimeError(`tar entry "${path}": bad size`);
    this.pax = undefined; this.longName = undefined; this.longLink = undefined;
    return e;
  }
}

/** Push-fed tar reader: `push(chunk)` as data arrives, `finish()` at its end. */
export class TarReader {
  private header = new Uint8Array(BLOCK);
  private headerFill = 0;
  private remaining = 0; // data bytes of the current entry still to come
  private padding = 0;
  private metaHeader: RawHeader | undefined;
  private metaBuf: Uint8Array | undefined;
  private metaFill = 0;
  private inEntry = false;
  private ended = false;
  private zeroBlocks = 0;
  private decoder = new HeaderDecoder();

  constructor(private readonly sink: TarSink) {}

  push(chunk: Uint8Array) {
    let off = 0;
    while (off < chunk.length) {
      if (this.ended) return; // anything after the end-of-archive blocks is padding
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, chunk.length - off);
        const part = chunk.subarray(off, off + n);
        if (this.metaBuf) { this.metaBuf.set(part, this.metaFill); this.metaFill += n; } else this.sink.data(part);
        this.remaining -= n;
        off += n;
        if (this.remaining === 0) this.endData();
        continue;
      }
      if (this.padding > 0) {
        const n = Math.min(this.padding, chunk.length - off);
        this.padding -= n;
        off += n;
        continue;
      }
      const n = Math.min(BLOCK - this.headerFill, chunk.length - off);
      this.header.set(chunk.subarray(off, off + n), this.headerFill);
      this.headerFill += n;
      off += n;
      if (this.headerFill === BLOCK) { this.headerFill = 0; this.onHeader(); }
    }
  }

  private onHeader() {
    const h = parseHeader(this.header);
    if (!h) {
      if (++this.zeroBlocks === 2) this.ended = true;
      return;
    }
    if (this.zeroBlocks) throw new RuntimeError("tar: a header after an end-of-archive block");
    this.padding = (BLOCK - (h.size % BLOCK)) % BLOCK;
    if (HeaderDecoder.isMeta(h)) {
      if (h.size > MAX_META) throw new RuntimeError(`tar: ${h.typeflag} header of ${h.size} bytes (limit ${MAX_META})`);
      this.metaHeader = h;
      this.metaBuf = new Uint8Array(h.size);
      this.metaFill = 0;
      this.remaining = h.size;
      if (h.size === 0) this.endData();
      return;
    }
    const e = this.decoder.entry(h);
    const padded = Math.ceil(e.size / BLOCK) * BLOCK;
    this.sink.entry(e);
    if (e.type !== "file") { // data of another type (a size on a hard link) is skipped, never written
      this.padding = padded;
      this.sink.endEntry();
      return;
    }
    this.padding = padded - e.size;
    this.inEntry = true;
    this.remaining = e.size;
    if (e.size === 0) this.endData();
  }

  private endData() {
    if (this.metaBuf) {
      this.decoder.meta(this.metaHeader!, this.metaBuf);
      this.metaBuf = undefined;
      this.metaHeader = undefined;
      return;
    }
    if (this.inEntry) { this.inEntry = false; this.sink.endEntry(); }
  }

  /** The input ended: fine at an entry boundary (with or without end-of-archive blocks), else truncated. */
  finish() {
    if (this.remaining > 0 || this.headerFill > 0 || this.metaBuf || this.padding > 0)
      throw new RuntimeError("tar: unexpected end of data (truncated layer)");
  }
}
