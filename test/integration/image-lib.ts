// Builders for image tests: tar layers written byte by byte (so hostile ones can be made), OCI
// layouts, oci-archives and docker-archives around them, and a tree hash of an unpacked rootfs.
import { spawnSync } from "bun";
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";

export interface TarItem {
  path: string;
  type?: "file" | "dir" | "symlink" | "hardlink" | "char" | "block" | "fifo";
  data?: string | Uint8Array;
  mode?: number;
  uid?: number;
  gid?: number;
  link?: string;
  major?: number;
  minor?: number;
  xattrs?: Record<string, string | Uint8Array>;
  mtime?: number;
}

const TYPEFLAG = { file: "0", hardlink: "1", symlink: "2", char: "3", block: "4", dir: "5", fifo: "6" } as const;
const enc = new TextEncoder();
const bytes = (v: string | Uint8Array) => (typeof v === "string" ? enc.encode(v) : v);

function octal(buf: Uint8Array, off: number, len: number, n: number) {
  buf.set(enc.encode(n.toString(8).padStart(len - 1, "0")), off);
}

function header(name: string, typeflag: string, size: number, item: Partial<TarItem>): Uint8Array {
  const h = new Uint8Array(512);
  h.set(enc.encode(name).subarray(0, 100), 0);
  octal(h, 100, 8, item.mode ?? (typeflag === "5" ? 0o755 : 0o644));
  octal(h, 108, 8, item.uid ?? 0);
  octal(h, 116, 8, item.gid ?? 0);
  octal(h, 124, 12, size);
  octal(h, 136, 12, item.mtime ?? 1700000000);
  h[156] = typeflag.charCodeAt(0);
  h.set(enc.encode(item.link ?? "").subarray(0, 100), 157);
  h.set(enc.encode("ustar\0"), 257);
  h.set(enc.encode("00"), 263);
  octal(h, 329, 8, item.major ?? 0);
  octal(h, 337, 8, item.minor ?? 0);
  h.fill(32, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.set(enc.encode(`${sum.toString(8).padStart(6, "0")}\0 `), 148);
  return h;
}

function paxRecord(key: string, value: Uint8Array): Uint8Array {
  const body = (n: number) => enc.encode(`${n} ${key}=`).length + value.length + 1;
  let len = body(0);
  while (body(len) !== len) len = body(len);
  return Buffer.concat([enc.encode(`${len} ${key}=`), value, enc.encode("\n")]);
}

const pad = (n: number) => new Uint8Array((512 - (n % 512)) % 512);

/** A tar of `items` (pax headers for long names, long link targets and xattrs). */
export function makeTar(items: TarItem[], { end = true } = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const item of items) {
    const type = item.type ?? (item.path.endsWith("/") ? "dir" : "file");
    const data = type === "file" ? bytes(item.data ?? "") : new Uint8Array(0);
    const records: Uint8Array[] = [];
    if (enc.encode(item.path).length > 100) records.push(paxRecord("path", enc.encode(item.path)));
    if (item.link && enc.encode(item.link).length > 100) records.push(paxRecord("linkpath", enc.encode(item.link)));
    for (const [k, v] of Object.entries(item.xattrs ?? {})) records.push(paxRecord(`SCHILY.xattr.${k}`, bytes(v)));
    if (records.length) {
      const pax = Buffer.concat(records);
      parts.push(header("PaxHeader", "x", pax.length, {}), pax, pad(pax.length));
    }
    parts.push(header(item.path, TYPEFLAG[type], data.length, item), data, pad(data.length));
  }
  if (end) parts.push(new Uint8Array(1024));
  return Buffer.concat(parts);
}

export const sha256 = (data: Uint8Array) => `sha256:${createHash("sha256").update(data).digest("hex")}`;

export interface LayerSpec { tar: Uint8Array; compression?: "gzip" | "zstd" | "none"; blob?: Uint8Array; mediaType?: string }

export interface ImageConfigInput {
  Entrypoint?: string[]; Cmd?: string[]; Env?: string[]; WorkingDir?: string; User?: string; Labels?: Record<string, string>;
  StopSignal?: string; ExposedPorts?: Record<string, object>; Volumes?: Record<string, object>;
}

function compress(l: LayerSpec): Uint8Array {
  if (l.blob) return l.blob;
  if (l.compression === "zstd") return Bun.zstdCompressSync(l.tar);
  if (l.compression === "none") return l.tar;
  return Bun.gzipSync(l.tar);
}

const layerType = (l: LayerSpec) =>
  l.mediaType ?? `application/vnd.oci.image.layer.v1.tar${l.compression === "none" ? "" : l.compression === "zstd" ? "+zstd" : "+gzip"}`;

