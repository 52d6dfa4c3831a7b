import { defaultSpec } from "../spec/defaults.ts";
import { RuntimeError } from "../sys/errors.ts";
import type { IdMap } from "../stages/spawn.ts";
import { collect, type Command } from "./index.ts";

// (minidocker only) An image archive or layout → a bundle, with nothing but this binary: what
// `skopeo copy` + `umoci unpack` do on a host that has them.
const DEFAULT_MAX_SIZE = 64 * 2 ** 30;

/** `64M`, `8G`, `1048576` → bytes. */
export function parseSize(text: string): number {
  const m = /^(\d+)([KMGT]?)i?B?$/i.exec(text);
  if (!m) throw new RuntimeError(`unpack --max-size: expected a byte count like 512M or 8G, got "${text}"`);
  return Number(m[1]) * 1024 ** " KMGT".indexOf((m[2] || " ").toUpperCase());
}

/** `CONTAINER:HOST:SIZE` (umoci's --uid-map form). */
export function parseIdMap(text: string, flag: string): IdMap {
  const m = /^(\d+):(\d+):(\d+)$/.exec(text);
  if (!m || Number(m[3]) === 0) throw new RuntimeError(`unpack --${flag} "${text}": expected CONTAINER:HOST:SIZE (size at least 1)`);
  return { containerID: Number(m[1]), hostID: Number(m[2]), size: Number(m[3]) };
}

export default {
  meta: {
    name: "unpack",
    description: "make a bundle from an image: unpack SOURCE BUNDLE, SOURCE one of oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:REPO:TAG] (docker/podman save)",
  },
  operands: { usage: "SOURCE BUNDLE", min: 2, max: 2 },
  args: {
    platform: { type: "string", description: "OS/ARCH[/VARIANT] to choose from a multi-platform image (default: this host's)" },
    rootless: { type: "boolean", description: "a bundle for a rootless container (like spec --rootless); device nodes are skipped" },
    "uid-map": { type: "string", description: "CONTAINER:HOST:SIZE uid mapping of a rootless bundle; file owners are shifted by it (repeatable)" },
    "gid-map": { type: "string", description: "CONTAINER:HOST:SIZE gid mapping, as --uid-map (repeatable)" },
    "max-size": { type: "string", description: "refuse images whose layers expand beyond this many bytes (decompression bombs; default 64G)" },
  },
  async run(ctx, inv) {
    const [source, bundle] = inv.positionals as [string, string];
    const rootless = inv.flags.rootless === true;
    let uidMap = collect(inv.flagTokens, ["uid-map"]).map((m) => parseIdMap(m, "uid-map"));
    let gidMap = collect(inv.flagTokens, ["gid-map"]).map((m) => parseIdMap(m, "gid-map"));
    if (!rootless && (uidMap.length || gidMap.length)) throw new RuntimeError("unpack --uid-map/--gid-map: only with --rootless");
    if (rootless) { // spec --rootless's maps (the caller as root) unless given
      const linux = defaultSpec({ rootless: true }).linux!;
      if (!uidMap.length) uidMap = linux.uidMappings!;
      if (!gidMap.length) gidMap = linux.gidMappings!;
    }
    const { hostPlatform, parsePlatform } = await import("../image/manifest.ts");
    const { unpack } = await import("../image/unpack.ts");
    const platformFlag = inv.flags.platform as string | undefined;
    await unpack({
      source, bundle, rootless, uidMap, gidMap,
      platform: platformFlag ? parsePlatform(platformFlag) : hostPlatform(),
      strictPlatform: platformFlag !== undefined,
      maxSize: inv.flags["max-size"] !== undefined ? parseSize(inv.flags["max-size"] as string) : DEFAULT_MAX_SIZE,
      warn: (msg) => ctx.log.warn(msg),
    });
    return 0;
  },
} satisfies Command;
