// Entry point: picks cgroup v1 or v2 once and opens a container's cgroup.
//   v2 when the mount root is a cgroup2 filesystem (it has cgroup.controllers);
//   otherwise v1 (including hybrid hosts: v1 controllers plus an empty cgroup2 at /unified).
import type { CgroupManager, CgroupManagerOptions } from "./api.ts";
import { cleanCgroupPath, DEFAULT_CGROUP_ROOT } from "./paths.ts";
import { CgroupError } from "./files.ts";
import { isDirectory } from "./tree.ts";
import { exists } from "../sys/fs.ts";
import { CgroupV1Manager } from "./v1/manager.ts";
import { CgroupV2Manager } from "./v2/manager.ts";

export type { CgroupManager, CgroupManagerOptions } from "./api.ts";
export { CgroupError } from "./files.ts";
export { containerDeviceRules, DEFAULT_ALLOWED_DEVICES } from "./devices.ts";

export function cgroupVersion(root = DEFAULT_CGROUP_ROOT): 1 | 2 {
  return exists(`${root}/cgroup.controllers`) ? 2 : 1;
}

export function cgroupManager(options: CgroupManagerOptions): CgroupManager {
  return cgroupVersion(options.root) === 2 ? CgroupV2Manager.open(options) : CgroupV1Manager.open(options);
}

/**
 * Re-open a container's cgroup from its saved state (kill, delete, update, events): the manager's
 * `paths` (preferred: exact per-hierarchy directories) or its `path`.
 */
export function cgroupManagerFromState(saved: string | Readonly<Record<string, string>>, root = DEFAULT_CGROUP_ROOT,
  warn?: (message: string) => void): CgroupManager {
  if (typeof saved === "string") {
    return cgroupVersion(root) === 2 ? new CgroupV2Manager(root, saved, warn)
      : CgroupV1Manager.open({ cgroupsPath: saved, id: "state", root, warn });
  }
  if ("" in saved) {
    const dir = saved[""]!;
    if (!dir.startsWith(`${root}/`) && dir !== root) throw new Error(`cgroup dir ${dir} is outside ${root}`);
    return new CgroupV2Manager(root, dir.slice(root.length) || "/", warn);
  }
  const first = Object.values(saved)[0] ?? "";
  if (!first.startsWith(`${root}/`)) throw new Error(`cgroup dir ${first} is outside ${root}`);
  const path = first.slice(root.length).replace(/^\/[^/]+/, "") || "/";
  return new CgroupV1Manager({ ...saved }, path, warn);
}

/**
 * `exec --cgroup` (runc 1.1): "PATH" (every controller) or "CONTROLLER[,CONTROLLER]:PATH", repeatable
 * with a prefix each → controller ("" for all) → path. runc's getSubCgroupPaths.
 */
export function parseSubCgroupArgs(args: readonly string[]): Map<string, string> {
  const paths = new Map<string, string>();
  for (const arg of args) {
    const parts = arg.split(":");
    if (parts.length > 2) throw new CgroupError(`invalid --cgroup argument: ${arg}`);
    if (parts.length === 1) {
      if (args.length !== 1) throw new CgroupError(`invalid --cgroup argument: ${arg} (missing <controller>: prefix)`);
      paths.set("", arg);
      continue;
    }
    for (const controller of parts[0]!.split(",")) {
      if (!controller) throw new CgroupError(`invalid --cgroup argument: ${arg} (empty <controller> prefix)`);
      if (paths.has(controller)) throw new CgroupError(`invalid --cgroup argument(s): controller ${controller} specified multiple times`);
      paths.set(controller, parts[1]!);
    }
  }
  return paths;
}

/**
 * The container's cgroup with `exec --cgroup` applied: each named controller's directory replaced by
 * the sub-cgroup below it, which must exist (runc: the process joins it, nothing is made). Paths
 * never climb out of the container's cgroup.
 */
export function subCgroupManager(container: CgroupManager, sub: ReadonlyMap<string, string>): CgroupManager {
  const field = "exec --cgroup";
  const known = new Set(Object.keys(container.paths));
  for (const controller of sub.keys()) {
    if (controller === "") continue;
    if (container.version === 2) throw new CgroupError(`cgroup v2 has one hierarchy: give a PATH without "${controller}:"`, field);
    if (!known.has(controller))
      throw new CgroupError(`controller "${controller}" is not one of the container's (${[...known].join(", ")})`, field);
  }
  const paths: Record<string, string> = {};
  for (const [controller, dir] of Object.entries(container.paths)) {
    const path = sub.get(controller) ?? sub.get("");
    if (path === undefined) { paths[controller] = dir; continue; }
    let relative: string;
    try { relative = cleanCgroupPath(path.replace(/^\/+/, "")); } catch {
      throw new CgroupError(`sub-cgroup "${path}" climbs out of the container's cgroup`, field);
    }
    const target = relative ? `${dir}/${relative}` : dir;
    if (!isDirectory(target)) throw new CgroupError(`sub-cgroup "${path}" does not exist (${target})`, field);
    paths[controller] = target;
  }
  return cgroupManagerFromState(paths, DEFAULT_CGROUP_ROOT, undefined);
}
