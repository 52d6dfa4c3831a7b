// /dev contents: runc's default devices plus linux.devices. mknod as real root; inside a user
// namespace mknod is refused, so the host's node is bind-mounted instead (as runc does).
import { SysError } from "../sys/errors.ts";
import * as sys from "../sys/linux.ts";
import { MS } from "../sys/linux.ts";
import { lchownat, mknodat } from "../sys/in-root.ts";
import { openDirInRoot, refuseRedirectIntoProcOrSys, secureJoin, withProcfd } from "./rootfs.ts";

export interface DeviceSpec {
  path: string;
  type: string; // c, u, b, p
  major?: number;
  minor?: number;
  fileMode?: number;
  uid?: number;
  gid?: number;
}

// runc's order (libcontainer/specconv AllowedDevices): it shows in a user namespace's mountinfo.
export const DEFAULT_DEVICES: DeviceSpec[] = [
  { path: "/dev/null", type: "c", major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 },
  { path: "/dev/random", type: "c", major: 1, minor: 8, fileMode: 0o666, uid: 0, gid: 0 },
  { path: "/dev/full", type: "c", major: 1, minor: 7, fileMode: 0o666, uid: 0, gid: 0 },
  { path: "/dev/tty", type: "c", major: 5, minor: 0, fileMode: 0o666, uid: 0, gid: 0 },
  { path: "/dev/zero", type: "c", major: 1, minor: 5, fileMode: 0o666, uid: 0, gid: 0 },
  { path: "/dev/urandom", type: "c", major: 1, minor: 9, fileMode: 0o666, uid: 0, gid: 0 },
];

const S_IFCHR = 0o020000, S_IFBLK = 0o060000, S_IFIFO = 0o010000;
const EEXIST = 17, EPERM = 1;
export const makedev = (major: number, minor: number) =>
  ((minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12)) >>> 0;

/** The default devices the config does not redefine, then the config's in order (runc's createDevices). */
export function devicesToCreate(devices: readonly DeviceSpec[]): DeviceSpec[] {
  const own = new Set(devices.map((d) => d.path));
  return [...DEFAULT_DEVICES.filter((d) => !own.has(d.path)), ...devices]
    .filter((d) => d.path.replace(/\/+$/, "") !== "/dev/ptmx"); // a symlink to pts/ptmx, made later
}

export function createDevices(rootfs: string, devices: DeviceSpec[], userns: boolean) {
  const oldUmask = sys.umask(0); // the spec's modes are exact
  try {
    for (const d of devicesToCreate(devices)) {
      const dest = secureJoin(rootfs, d.path);
      refuseRedirectIntoProcOrSys(rootfs, d.path, dest); // an image's /dev/x -> /proc/… link
      // the node is made in its directory's fd (never through a symlink swapped in since secureJoin)
      const dir = openDirInRoot(rootfs, dest.slice(0, dest.lastIndexOf("/")) || rootfs);
      try {
        const name = dest.slice(dest.lastIndexOf("/") + 1);
        if (userns) { bindDevice(rootfs, dir, name, d.path, dest); continue; }
        try {
          makeNode(d, dir, name, dest);
        } catch (e) {
          if (e instanceof SysError && e.errno === EEXIST) continue; // kept, as runc does
          if (e instanceof SysError && e.errno === EPERM) { bindDevice(rootfs, dir, name, d.path, dest); continue; }
          throw e;
        }
      } finally {
        sys.close(dir);
      }
    }
  } finally {
    sys.umask(oldUmask);
  }
}

function bindDevice(rootfs: string, dir: number, name: string, hostPath: string, dest: string) {
  // an empty file to bind onto (O_EXCL: never opens an existing node, nor follows a symlink)
  try {
    sys.close(sys.openat(dir, name, sys.O.CREAT | sys.O.EXCL | sys.O.WRONLY | sys.O.CLOEXEC, 0o644));
  } catch (e) {
    if (!(e instanceof SysError && e.errno === EEXIST)) throw e;
  }
  withProcfd(rootfs, dest, (fd) => sys.mount(hostPath, fd, null, MS.BIND));
}

function makeNode(d: DeviceSpec, dir: number, name: string, dest: string) {
  const kind = d.type === "b" ? S_IFBLK : d.type === "p" ? S_IFIFO : S_IFCHR;
  mknodat(dir, name, kind | ((d.fileMode ?? 0o666) & 0o7777), makedev(d.major ?? 0, d.minor ?? 0), dest);
  lchownat(dir, name, d.uid ?? 0, d.gid ?? 0, dest);
}
