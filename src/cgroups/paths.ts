// Where a container's cgroup lives, as runc's fs (v1) and fs2 (v2) drivers decide it:
//   absolute cgroupsPath → under each hierarchy's root;
//   relative cgroupsPath → under our own cgroup (v1: per controller; v2: our cgroup's PARENT, since
//                           our own cgroup has processes and cannot enable controllers for children);
//   empty               → the relative "<id>", as runc (specconv: Name = id; fs innerPath), so a
//                           container started from a systemd unit stays in (v1) or by (v2) the unit;
//                           v2 with a delegated unit: inside it (v2/manager.ts). docs/cgroups.md.
// ".." that climbs above the start is refused (runc silently clamps it).
import { ConfigError } from "../sys/errors.ts";

export const DEFAULT_CGROUP_ROOT = "/sys/fs/cgroup";

/** Normalise "a//b/./c/../d" → "a/b/d" (keeping a leading "/"); refuse escapes. */
export function cleanCgroupPath(path: string, field = "linux.cgroupsPath"): string {
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length === 0) throw new ConfigError(field, `${JSON.stringify(path)} escapes the cgroup root with ".."`);
      parts.pop();
    } else parts.push(part);
  }
  return (path.startsWith("/") ? "/" : "") + parts.join("/");
}

export function innerCgroupPath(cgroupsPath: string | undefined, id: string): string {
  if (!/^[^/\0]+$/.test(id) || id === "." || id === "..") throw new ConfigError("id", `bad container id ${JSON.stringify(id)} for a cgroup name`);
  const inner = cleanCgroupPath(cgroupsPath ?? "");
  return inner === "" || inner === "/" ? id : inner;
}

/** /proc/self/cgroup lines "4:memory:/a/b", "0::/x" → controller (or "" for v2) → path. */
export function parseProcCgroup(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (!line) continue;
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) throw new ConfigError("", `bad /proc/self/cgroup line ${JSON.stringify(line)}`, "/proc/self/cgroup");
    if (m[2] === "") out.set("", m[3]!);
    else for (const controller of m[2]!.split(",")) out.set(controller, m[3]!);
  }
  return out;
}

export const joinCgroupPath = (...parts: string[]) => cleanCgroupPath(parts.join("/"));

export const parentCgroupPath = (path: string) => path.slice(0, Math.max(path.lastIndexOf("/"), 0)) || "/";
