// `minidocker unpack SOURCE BUNDLE`: resolve the image, check each layer blob (size, sha256), then
// stream it (read → gunzip/unzstd → sha256 of the tar (diff_id) → tar reader → in-root writer), write
// config.json, then rename the bundle into place. The bundle is built in a hidden directory
// beside BUNDLE: a failure at any step removes it, so there is never a half bundle.
import { Cleanup } from "../container/context.ts";
import { RuntimeError, SysError } from "../sys/errors.ts";
import { closeFd, fchown, mkdir, openFile, readAllFd, removeTree, tryLstat, writeText } from "../sys/fs.ts";
import { openat2, RESOLVE, renameNoReplace } from "../sys/in-root.ts";
import { O } from "../sys/linux.ts";
import { resolvePath } from "../sys/path.ts";
import { type IdMap, LayerWriter } from "./apply.ts";
import { runtimeSpec } from "./config.ts";
import { type Image, type Layer, type Platform, resolveImage } from "./manifest.ts";
import { type FileSet, openFiles, parseSource } from "./source.ts";
import { TarReader } from "./tar.ts";

export interface UnpackOptions {
  source: string;
  bundle: string;
  platform: Platform;
  /** --platform was given: a mismatch is an error, not a warning */
  strictPlatform: boolean;
  rootless: boolean;
  uidMap: IdMap[];
  gidMap: IdMap[];
  /** bound on the bytes all layers may expand to (decompression bombs) */
  maxSize: number;
  warn(msg: string): void;
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };
const GZIP = [0x1f, 0x8b], ZSTD = [0x28, 0xb5, 0x2f, 0xfd];
const startsWith = (b: Uint8Array, magic: number[]) => magic.every((x, i) => b[i] === x);

/** Compression by media type, checked against the data's magic; by magic alone where the type does not say. */
function compressionOf(layer: Layer, first: Uint8Array): "gzip" | "zstd" | undefined {
  const t = layer.mediaType ?? "";
  const byMagic = startsWith(first, GZIP) ? "gzip" : startsWith(first, ZSTD) ? "zstd" : undefined;
  const byType = t.endsWith("+gzip") || t.endsWith(".tar.gzip") ? "gzip" : t.endsWith("+zstd") ? "zstd" : t.endsWith(".tar") ? "none" : undefined;
  if (byType && byType !== (byMagic ?? "none"))
    throw new RuntimeError(`${layer.label}: media type says ${byType === "none" ? "uncompressed" : byType}, the data is ${byMagic ?? "not compressed"}`);
  return byMagic;
}

export const formatSize = (n: number) => (n >= 1 << 30 ? `${n / (1 << 30)}G` : n >= 1 << 20 ? `${n / (1 << 20)}M` : `${n}`);

const diffIdMismatch = (layer: Layer, got: string) =>
  new RuntimeError(`${layer.label}: uncompressed content has digest ${got}, the image config's diff_id is ${layer.diffID}`);

/**
 * First pass over a layer blob: size, then sha256 against the manifest, so nothing of a tampered
 * blob reaches the decompressor or the tar reader. A docker-archive names only the uncompressed
 * digest (diff_id), which is the blob's own for an uncompressed tar; a compressed one there is
 * checked by its diff_id as it streams.
 */
function verifyBlob(files: FileSet, layer: Layer) {
  const reader = files.open(layer.file);
  try {
    if (layer.size !== undefined && reader.size !== layer.size)
      throw new RuntimeError(`${layer.label}: blob is ${reader.size} bytes, the manifest says ${layer.size}`);
    const hash = new Bun.CryptoHasher("sha256");
    const buf = new Uint8Array(1 << 20);
    const first = buf.slice(0, reader.readInto(buf));
    hash.update(first);
    for (let n = reader.readInto(buf); n; n = reader.readInto(buf)) hash.update(buf.subarray(0, n));
    const got = `sha256:${hash.digest("hex")}`;
    if (layer.digest) {
      if (got !== layer.digest) throw new RuntimeError(`${layer.label}: blob ${layer.digest} has digest ${got} (corrupt or tampered blob)`);
    } else if (got !== layer.diffID && !compressionOf(layer, first)) {
      throw diffIdMismatch(layer, got);
    }
  } finally {
    reader.close();
  }
}

