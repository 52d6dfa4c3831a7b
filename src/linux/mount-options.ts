// mount(8) options → mount(2) flags, propagation, recursive attributes and fs data, as runc's
// libcontainer/specconv parseMountOptions does. Pure: unit-tested without root.
import { MS } from "../sys/linux.ts";

// option → [set?, flag]: set=false clears the flag (e.g. "rw" clears MS_RDONLY)
const FLAGS: Record<string, [boolean, number]> = {
  async: [false, MS.SYNCHRONOUS], atime: [false, MS.NOATIME], bind: [true, MS.BIND], defaults: [false, 0],
  dev: [false, MS.NODEV], diratime: [false, MS.NODIRATIME], dirsync: [true, MS.DIRSYNC], exec: [false, MS.NOEXEC],
  iversion: [true, 1 << 23], lazytime: [true, MS.LAZYTIME], loud: [false, MS.SILENT], mand: [true, MS.MANDLOCK],
  noatime: [true, MS.NOATIME], nodev: [true, MS.NODEV], nodiratime: [true, MS.NODIRATIME], noexec: [true, MS.NOEXEC],
  noiversion: [false, 1 << 23], nolazytime: [false, MS.LAZYTIME], nomand: [false, MS.MANDLOCK],
  norelatime: [false, MS.RELATIME], nostrictatime: [false, MS.STRICTATIME], nosuid: [true, MS.NOSUID],
  nosymfollow: [true, MS.NOSYMFOLLOW], rbind: [true, MS.BIND | MS.REC], relatime: [true, MS.RELATIME],
  remount: [true, MS.REMOUNT], ro: [true, MS.RDONLY], rw: [false, MS.RDONLY], silent: [true, MS.SILENT],
  strictatime: [true, MS.STRICTATIME], suid: [false, MS.NOSUID], sync: [true, MS.SYNCHRONOUS],
  symfollow: [false, MS.NOSYMFOLLOW],
};

const PROPAGATION: Record<string, number> = {
  private: MS.PRIVATE, shared: MS.SHARED, slave: MS.SLAVE, unbindable: MS.UNBINDABLE,
  rprivate: MS.PRIVATE | MS.REC, rshared: MS.SHARED | MS.REC, rslave: MS.SLAVE | MS.REC,
  runbindable: MS.UNBINDABLE | MS.REC,
};

// mount_setattr(2) MOUNT_ATTR_* for the recursive "r…" options (runc 1.1: rro, rnosuid, …)
export const MOUNT_ATTR = { RDONLY: 1, NOSUID: 2, NODEV: 4, NOEXEC: 8, NOATIME: 0x10, STRICTATIME: 0x20, NODIRATIME: 0x80, NOSYMFOLLOW: 0x200000 } as const;
const RECURSIVE: Record<string, [boolean, number]> = {
  rro: [true, MOUNT_ATTR.RDONLY], rrw: [false, MOUNT_ATTR.RDONLY], rnosuid: [true, MOUNT_ATTR.NOSUID],
  rsuid: [false, MOUNT_ATTR.NOSUID], rnodev: [true, MOUNT_ATTR.NODEV], rdev: [false, MOUNT_ATTR.NODEV],
  rnoexec: [true, MOUNT_ATTR.NOEXEC], rexec: [false, MOUNT_ATTR.NOEXEC], rnodiratime: [true, MOUNT_ATTR.NODIRATIME],
  rdiratime: [false, MOUNT_ATTR.NODIRATIME], rnosymfollow: [true, MOUNT_ATTR.NOSYMFOLLOW], rsymfollow: [false, MOUNT_ATTR.NOSYMFOLLOW],
};
// The atime attributes are one value, not bits: mount_setattr(2) takes it in attr_set only with
// all of MOUNT_ATTR__ATIME in attr_clr (else EINVAL). RELATIME is 0, the kernel's default.
const ATIME_MASK = 0x70;
const RECURSIVE_ATIME: Record<string, number> = {
  rnoatime: MOUNT_ATTR.NOATIME, rstrictatime: MOUNT_ATTR.STRICTATIME, rnorelatime: MOUNT_ATTR.STRICTATIME,
  rrelatime: 0, ratime: 0, rnostrictatime: 0,
};

export interface MountOptions {
  flags: number;
  propagation: number[];
  attrSet: number;
  attrClear: number;
  data: string;
  /** "ridmap": the idmapping reaches every submount of an rbind */
  idmap?: "idmap" | "ridmap";
}

export function parseMountOptions(options: readonly string[] = []): MountOptions {
  let flags = 0, attrSet = 0, attrClear = 0;
  let idmap: MountOptions["idmap"];
  const propagation: number[] = [];
  const data: string[] = [];
  for (const opt of options) {
    const flag = FLAGS[opt];
    if (flag) {
      flags = flag[0] ? flags | flag[1] : flags & ~flag[1];
      continue;
    }
    const prop = PROPAGATION[opt];
    if (prop !== undefined) {
      propagation.push(prop);
      continue;
    }
    const rec = RECURSIVE[opt];
    if (rec) {
      if (rec[0]) { attrSet |= rec[1]; attrClear &= ~rec[1]; } else { attrClear |= rec[1]; attrSet &= ~rec[1]; }
      continue;
    }
    const atime = RECURSIVE_ATIME[opt];
    if (atime !== undefined) {
      attrClear |= ATIME_MASK;
      attrSet = (attrSet & ~ATIME_MASK) | atime;
      continue;
    }
    if (opt === "idmap" || opt === "ridmap") { idmap = opt; continue; } // MOUNT_ATTR_IDMAP, made by the parent (create.ts)
    if (opt === "tmpcopyup") continue; // crun's extension, not implemented (dropped, as before)
    data.push(opt);
  }
  return { flags, propagation, attrSet, attrClear, data: data.join(","), idmap };
}

export const isBind = (type: string | undefined, o: MountOptions) => type === "bind" || (o.flags & MS.BIND) !== 0;

/** Every option parseMountOptions understands (for `features`). */
export const KNOWN_MOUNT_OPTIONS = [...Object.keys(FLAGS), ...Object.keys(PROPAGATION), ...Object.keys(RECURSIVE), ...Object.keys(RECURSIVE_ATIME), "idmap", "ridmap"].sort();
