// Entry point: picks cgroup v1 or v2 once and opens a container's cgroup.
//   v2 when the mount root is a cgroup2 filesystem (it has cgroup.controllers);
//   otherwise v1 (including hybrid hosts: v1 controllers plus an empty cgroup2 at /unified).
import type { CgroupManager, CgroupManagerOptions } from "./api.ts";
import { DEFAULT_CGROUP_ROOT } from "./paths.ts";
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