async function applyLayer(files: FileSet, layer: Layer, writer: LayerWriter, budget: { left: number; max: number }) {
  verifyBlob(files, layer);
  const reader = files.open(layer.file);
  try {
    const diffHash = new Bun.CryptoHasher("sha256");
    const first = reader.read() ?? new Uint8Array(0);
    const compression = compressionOf(layer, first);
    let pending: Uint8Array | undefined = first;
    const raw = new ReadableStream<Uint8Array>({
      pull(ctrl) {
        const chunk = pending ?? reader.read();
        pending = undefined;
        if (!chunk) return ctrl.close();
        ctrl.enqueue(chunk);
      },
    }, { highWaterMark: 0 });
    const tar = compression ? raw.pipeThrough(new DecompressionStream(compression)) : raw;
    const parser = new TarReader(writer);
    try {
      for await (const chunk of tar) {
        budget.left -= chunk.length;
        if (budget.left < 0)
          throw new RuntimeError(`${layer.label}: layers expand beyond ${formatSize(budget.max)} (a decompression bomb? raise --max-size if it is not)`);
        diffHash.update(chunk);
        parser.push(chunk);
      }
      parser.finish();
    } catch (e) {
      writer.abort();
      const msg = (e as Error).message ?? String(e);
      if (e instanceof RuntimeError) throw e.message.startsWith(layer.label) ? e : new RuntimeError(`${layer.label}: ${msg}`, { cause: e });
      throw new RuntimeError(`${layer.label}: ${compression ?? "tar"} data: ${msg}`, { cause: e }); // a DecompressionStream error
    }
    const diffID = `sha256:${diffHash.digest("hex")}`;
    if (diffID !== layer.diffID) throw diffIdMismatch(layer, diffID);
    writer.finishLayer();
  } finally {
    reader.close();
  }
}

/** A file of the rootfs, opened inside it (a symlinked /etc/passwd cannot point at the host's). */
function readInRoot(rootFd: number, path: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openat2(rootFd, path, O.RDONLY | O.CLOEXEC, RESOLVE.IN_ROOT | RESOLVE.NO_MAGICLINKS);
  } catch (e) {
    if (e instanceof SysError && (e.errno === 2 || e.errno === 20)) return undefined;
    throw e;
  }
  if (fd === undefined) return undefined;
  try { return readAllFd(fd, path).toString("utf8"); } finally { closeFd(fd); }
}

function chownToMappedRoot(path: string, opts: UnpackOptions) {
  const owner = (map: IdMap[]) => map.find((m) => m.containerID === 0)?.hostID ?? 0;
  const fd = openFile(path, O.RDONLY | O.NOFOLLOW);
  try { fchown(fd, owner(opts.uidMap), owner(opts.gidMap)); } finally { closeFd(fd); }
}

export async function unpack(opts: UnpackOptions): Promise<Image> {
  const src = parseSource(opts.source);
  const bundle = resolvePath(opts.bundle);
  if (tryLstat(bundle)) throw new RuntimeError(`bundle "${bundle}" exists: unpack makes a new one`);
  const parent = bundle.slice(0, bundle.lastIndexOf("/")) || "/";
  const tmp = `${parent}/.${bundle.slice(parent.length + 1)}.unpack-${process.pid}`;
  const files = openFiles(src);
  using cleanup = new Cleanup(opts.warn);
  cleanup.add("source", () => files.close());
  const image = resolveImage(files, src, opts.platform, opts.strictPlatform, opts.warn);
  mkdir(tmp, 0o700);
  cleanup.add("temporary bundle", () => removeTree(tmp));
  // Ctrl-C or a kill between two chunks: the temporary bundle goes too
  const onSignal = (signal: NodeJS.Signals) => {
    try { removeTree(tmp); } catch { /* exiting anyway */ }
    process.exit(128 + (SIGNALS[signal] ?? 15));
  };
  for (const signal of Object.keys(SIGNALS) as NodeJS.Signals[]) process.on(signal, onSignal);
  cleanup.add("signal handlers", () => { for (const signal of Object.keys(SIGNALS)) process.off(signal, onSignal); });
  mkdir(`${tmp}/rootfs`, 0o755);
  if (opts.rootless) chownToMappedRoot(`${tmp}/rootfs`, opts);
  const rootFd = openFile(`${tmp}/rootfs`, O.PATH | O.DIRECTORY | O.NOFOLLOW);
  cleanup.add("rootfs fd", () => closeFd(rootFd));
  const writer = new LayerWriter(rootFd, opts);
  const budget = { left: opts.maxSize, max: opts.maxSize };
  for (const layer of image.layers) await applyLayer(files, layer, writer, budget);
  if (writer.unmapped.count)
    opts.warn(`rootless: ${writer.unmapped.count} owner ids outside --uid-map/--gid-map were given to the mapped root`);
  const spec = runtimeSpec(image, { ...opts, readRootfsFile: (p) => readInRoot(rootFd, p) });
  writeText(`${tmp}/config.json`, `${JSON.stringify(spec, null, "\t")}\n`, { mode: 0o644 });
  if (opts.rootless) { // the bundle belongs to the user who will run it
    chownToMappedRoot(`${tmp}/config.json`, opts);
    chownToMappedRoot(tmp, opts);
  }
  for (const signal of Object.keys(SIGNALS)) process.off(signal, onSignal);
  renameNoReplace(tmp, bundle);
  cleanup.keep();
  files.close();
  closeFd(rootFd);
  return image;
}
