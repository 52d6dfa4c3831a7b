// config.json from an image config, as umoci's convert.MutateRuntimeSpec does it: runc spec's
// defaults, then args = Entrypoint + Cmd, Env over the default env, cwd = WorkingDir, the user
// resolved through the rootfs's /etc/passwd and /etc/group (moby/sys/user GetExecUser rules,
// HOME from passwd), labels and image identity as org.opencontainers.image.* annotations,
// volumes as tmpfs mounts. Unlike umoci: terminal false (no console socket is given by a
// plain `run`), and annotations with empty values are left out.
import { defaultSpec } from "../spec/defaults.ts";
import type { Spec } from "../spec/types.ts";
import { RuntimeError } from "../sys/errors.ts";
import type { IdMap } from "./apply.ts";
import type { Image } from "./manifest.ts";

export interface SpecOptions {
  rootless: boolean;
  uidMap: IdMap[];
  gidMap: IdMap[];
  /** the content of a file of the unpacked rootfs (read inside it), undefined if missing */
  readRootfsFile(path: string): string | undefined;
}

interface ExecUser { uid: number; gid: number; sgids: number[]; home?: string }

const MAX_ID = 2 ** 31 - 1;
const numeric = (s: string) => (/^\d+$/.test(s) ? Number(s) : NaN);

function lines(text: string | undefined, fields: number): string[][] {
  if (!text) return [];
  return text.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#")).map((l) => {
    const f = l.split(":");
    while (f.length < fields) f.push("");
    return f;
  });
}

/** `user[:group]` → ids, by moby/sys/user GetExecUser (what runc and umoci use). */
export function execUser(spec: string, passwd: string | undefined, group: string | undefined): ExecUser {
  const colon = spec.indexOf(":");
  const userArg = colon < 0 ? spec : spec.slice(0, colon);
  const groupArg = colon < 0 ? "" : spec.slice(colon + 1);
  const uidArg = numeric(userArg), gidArg = numeric(groupArg);
  const out: ExecUser = { uid: 0, gid: 0, sgids: [] };
  const users = lines(passwd, 7).map(([name, , uid, gid, , home]) => ({ name: name!, uid: numeric(uid!), gid: numeric(gid!), home: home! }));
  const user = users.find((u) => (userArg === "" ? u.uid === out.uid : !Number.isNaN(uidArg) ? u.uid === uidArg : u.name === userArg));
  let matchedName = "";
  if (user) {
    matchedName = user.name;
    out.uid = user.uid; out.gid = user.gid; out.home = user.home;
  } else if (userArg !== "") {
    if (Number.isNaN(uidArg)) throw new RuntimeError(`image config: User "${spec}": no user "${userArg}" in the image's /etc/passwd`);
    if (uidArg > MAX_ID) throw new RuntimeError(`image config: User "${spec}": uid out of range`);
    out.uid = uidArg;
  }
  if (groupArg !== "" || matchedName) {
    const groups = lines(group, 4).map(([name, , gid, list]) => ({ name: name!, gid: numeric(gid!), members: list!.split(",") }));
    const found = groups.filter((g) =>
      groupArg === "" ? g.members.includes(matchedName) : !Number.isNaN(gidArg) ? g.gid === gidArg : g.name === groupArg);
    if (groupArg !== "") {
      if (found.length) out.gid = found[0]!.gid;
      else if (Number.isNaN(gidArg)) throw new RuntimeError(`image config: User "${spec}": no group "${groupArg}" in the image's /etc/group`);
      else if (gidArg > MAX_ID) throw new RuntimeError(`image config: User "${spec}": gid out of range`);
      else out.gid = gidArg;
    } else out.sgids = found.map((g) => g.gid);
  }
  return out;
}

function setEnv(env: string[], entry: string) {
  const eq = entry.indexOf("=");
  if (eq <= 0) throw new RuntimeError(`image config: Env "${entry}": expected NAME=VALUE`);
  const prefix = entry.slice(0, eq + 1);
  const at = env.findIndex((e) => e.startsWith(prefix));
  if (at >= 0) env[at] = entry; else env.push(entry);
}

/** RFC 3339 to the second, as Go's "2006-01-02T15:04:05Z07:00" prints a UTC time. */
const iso8601 = (created: string | undefined) => {
  const t = created ? Date.parse(created) : NaN;
  return Number.isNaN(t) ? undefined : new Date(t).toISOString().replace(/\.\d+Z$/, "Z");
};

export function runtimeSpec(image: Image, opts: SpecOptions): Spec {
  const spec = defaultSpec({ rootless: opts.rootless });
  const c = image.config.config ?? {};
  const proc = spec.process!;
  proc.terminal = false;
  spec.root = { path: "rootfs", readonly: false };
  if (c.WorkingDir) proc.cwd = c.WorkingDir;
  for (const e of c.Env ?? []) setEnv(proc.env!, e);
  const args = [...(c.Entrypoint ?? []), ...(c.Cmd ?? [])];
  if (args.length) proc.args = args;
  const user = execUser(c.User ?? "", opts.readRootfsFile("etc/passwd"), opts.readRootfsFile("etc/group"));
  proc.user = { uid: user.uid, gid: user.gid, ...(user.sgids.length ? { additionalGids: user.sgids } : {}) };
  if (user.home) setEnv(proc.env!, `HOME=${user.home}`);
  const annotations: Record<string, string> = { ...image.annotations, ...(c.Labels ?? {}) };
  const identity: Record<string, string | undefined> = {
    "org.opencontainers.image.os": image.config.os,
    "org.opencontainers.image.architecture": image.config.architecture,
    "org.opencontainers.image.author": image.config.author,
    "org.opencontainers.image.created": iso8601(image.config.created),
    "org.opencontainers.image.stopSignal": c.StopSignal,
    "org.opencontainers.image.exposedPorts": Object.keys(c.ExposedPorts ?? {}).sort().join(","),
  };
  for (const [k, v] of Object.entries(identity)) if (v) annotations[k] = v;
  if (Object.keys(annotations).length) spec.annotations = annotations;
  for (const destination of Object.keys(c.Volumes ?? {}).sort())
    spec.mounts!.push({ destination, type: "tmpfs", source: "none", options: ["rw", "nosuid", "nodev", "noexec", "relatime"] });
  if (opts.rootless && (opts.uidMap.length || opts.gidMap.length)) {
    if (opts.uidMap.length) spec.linux!.uidMappings = opts.uidMap;
    if (opts.gidMap.length) spec.linux!.gidMappings = opts.gidMap;
  }
  return spec;
}
