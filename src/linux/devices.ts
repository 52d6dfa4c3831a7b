// /dev contents: runc's default devices plus linux.devices. mknod as real root; inside a user
// namespace mknod is refused, so the host's node is bind-mounted instead (as runc does).
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, openSync, rmSync } from "node:fs";
import * as sys from "../sys/linux.ts";
import { MS } from "../sys/linux.ts";
import { secureJoin } from "./rootfs.ts";

export interface DeviceSpec {
  path: string;
  type: string; // c, u, b, p
  major?: number;
  minor?: number;
  fileMode?: number;
  uid?: number;
  gid?: number;
}

export const DEFAULT_DEVICES: DeviceSpec[] = [
  { path: "/dev/null", type: "c", major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 },
  { path: "/dev/zero", type: "c", major: 1, minor: 5, fileMode: 0o666, uid: 0, gid: 0 },
  { path: "/dev/full", type: "c", major: 1, minor: 7, fileMode: 0o666, uid: 0, gid: 0 },
  { path: "/dev/random", type: "c", major: 1, minor: 8, fileMode: 0o666, uid: 0, gid: 0 },
  { path: "/dev/urandom", type: "c", major: 1, minor: 9, fileMode: 0o666, uid: 0, gid: 0 },
  { path: "/dev/tty", type: "c", major: 5, minor: 0, fileMode: 0o666, uid: 0, gid: 0 },
];

const S_IFCHR = 0o020000, S_IFBLK = 0o060000, S_IFIFO = 0o010000;
const makedev = (major: number, minor: number) =>
  ((minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12)) >>> 0;

export function createDevices(rootfs: string, devices: DeviceSpec[], userns: boolean) {
  const byPath = new Map<string, DeviceSpec>();
  for (const d of [...DEFAULT_DEVICES, ...devices]) byPath.set(d.path, d); // config overrides defaults
  for (const d of byPath.values()) {
    const dest = secureJoin(rootfs, d.path);
    mkdirSync(dest.replace(/\/[^/]*$/, ""), { recursive: true, mode: 0o755 });
    if (userns) bindDevice(d.path, dest);
    else makeNode(d, dest);
  }
}

function bindDevice(hostPath: string, dest: string) {
  if (!existsSync(dest)) closeSync(openSync(dest, "a", 0o644));
  sys.mount(hostPath, dest, null, MS.BIND);
}

function makeNode(d: DeviceSpec, dest: string) {
  const kind = d.type === "b" ? S_IFBLK : d.type === "p" ? S_IFIFO : S_IFCHR;
  const mode = d.fileMode ?? 0o666;
  rmSync(dest, { force: true });
  sys.mknod(dest, kind | (mode & 0o7777), makedev(d.major ?? 0, d.minor ?? 0));
  chmodSync(dest, mode & 0o7777); // mknod honours the umask; the spec's mode does not
  chownSync(dest, d.uid ?? 0, d.gid ?? 0);
}
