// Which cgroup hierarchies are mounted, and where: from mountinfo, never from listing
// /sys/fs/cgroup (a stray plain directory there, e.g. "hugetlb" on the tmpfs with no hierarchy
// behind it, must not be taken for one). Used by the v1 manager and by init's /sys/fs/cgroup mount.
import { parseMountinfo } from "../sys/mountinfo.ts";

export interface CgroupV1Hierarchy { mountPoint: string; root: string; subsystems: string[] }

const NOT_SUBSYSTEMS = new Set(["rw", "ro", "nosuid", "nodev", "noexec", "relatime", "xattr", "noprefix", "clone_children", "cpuset_v2_mode"]);

/** The v1 hierarchies in a mountinfo text: subsystems are the super options naming controllers ("name=systemd" too). */
export function cgroupV1Hierarchies(mountinfo: string): CgroupV1Hierarchy[] {
  const found: CgroupV1Hierarchy[] = [];
  const seen = new Set<string>();
  for (const m of parseMountinfo(mountinfo)) {
    if (m.fstype !== "cgroup") continue;
    const subsystems = m.superOptions.filter((o) => o.startsWith("name=") || (!NOT_SUBSYSTEMS.has(o) && !o.includes("=")));
    const key = subsystems.join(",");
    if (seen.has(key)) continue; // the same hierarchy mounted twice: the first one, as runc
    seen.add(key);
    found.push({ mountPoint: m.mountPoint, root: m.root, subsystems });
  }
  return found;
}

/** cgroup2 mounts (a hybrid host's "unified"): mount point and root. */
export const cgroup2Mounts = (mountinfo: string): Array<{ mountPoint: string; root: string }> =>
  parseMountinfo(mountinfo).filter((m) => m.fstype === "cgroup2").map(({ mountPoint, root }) => ({ mountPoint, root }));

/**
 * `path` (from /proc/self/cgroup) relative to a mount's `root` (mountinfo field 4): "" for the
 * mount's root itself. A path outside the mount root (another cgroup namespace) stays as is.
 */
export const relativeToMountRoot = (root: string, path: string) =>
  root === "/" ? path.replace(/^\/+/, "") : path.startsWith(`${root}/`) ? path.slice(root.length + 1) : path === root ? "" : path.replace(/^\/+/, "");
