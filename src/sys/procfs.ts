// Writes to the container's /proc that no mount can redirect (CVE-2025-52881: a mount over
// /proc/sys/… could turn a sysctl write into a write to /proc/sys/kernel/core_pattern, or make
// it vanish into a tmpfs). Each write goes through a detached copy of the /proc mount (nothing
// mounted on it travels along), resolved without crossing a mount or following a magic link,
// and the file opened is checked to be on procfs — the ideas of runc 1.2.8 / libpathrs.
import { RuntimeError, SysError } from "./errors.ts";
import { fstat, writeAll } from "./fs.ts";
import { fsMagic, openat2, openTree, OPEN_TREE, RESOLVE } from "./in-root.ts";
import * as sys from "./linux.ts";

export const PROC_SUPER_MAGIC = 0x9fa0;
const PROC_ROOT_INO = 1;
const AT_FDCWD = -100;
const EXDEV = 18;

/** A directory fd of the procfs mounted at `/proc`, without whatever is mounted on top of its files. */
function privateProcRoot(): number {
  let root: number;
  try {
    root = openTree(AT_FDCWD, "/proc", OPEN_TREE.CLONE | OPEN_TREE.CLOEXEC);
  } catch (e) {
    // before 5.2, or without CAP_SYS_ADMIN over the mount namespace: /proc itself, at least checked below
    if (!(e instanceof SysError && (e.errno === 38 /* ENOSYS */ || e.errno === 1 /* EPERM */))) throw e;
    root = sys.open("/proc", sys.O.PATH | sys.O.DIRECTORY | sys.O.CLOEXEC);
  }
  if (fsMagic(root, "/proc") !== PROC_SUPER_MAGIC || fstat(root).ino !== PROC_ROOT_INO) {
    sys.close(root);
    throw new RuntimeError(`"/proc" is not the root of a procfs; refusing to write there`);
  }
  return root;
}

/** Write `data` to /proc/<relative> (e.g. "sys/net/ipv4/ip_forward"); errors name `/proc/<relative>`. */
export function writeProcFile(relative: string, data: string) {
  const path = `/proc/${relative}`;
  const root = privateProcRoot();
  let fd: number | undefined;
  try {
    const resolve = RESOLVE.BENEATH | RESOLVE.NO_XDEV | RESOLVE.NO_MAGICLINKS;
    fd = openat2(root, relative, sys.O.WRONLY | sys.O.NOFOLLOW | sys.O.CLOEXEC, resolve) ?? sys.openat(root, relative, sys.O.WRONLY | sys.O.NOFOLLOW | sys.O.CLOEXEC);
    if (fsMagic(fd, path) !== PROC_SUPER_MAGIC) throw new RuntimeError(`"${path}" is not on procfs; refusing to write there`);
    writeAll(fd, data, path);
  } catch (e) {
    if (e instanceof SysError && e.errno === EXDEV)
      throw new RuntimeError(`"${path}": something is mounted on it or on its way; refusing to write there`, { cause: e });
    throw e instanceof SysError && e.subject !== path ? new SysError(e.call === "openat2" ? "write" : e.call, e.errno, path) : e;
  } finally {
    if (fd !== undefined) sys.close(fd);
    sys.close(root);
  }
}
