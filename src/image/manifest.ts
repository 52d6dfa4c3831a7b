// From a source to what to unpack: index → (platform) manifest → config and layers, as the
// engines choose them. Every blob is checked against its descriptor (size, then sha256) before
// its bytes are used; a docker-archive names its config by digest and its layers by diff_id.
import { RuntimeError } from "../sys/errors.ts";
import type { FileSet, SourceRef } from "./source.ts";

export interface Platform { os: string; architecture: string; variant?: string }

export interface Descriptor {
  mediaType?: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

export interface ImageConfig {
  os?: string;
  architecture?: string;
  variant?: string;
  author?: string;
  created?: string;
  config?: {
    User?: string; Env?: string[]; Entrypoint?: string[] | null; Cmd?: string[] | null; WorkingDir?: string;
    Labels?: Record<string, string> | null; StopSignal?: string; ExposedPorts?: Record<string, unknown> | null;
    Volumes?: Record<string, unknown> | null;
  };
  rootfs?: { type?: string; diff_ids?: string[] };
}

export interface Layer {
  /** how errors name it: `layer 2 (sha256:ab12…)` */
  label: string;
  file: string;
  /** the stored blob's digest and size (OCI); a docker-archive layer has only its diff_id */
  digest?: string;
  size?: number;
  diffID: string;
  mediaType?: string;
}

export interface Image {
  config: ImageConfig;
  configDigest: string;
  layers: Layer[];
  /** annotations of the chosen manifest */
  annotations: Record<string, string>;
}

const MAX_JSON = 8 << 20;
const INDEX_TYPES = new Set(["application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"]);
export const LAYER_TYPES = new Set([
  "application/vnd.oci.image.layer.v1.tar", "application/vnd.oci.image.layer.v1.tar+gzip", "application/vnd.oci.image.layer.v1.tar+zstd",
  "application/vnd.oci.image.layer.nondistributable.v1.tar", "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
  "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
  "application/vnd.docker.image.rootfs.diff.tar.gzip", "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
]);

export const hostPlatform = (): Platform =>
  process.arch === "arm64" ? { os: "linux", architecture: "arm64", variant: "v8" }
  : { os: "linux", architecture: process.arch === "x64" ? "amd64" : process.arch };

/** `linux/amd64`, `linux/arm64/v8` → Platform. */
export function parsePlatform(text: string): Platform {
  const [os, architecture, variant, extra] = text.split("/");
  if (!os || !architecture || extra !== undefined || variant === "")
    throw new RuntimeError(`--platform: expected OS/ARCH[/VARIANT], got "${text}"`);
  return { os, architecture, variant };
}

const showPlatform = (p: Platform) => [p.os, p.architecture, p.variant].filter(Boolean).join("/");

function matches(p: Platform | undefined, want: Platform): boolean {
  if (!p || p.os !== want.os || p.architecture !== want.architecture) return false;
  // arm64's variant is v8 whether or not it is written
  const variant = (v?: string) => (want.architecture === "arm64" ? v ?? "v8" : v);
  return !want.variant || variant(p.variant) === variant(want.variant);
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const short = (digest: string) => digest.slice(0, 19);

function checkDigest(digest: unknown, what: string): string {
  if (typeof digest !== "string" || !DIGEST.test(digest))
    throw new RuntimeError(`${what}: digest ${JSON.stringify(digest)} is not sha256:<64 hex> (the only algorithm supported)`);
  return digest;
}

export const sha256 = (data: Uint8Array) => `sha256:${new Bun.CryptoHasher("sha256").update(data).digest("hex")}`;

/** A whole small file (JSON), at most MAX_JSON bytes. */
function readSmall(files: FileSet, name: string, what: string): Uint8Array {
  const size = files.size(name);
  if (size === undefined) throw new RuntimeError(`${what}: "${name}" is missing from ${files.describe}`);
  if (size > MAX_JSON) throw new RuntimeError(`${what}: "${name}" is ${size} bytes (limit ${MAX_JSON})`);
  const r = files.open(name);
  try {
    const out = new Uint8Array(size);
    let fill = 0;
    for (let c = r.read(); c; c = r.read()) { out.set(c, fill); fill += c.length; }
    return out;
  } finally {
    r.close();
  }
}

function parseJson<T>(data: Uint8Array, what: string): T {
  try { return JSON.parse(new TextDecoder().decode(data)) as T; } catch (e) {
    throw new RuntimeError(`${what}: invalid JSON: ${(e as Error).message}`);
  }
}

export const blobName = (digest: string) => `blobs/sha256/${digest.slice(7)}`;

/** A blob, checked: size first (a file of the wrong size is not even read), then sha256. */
function readBlob<T>(files: FileSet, desc: Descriptor, what: string): T {
  const digest = checkDigest(desc.digest, what);
  if (!Number.isSafeInteger(desc.size) || desc.size < 0) throw new RuntimeError(`${what} ${short(digest)}: size ${JSON.stringify(desc.size)} is not a byte count`);
  const actual = files.size(blobName(digest));
  if (actual === undefined) throw new RuntimeError(`${what} ${digest}: blob missing from ${files.describe}`);
  if (actual !== desc.size) throw new RuntimeError(`${what} ${digest}: blob is ${actual} bytes, descriptor says ${desc.size}`);
  const data = readSmall(files, blobName(digest), what);
  const got = sha256(data);
  if (got !== digest) throw new RuntimeError(`${what} ${digest}: content has digest ${got} (corrupt or tampered blob)`);
  return parseJson<T>(data, `${what} ${short(digest)}`);
}

interface Index { schemaVersion?: number; mediaType?: string; manifests?: Descriptor[] }
interface Manifest { schemaVersion?: number; mediaType?: string; config?: Descriptor; layers?: Descriptor[]; annotations?: Record<string, string> }

/** The manifest of an OCI layout: by tag, then by platform through nested indexes. */
function resolveOci(files: FileSet, src: SourceRef, want: Platform, strict: boolean, warn: (m: string) => void): Image {
  if (files.size("oci-layout") === undefined) throw new RuntimeError(`${files.describe}: not an OCI image layout (no oci-layout file)`);
  const index = parseJson<Index>(readSmall(files, "index.json", "index.json"), "index.json");
  let candidates = index.manifests ?? [];
  if (src.ref !== undefined) {
    candidates = candidates.filter((d) => d.annotations?.["org.opencontainers.image.ref.name"] === src.ref);
    if (!candidates.length) throw new RuntimeError(`${files.describe}: no image tagged "${src.ref}" (tags: ${tagsOf(index).join(", ") || "none"})`);
  } else if (new Set(candidates.map((d) => d.digest)).size > 1 && candidates.some((d) => !d.platform)) {
    throw new RuntimeError(`${files.describe}: holds ${candidates.length} images: name one with :TAG (tags: ${tagsOf(index).join(", ") || "none"})`);
  }
  for (let depth = 0; ; depth++) {
    if (depth > 4) throw new RuntimeError("image index nested too deep");
    const desc = pick(candidates, want, strict, warn);
    if (desc.mediaType && INDEX_TYPES.has(desc.mediaType)) {
      candidates = readBlob<Index>(files, desc, "image index").manifests ?? [];
      continue;
    }
    const manifest = readBlob<Manifest>(files, desc, "manifest");
    if (manifest.mediaType && INDEX_TYPES.has(manifest.mediaType)) { candidates = (manifest as Index).manifests ?? []; continue; }
    if (!manifest.config) throw new RuntimeError(`manifest ${short(desc.digest)}: no config`);
    const config = readBlob<ImageConfig>(files, manifest.config, "image config");
    const diffIDs = config.rootfs?.diff_ids ?? [];
    const layers = manifest.layers ?? [];
    if (diffIDs.length !== layers.length)
      throw new RuntimeError(`image config ${short(manifest.config.digest)}: ${diffIDs.length} diff_ids for ${layers.length} layers`);
    return {
      config, configDigest: manifest.config.digest, annotations: manifest.annotations ?? {},
      layers: layers.map((l, i) => {
        const digest = checkDigest(l.digest, `layer ${i + 1}`);
        if (l.mediaType && !LAYER_TYPES.has(l.mediaType)) throw new RuntimeError(`layer ${i + 1} (${short(digest)}): unsupported media type "${l.mediaType}"`);
        return { label: `layer ${i + 1} (${short(digest)})`, file: blobName(digest), digest, size: l.size, mediaType: l.mediaType, diffID: checkDigest(diffIDs[i], `image config rootfs.diff_ids[${i}]`) };
      }),
    };
  }
}

const tagsOf = (index: Index) => (index.manifests ?? []).map((d) => d.annotations?.["org.opencontainers.image.ref.name"]).filter(Boolean) as string[];

/** One descriptor: the only one, or the one for the platform. */
function pick(candidates: Descriptor[], want: Platform, strict: boolean, warn: (m: string) => void): Descriptor {
  if (!candidates.length) throw new RuntimeError("image index lists no manifests");
  const withPlatform = candidates.filter((d) => d.platform);
  if (!withPlatform.length) return candidates[0]!;
  const match = withPlatform.find((d) => matches(d.platform, want));
  if (match) return match;
  const offered = withPlatform.map((d) => showPlatform(d.platform!)).join(", ");
  if (candidates.length === 1 && !strict) {
    warn(`image is for ${offered}, not this host's ${showPlatform(want)}`);
    return candidates[0]!;
  }
  throw new RuntimeError(`no image for platform ${showPlatform(want)} (offered: ${offered}); choose one with --platform`);
}

interface DockerEntry { Config?: string; RepoTags?: string[] | null; Layers?: string[] }

const shortRef = (ref: string) => ref.replace(/^(docker\.io|localhost)\//, "").replace(/^library\//, "");

/** `docker save` / `podman save`: manifest.json → config (named by its digest) and layer tars (checked by diff_id). */
function resolveDocker(files: FileSet, src: SourceRef): Image {
  const entries = parseJson<DockerEntry[]>(readSmall(files, "manifest.json", "manifest.json"), "manifest.json");
  if (!Array.isArray(entries) || !entries.length) throw new RuntimeError(`${files.describe}: manifest.json lists no images`);
  const tags = entries.flatMap((e) => e.RepoTags ?? []);
  let entry: DockerEntry | undefined;
  if (src.ref !== undefined) {
    entry = entries.find((e) => (e.RepoTags ?? []).some((t) => t === src.ref || shortRef(t) === shortRef(src.ref!)));
    if (!entry) throw new RuntimeError(`${files.describe}: no image tagged "${src.ref}" (tags: ${tags.join(", ") || "none"})`);
  } else if (entries.length > 1) {
    throw new RuntimeError(`${files.describe}: holds ${entries.length} images: name one with :REPO:TAG (tags: ${tags.join(", ") || "none"})`);
  } else entry = entries[0]!;
  const configName = entry.Config ?? "";
  const hex = /^(?:blobs\/sha256\/)?([0-9a-f]{64})(?:\.json)?$/.exec(configName)?.[1];
  if (!hex) throw new RuntimeError(`manifest.json: Config "${configName}" is not named by its sha256 digest`);
  const configDigest = `sha256:${hex}`;
  const data = readSmall(files, configName, "image config");
  const got = sha256(data);
  if (got !== configDigest) throw new RuntimeError(`image config ${configDigest}: content has digest ${got} (corrupt or tampered blob)`);
  const config = parseJson<ImageConfig>(data, "image config");
  const diffIDs = config.rootfs?.diff_ids ?? [];
  const names = entry.Layers ?? [];
  if (diffIDs.length !== names.length) throw new RuntimeError(`image config ${short(configDigest)}: ${diffIDs.length} diff_ids for ${names.length} layers`);
  return {
    config, configDigest, annotations: {},
    layers: names.map((file, i) => {
      const diffID = checkDigest(diffIDs[i], `image config rootfs.diff_ids[${i}]`);
      return { label: `layer ${i + 1} (${file})`, file, diffID };
    }),
  };
}

export function resolveImage(files: FileSet, src: SourceRef, want: Platform, strict: boolean, warn: (m: string) => void): Image {
  const image = src.transport === "docker-archive" ? resolveDocker(files, src) : resolveOci(files, src, want, strict, warn);
  const { os, architecture, variant } = image.config;
  if (os !== "linux") throw new RuntimeError(`image config: os "${os}": only linux images can be unpacked`);
  if (!matches({ os, architecture: architecture ?? "", variant }, want)) {
    const msg = `image is for ${showPlatform({ os, architecture: architecture ?? "?", variant })}, not ${showPlatform(want)}`;
    if (strict) throw new RuntimeError(msg);
    warn(msg);
  }
  return image;
}