/** An OCI image layout in `dir` with one image tagged `tag`; `edit` may change the manifest before it is stored. */
export function makeOciLayout(dir: string, layers: LayerSpec[], config: ImageConfigInput = {}, tag = "latest",
  edit: (manifest: { layers: Array<{ digest: string; size: number }> }, blobs: Map<string, Uint8Array>) => void = () => {}): void {
  mkdirSync(`${dir}/blobs/sha256`, { recursive: true });
  const blobs = new Map<string, Uint8Array>();
  const put = (data: Uint8Array) => { const d = sha256(data); blobs.set(d, data); return { digest: d, size: data.length }; };
  const image = {
    created: "2024-01-02T03:04:05Z", author: "tests", architecture: process.arch === "arm64" ? "arm64" : "amd64", os: "linux",
    config, rootfs: { type: "layers", diff_ids: layers.map((l) => sha256(l.tar)) },
  };
  const manifest = {
    schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", ...put(enc.encode(JSON.stringify(image))) },
    layers: layers.map((l) => ({ mediaType: layerType(l), ...put(compress(l)) })),
  };
  edit(manifest, blobs);
  const m = put(enc.encode(JSON.stringify(manifest)));
  for (const [d, data] of blobs) writeFileSync(`${dir}/blobs/sha256/${d.slice(7)}`, data);
  writeFileSync(`${dir}/oci-layout`, JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(`${dir}/index.json`, JSON.stringify({
    schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", ...m, annotations: { "org.opencontainers.image.ref.name": tag } }],
  }));
}

/**
 * A `docker save` archive: legacy layout (manifest.json, <digest>.json, <n>/layer.tar), or
 * Docker 25's (`blobs`: config and layers under blobs/sha256/, named by digest).
 */
export function makeDockerArchive(file: string, work: string, layers: Uint8Array[], config: ImageConfigInput = {}, repoTag = "test/img:v1",
  { blobs = false } = {}) {
  mkdirSync(work, { recursive: true });
  const image = {
    created: "2024-01-02T03:04:05Z", architecture: process.arch === "arm64" ? "arm64" : "amd64", os: "linux",
    config, rootfs: { type: "layers", diff_ids: layers.map(sha256) },
  };
  const cfg = enc.encode(JSON.stringify(image));
  mkdirSync(`${work}/blobs/sha256`, { recursive: true });
  const cfgName = blobs ? `blobs/sha256/${sha256(cfg).slice(7)}` : `${sha256(cfg).slice(7)}.json`;
  writeFileSync(`${work}/${cfgName}`, cfg);
  const names = layers.map((l, i) => {
    const name = blobs ? `blobs/sha256/${sha256(l).slice(7)}` : `l${i}/layer.tar`;
    mkdirSync(`${work}/${name.slice(0, name.lastIndexOf("/"))}`, { recursive: true });
    writeFileSync(`${work}/${name}`, l);
    return name;
  });
  writeFileSync(`${work}/manifest.json`, JSON.stringify([{ Config: cfgName, RepoTags: [repoTag], Layers: names }]));
  tarDir(work, file);
}

export function tarDir(dir: string, file: string) {
  const p = spawnSync(["tar", "-C", dir, "-cf", file, "."], { stderr: "pipe" });
  if (!p.success) throw new Error(`tar: ${p.stderr}`);
}

const TREE_HASH = `
import hashlib, os, stat, sys
root = sys.argv[1]
first = {}
rows = []
for d, dirs, files in os.walk(root):
    for name in [""] if d == root else []:
        pass
    for name in sorted(dirs + files):
        rows.append(os.path.join(d, name))
rows.sort()
out = []
for p in [root] + rows:
    st = os.lstat(p)
    rel = os.path.relpath(p, root)
    m = st.st_mode
    kind = "d" if stat.S_ISDIR(m) else "f" if stat.S_ISREG(m) else "l" if stat.S_ISLNK(m) else "c" if stat.S_ISCHR(m) else "b" if stat.S_ISBLK(m) else "p" if stat.S_ISFIFO(m) else "?"
    extra = ""
    if kind == "f":
        extra = "size=%d sha256=%s" % (st.st_size, hashlib.sha256(open(p, "rb").read()).hexdigest())
        if st.st_nlink > 1:
            key = (st.st_dev, st.st_ino)
            extra += " linkgroup=%s" % first.setdefault(key, rel)
    elif kind == "l":
        extra = "-> " + os.readlink(p)
    elif kind in "cb":
        extra = "dev=%d,%d" % (os.major(st.st_rdev), os.minor(st.st_rdev))
    try:
        xs = sorted(os.listxattr(p, follow_symlinks=False))
    except OSError:
        xs = []
    x = " ".join("%s=%s" % (n, os.getxattr(p, n, follow_symlinks=False).hex()) for n in xs)
    out.append("%s %s %04o %d:%d %s %s" % (rel, kind, stat.S_IMODE(m), st.st_uid, st.st_gid, extra, x))
print("\\n".join(out))
`;

/** One line per path: type, mode, owner, size, content hash, link target or device, xattrs; hard links grouped. */
export function treeHash(rootfs: string): string {
  const p = spawnSync(["/usr/bin/python3", "-c", TREE_HASH, rootfs], { stderr: "pipe" });
  if (!p.success) throw new Error(`tree hash: ${p.stderr}`);
  return p.stdout.toString();
}
