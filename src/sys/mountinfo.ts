// /proc/self/mountinfo (proc(5)): the kernel's own list of what is mounted where. Used for cgroup
// hierarchies (a directory under /sys/fs/cgroup proves nothing: it may be a plain tmpfs dir) and
// for the rootfs' propagation and flags.
import { readText } from "./fs.ts";

/** One line of /proc/self/mountinfo, paths unescaped (`\040` → space). */
export interface MountinfoEntry {
  root: string;
  mountPoint: string;
  options: string[];      // per-mount options (ro, nosuid, …)
  optional: string;       // shared:N master:N …
  fstype: string;
  superOptions: string[];
}

/** root, mount point, options, optional…, "-", type, source, super options. */
export function parseMountinfo(text = readText("/proc/self/mountinfo")): MountinfoEntry[] {
  const entries: MountinfoEntry[] = [];
  for (const line of text.split("\n")) {
    const f = line.split(" ");
    const dash = f.indexOf("-");
    if (dash < 6) continue;
    entries.push({
      root: unescapeMountinfo(f[3]!), mountPoint: unescapeMountinfo(f[4]!), options: f[5]!.split(","),
      optional: f.slice(6, dash).join(" "), fstype: f[dash + 1] ?? "", superOptions: (f[dash + 3] ?? "").split(","),
    });
  }
  return entries;
}

const unescapeMountinfo = (field: string) => field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
