// The container's root filesystem, in runc's order (libcontainer/rootfs_linux.go): propagation of
// "/", bind of the rootfs onto itself, the config's mounts with destinations resolved INSIDE the
// rootfs, /dev (devices, /dev/pts/ptmx, symlinks), pivot_root (or chroot), then masked and
// read-only paths and a read-only root. Runs in init, in the container's mount namespace.
import { cgroupV1Hierarchies, relativeToMountRoot } from "../cgroups/mounts.ts";
import { parseProcCgroup } from "../cgroups/paths.ts";
import { parseMountinfo } from "../sys/mountinfo.ts";
import type { Mount } from "../spec/types.ts";
import { RuntimeError, step, SysError } from "../sys/errors.ts";
import { chmod, exists, fstat, mkdirp, readlink, readText, stat, symlink, tryLstat, tryStat } from "../sys/fs.ts";
import * as sys from "../sys/linux.ts";
import { MS } from "../sys/linux.ts";
import { mkdirat, moveMountOnto, openat2, RESOLVE, symlinkat, unlinkat } from "../sys/in-root.ts";
import { isBind, parseMountOptions } from "./mount-options.ts";
import { createDevices, type DeviceSpec } from "./devices.ts";

export interface RootfsPlan {
  rootfs: string;              // absolute host path of root.path
  readonly: boolean;
  propagation?: string;        // linux.rootfsPropagation
  mounts: Mount[];
  devices: DeviceSpec[];
  maskedPaths: string[];
  readonlyPaths: string[];
  noPivot: boolean;
  userns: boolean;
  /**
   * Indices of the bind mounts whose source the parent opened with open_tree(OPEN_TREE_CLONE)
   * before the user namespace: their fds follow the plan, in this order (see prepareRootfs).
   */
  sourceTrees: number[];
  /** process.terminal: /dev/console is made now, while /dev may still be written (a "ro" /dev comes later) */
  console: boolean;
  cgroupns: boolean;
  mountLabel?: string;
}

/**
 * Resolve `unsafe` inside `root` the way filepath-securejoin does: symlinks are followed as if
 * `root` were "/", ".." stops at the root. A mount destination can never leave the rootfs.
 */
export function secureJoin(root: string, unsafe: string): string {
  let pending = unsafe.split("/").filter((p) => p && p !== ".");
  const resolved: string[] = [];
  let links = 0;
  while (pending.length) {
    const part = pending.shift()!;
    if (part === "..") { resolved.pop(); continue; }
    const full = `${root}/${[...resolved, part].join("/")}`;
    const isLink = tryLstat(full)?.isSymbolicLink() ?? false; // missing: created later, inside root
    if (!isLink) { resolved.push(part); continue; }
    if (++links > 255) throw new SysError("resolve", 40 /* ELOOP */, unsafe);
    const target = readlink(full);
    if (target.startsWith("/")) resolved.length = 0;
    pending = [...target.split("/").filter((p) => p && p !== "."), ...pending];
  }
  return resolved.length ? `${root}/${resolved.join("/")}` : root;
}

const PROPAGATION_FLAGS: Record<string, number> = {
  private: MS.PRIVATE, rprivate: MS.PRIVATE | MS.REC, slave: MS.SLAVE, rslave: MS.SLAVE | MS.REC,
  shared: MS.SHARED, rshared: MS.SHARED | MS.REC, unbindable: MS.UNBINDABLE, runbindable: MS.UNBINDABLE | MS.REC,
};

/**
 * Mount everything into the rootfs, before pivot_root. `sourceTrees`: mount index → fd of a
 * detached copy of its bind source, made by the parent (closed here).
 */
export function prepareRootfs(plan: RootfsPlan, sourceTrees: ReadonlyMap<number, number> = new Map()) {
  const rootProp = plan.propagation ? PROPAGATION_FLAGS[plan.propagation]! : MS.SLAVE | MS.REC;
  step("make / " + (plan.propagation ?? "rslave"), () => sys.mount(null, "/", null, rootProp));
  // A shared parent would make pivot_root fail and propagate the rootfs bind to the host (runc).
  step("make the rootfs' parent mount private", () => makeParentMountPrivate(plan.rootfs));
  // The rootfs must be a mount point for pivot_root; also keeps host mounts below it out.
  step(`bind rootfs "${plan.rootfs}"`, () => sys.mount(plan.rootfs, plan.rootfs, "bind", MS.BIND | MS.REC));
  let devIsBind = false;
  for (const [i, m] of plan.mounts.entries()) {
    const tree = sourceTrees.get(i);
    try {
      step(`mounts[${i}] ${m.type ?? "bind"} on "${m.destination}"`, () => mountOne(plan, m, tree));
    } finally {
      if (tree !== undefined) sys.close(tree);
    }
    if (m.destination.replace(/\/+$/, "") === "/dev" && isBind(m.type, parseMountOptions(m.options))) devIsBind = true;
  }
  if (!devIsBind) {
    step("create devices", () => createDevices(plan.rootfs, plan.devices, plan.userns));
    // In /dev's fd from the in-root walk: "<rootfs>/dev" as a host path follows a symlink in the
    // image (dev -> ../../../../etc) out of the rootfs, and the links would land on the host.
    const dev = openDirInRoot(plan.rootfs, secureJoin(plan.rootfs, "/dev"));
    try {
      step("/dev/ptmx", () => {
        try { unlinkat(dev, "ptmx", "/dev/ptmx"); } catch (e) { if (!(e instanceof SysError && e.errno === ENOENT)) throw e; }
        symlinkat("pts/ptmx", dev, "ptmx", "/dev/ptmx");
      });
      step("/dev symlinks", () => devSymlinks(dev));
    } finally {
      sys.close(dev);
    }
  }
  if (plan.console) step("/dev/console", () => {
    const dev = openDirInRoot(plan.rootfs, secureJoin(plan.rootfs, "/dev"));
    try { makeConsoleTarget(dev); } finally { sys.close(dev); }
  });
}

/** An empty /dev/console for the pty's bind (runc's mode), in /dev's fd; an existing entry is left to mountConsole's checks. */
function makeConsoleTarget(dev: number) {
  try {
    sys.close(sys.openat(dev, "console", sys.O.CREAT | sys.O.EXCL | sys.O.NOFOLLOW | sys.O.WRONLY | sys.O.CLOEXEC, 0o666));
  } catch (e) {
    if (!(e instanceof SysError && e.errno === EEXIST)) throw e;
  }
}

export { parseMountinfo, type MountinfoEntry } from "../sys/mountinfo.ts";

function makeParentMountPrivate(rootfs: string) {
  let parent = "", optional = "";
  for (const m of parseMountinfo()) {
    const under = m.mountPoint === "/" || rootfs === m.mountPoint || rootfs.startsWith(`${m.mountPoint}/`);
    if (under && m.mountPoint.length >= parent.length) { parent = m.mountPoint; optional = m.optional; }
  }
  if (/(^| )shared:/.test(optional)) sys.mount(null, parent, null, MS.PRIVATE);
}

/** The /dev links runc makes, in the directory fd `dev` (an existing entry is kept). */
function devSymlinks(dev: number) {
  const links: Array<[string, string]> = [
    ["/proc/self/fd", "fd"], ["/proc/self/fd/0", "stdin"], ["/proc/self/fd/1", "stdout"], ["/proc/self/fd/2", "stderr"],
  ];
  if (exists("/proc/kcore")) links.push(["/proc/kcore", "core"]);
  for (const [target, name] of links) {
    try { symlinkat(target, dev, name, `/dev/${name}`); } catch (e) {
      if (!(e instanceof SysError && e.errno === EEXIST)) throw e;
    }
  }
}

/**
 * Run `fn` on "/proc/self/fd/N" of an O_PATH fd of `path` (already resolved inside `root` by
 * secureJoin) after checking the fd really is that path and no symlink: a symlink swapped in
 * since the resolution cannot carry the mount outside the rootfs (runc's utils.WithProcfd).
 * Where the kernel has openat2, the open itself resolves inside `root` (RESOLVE_IN_ROOT).
 */
export function withProcfd(root: string, path: string, fn: (procfd: string, fd: number) => void) {
  const fd = openInRoot(root, path);
  try {
    const procfd = `/proc/self/fd/${fd}`;
    const real = readlink(procfd);
    if (real !== path || fstat(fd).isSymbolicLink())
      throw new RuntimeError(`possibly malicious path detected: "${path}" is "${real}"; refusing to mount on it`);
    try {
      fn(procfd, fd);
    } catch (e) {
      // name the destination, not "/proc/self/fd/8"
      throw e instanceof SysError && e.subject === procfd ? new SysError(e.call, e.errno, path) : e;
    }
  } finally {
    sys.close(fd);
  }
}

const O_PATH_NOFOLLOW = sys.O.PATH | sys.O.CLOEXEC | sys.O.NOFOLLOW;

function openInRoot(root: string, path: string): number {
  if (path !== root && !path.startsWith(`${root}/`)) throw new RuntimeError(`"${path}" is not inside the rootfs "${root}"`);
  const rootFd = sys.open(root, sys.O.PATH | sys.O.DIRECTORY | sys.O.CLOEXEC);
  try {
    const inRoot = openat2(rootFd, path.slice(root.length) || "/", O_PATH_NOFOLLOW, RESOLVE.IN_ROOT | RESOLVE.NO_MAGICLINKS);
    return inRoot ?? sys.open(path, O_PATH_NOFOLLOW);
  } finally {
    sys.close(rootFd);
  }
}

/**
 * mkdir -p of `path` (resolved inside `root` by secureJoin) one component at a time through
 * directory fds, never following a symlink: one swapped in since the resolution fails the walk
 * instead of creating directories on the host (runc 1.2 MkdirAllInRoot, CVE-2024-45310).
 * Returns an O_PATH fd of the directory.
 */
export function openDirInRoot(root: string, path: string): number {
  if (path !== root && !path.startsWith(`${root}/`)) throw new RuntimeError(`"${path}" is not inside the rootfs "${root}"`);
  let dirFd = sys.open(root, sys.O.PATH | sys.O.DIRECTORY | sys.O.CLOEXEC);
  try {
    for (const name of path.slice(root.length).split("/").filter(Boolean)) {
      const flags = sys.O.PATH | sys.O.DIRECTORY | sys.O.NOFOLLOW | sys.O.CLOEXEC;
      let next: number;
      try {
        next = sys.openat(dirFd, name, flags);
      } catch (e) {
        if (!(e instanceof SysError && e.errno === ENOENT)) throw notADirectory(e, path, name);
        try { mkdirat(dirFd, name, 0o755); } catch (made) { if (!(made instanceof SysError && made.errno === EEXIST)) throw made; }
        try { next = sys.openat(dirFd, name, flags); } catch (again) { throw notADirectory(again, path, name); }
      }
      sys.close(dirFd);
      dirFd = next;
    }
    return dirFd;
  } catch (e) {
    sys.close(dirFd);
    throw e;
  }
}

export function mkdirAllInRoot(root: string, path: string) {
  sys.close(openDirInRoot(root, path));
}

const ENOENT = 2, EEXIST = 17, ENOTDIR = 20;
const notADirectory = (e: unknown, path: string, name: string) =>
  e instanceof SysError && e.errno === ENOTDIR
    ? new RuntimeError(`"${path}": component "${name}" is not a directory (a symlink swapped in?); refusing to create it`, { cause: e })
    : e;

function mountOne(plan: RootfsPlan, m: Mount, sourceTree?: number) {
  const o = parseMountOptions(m.options);
  const type = m.type ?? (isBind(m.type, o) ? "bind" : "none");
  const data = (type !== "proc" && type !== "sysfs" && type !== "mqueue" && plan.mountLabel)
    ? [o.data, `context="${plan.mountLabel}"`].filter(Boolean).join(",") : o.data;
  if (isBind(m.type, o)) {
    const source = m.source ?? "";
    const st = sourceTree !== undefined ? fstat(sourceTree) : bindSourceStat(source);
    const dest = secureJoin(plan.rootfs, m.destination);
    refuseRedirectIntoProcOrSys(plan.rootfs, m.destination, dest);
    checkProcMount(plan.rootfs, dest, source);
    createMountPoint(plan.rootfs, dest, st.isDirectory());
    // A copy the parent made before the user namespace: our root there may not reach the source (runc 1.1 mountFds)
    if (sourceTree !== undefined) withProcfd(plan.rootfs, dest, (_, fd) => moveMountOnto(sourceTree, fd, dest));
    else withProcfd(plan.rootfs, dest, (fd) => sys.mount(source, fd, null, o.flags | MS.BIND, data || undefined));
    applyPropagation(plan.rootfs, dest, o.propagation);
    // A bind ignores every other flag: remount to apply ro, nosuid, … (keeping locked ones in a userns).
    if (o.flags & ~(MS.BIND | MS.REC | MS.REMOUNT))
      withProcfd(plan.rootfs, dest, (fd) => sys.mount(source, fd, null, o.flags | MS.BIND | MS.REMOUNT | lockedFlags(dest, plan.userns)));
    // recursive attributes last, as runc's setRecAttr: they reach every submount of an rbind
    if (o.attrSet || o.attrClear) withProcfd(plan.rootfs, dest, (fd) => sys.mountSetattr(fd, o.attrSet, o.attrClear));
    return;
  }
  const dest = secureJoin(plan.rootfs, m.destination);
  refuseRedirectIntoProcOrSys(plan.rootfs, m.destination, dest);
  if (type === "cgroup" || type === "cgroup2") {
    mkdirAllInRoot(plan.rootfs, dest);
    mountCgroup(plan.rootfs, dest, o.flags, o.propagation, plan.cgroupns);
    return;
  }
  if (type === "proc" || type === "sysfs") {
    // Never through a symlink or onto a file (runc): the last component as the image has it, not
    // secureJoin's resolution of it (rootfs/proc -> /elsewhere would be followed, inside the rootfs).
    const literal = `${secureJoin(plan.rootfs, parentOf(m.destination))}/${lastComponent(m.destination)}`;
    const found = tryLstat(literal);
    if (found && !found.isDirectory()) throw new RuntimeError(`filesystem "${type}" must be mounted on ordinary directory`);
  } else if (type !== "mqueue" && type !== "tmpfs") {
    checkProcMount(plan.rootfs, dest, m.source ?? "");
  }
  const before = tryStat(dest); // missing: created below
  mkdirAllInRoot(plan.rootfs, dest);
  // tmpfs is mounted read-write and made read-only in finalizeRootfs, after the chmod below
  // (and, for /dev, after the device nodes): runc's mountPropagate.
  const delayReadonly = type === "tmpfs" || isDev(m.destination);
  const flags = delayReadonly ? o.flags & ~MS.RDONLY : o.flags;
  try {
    withProcfd(plan.rootfs, dest, (fd) => sys.mount(m.source ?? type, fd, type, flags, data || undefined));
  } catch (e) {
    // sysfs in a user namespace without its own network namespace: runc falls back to a bind of /sys.
    if (!(type === "sysfs" && e instanceof SysError && e.errno === 1 /* EPERM */)) throw e;
    sys.mount("/sys", dest, null, MS.BIND | MS.REC);
    sys.mount(null, dest, null, MS.BIND | MS.REMOUNT | MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC);
  }
  // a tmpfs over an existing directory takes that directory's mode (runc)
  if (type === "tmpfs" && before) chmod(dest, before.mode & 0o7777);
  applyPropagation(plan.rootfs, dest, o.propagation);
  // rro, rnosuid, …: runc 1.1 (mountToRootfs → setRecAttr) applies them to binds only; the
  // other types ignore them (validation warns).
}

/** "/a/b/../c/" → ["a", "c"]: a destination's components, ".." stopping at "/" (the spec's lexical view). */
const components = (path: string) =>
  path.split("/").reduce<string[]>((out, part) => (part === ".." ? out.slice(0, -1) : part && part !== "." ? [...out, part] : out), []);
const parentOf = (path: string) => `/${components(path).slice(0, -1).join("/")}`;
const lastComponent = (path: string) => components(path).at(-1) ?? "";

/** stat of a bind source, its error naming the path once: `bind source "/x": ENOENT (…)`. */
export function bindSourceStat(source: string) {
  try {
    return stat(source);
  } catch (e) {
    const m = (e as Error).message; // stat "…": ENOENT (No such file or directory): the path is said once
    throw new RuntimeError(`bind source "${source}": ${e instanceof SysError ? m.slice(m.lastIndexOf(": ") + 2) : m}`);
  }
}

const isDev = (destination: string) => destination.replace(/\/+$/, "") === "/dev";

function applyPropagation(root: string, dest: string, propagation: number[]) {
  if (propagation.length) withProcfd(root, dest, (fd) => { for (const prop of propagation) sys.mount(null, fd, null, prop); });
}

// Only these files under /proc may be bind-mounted over (lxcfs), /proc itself only by a proc (runc).
const PROC_FILES_ALLOWED = ["cpuinfo", "diskstats", "meminfo", "stat", "swaps", "uptime", "loadavg", "slabinfo", "net/dev"];

function checkProcMount(rootfs: string, dest: string, source: string) {
  const proc = `${rootfs}/proc`;
  if (dest !== proc && !dest.startsWith(`${proc}/`)) return;
  if (dest === proc) {
    if (source === "proc" || isProcFs(source)) return;
    throw new RuntimeError(`"${dest}" cannot be mounted because it is not of type proc`);
  }
  if (PROC_FILES_ALLOWED.some((f) => dest === `${proc}/${f}`)) return;
  throw new RuntimeError(`"${dest}" cannot be mounted because it is inside /proc`);
}

function isProcFs(path: string): boolean {
  try { return parseMountinfo().some((m) => m.mountPoint === path && m.fstype === "proc"); } catch { return false; }
}

/**
 * In a user namespace the kernel locks nosuid/nodev/noexec/ro of mounts inherited from the host;
 * a remount must repeat them or it fails with EPERM. Read them from mountinfo.
 */
function lockedFlags(dest: string, userns: boolean): number {
  if (!userns) return 0;
  let flags = 0;
  for (const m of parseMountinfo()) {
    if (m.mountPoint !== dest) continue;
    flags = 0; // the last mount on a path is the visible one
    for (const opt of m.options) flags |= MOUNTINFO_FLAGS[opt] ?? 0;
  }
  return flags;
}
const MOUNTINFO_FLAGS: Record<string, number> = { nosuid: MS.NOSUID, nodev: MS.NODEV, noexec: MS.NOEXEC, ro: MS.RDONLY };

function createMountPoint(root: string, dest: string, directory: boolean) {
  if (exists(dest)) return;
  if (directory) { mkdirAllInRoot(root, dest); return; }
  const parent = openDirInRoot(root, dest.replace(/\/[^/]*$/, "") || root);
  try {
    // runc: O_CREAT 0755 (under the umask); O_NOFOLLOW: never through a symlink swapped in
    sys.close(sys.openat(parent, dest.slice(dest.lastIndexOf("/") + 1), sys.O.CREAT | sys.O.WRONLY | sys.O.NOFOLLOW | sys.O.CLOEXEC, 0o755));
  } finally {
    sys.close(parent);
  }
}

/**
 * Cgroup mount (runc 1.1.5 mountCgroupV1/V2): cgroup2 on a unified host. On v1/hybrid a
 * nosuid,nodev,noexec tmpfs (never read-only: runc leaves it rw) with one entry per v1 hierarchy:
 * in a cgroup namespace a fresh cgroup mount, otherwise a bind of the container's OWN cgroup
 * directory (never the hierarchy's root, which would show the host's whole tree), remounted with
 * the mount's flags. runc mounts no cgroup2 "unified" entry on a hybrid host; neither do we.
 */
function mountCgroup(rootfs: string, dest: string, flags: number, propagation: number[], cgroupns: boolean) {
  if (exists("/sys/fs/cgroup/cgroup.controllers")) {
    withProcfd(rootfs, dest, (fd) => sys.mount("cgroup2", fd, "cgroup2", flags));
    return;
  }
  const DEFAULT_FLAGS = MS.NOSUID | MS.NODEV | MS.NOEXEC;
  const before = stat(dest); // sysfs' /sys/fs/cgroup (0555): runc's tmpfs takes its mode
  // what goes inside is in this new tmpfs, which only we see; it takes the mount's propagation (runc mountPropagate)
  withProcfd(rootfs, dest, (fd) => sys.mount("tmpfs", fd, "tmpfs", DEFAULT_FLAGS, "mode=755"));
  applyPropagation(rootfs, dest, propagation);
  chmod(dest, before.mode & 0o7777);
  const own = parseProcCgroup(readText("/proc/self/cgroup")); // init moved into its v1 cgroups first thing
  for (const h of cgroupV1Hierarchies(readText("/proc/self/mountinfo"))) {
    const name = h.mountPoint.split("/").pop()!;
    const dir = `${dest}/${name}`;
    mkdirp(dir, 0o755);
    if (cgroupns) {
      const data = name === "systemd" ? "name=systemd" : name;
      sys.mount(name === "systemd" ? "systemd" : "cgroup", dir, "cgroup", DEFAULT_FLAGS | (flags & MS.RDONLY), data);
    } else {
      const path = h.subsystems.map((s) => own.get(s)).find((p) => p !== undefined);
      if (path === undefined) throw new RuntimeError(`cgroup "${h.subsystems.join(",")}": not in /proc/self/cgroup`);
      const relative = relativeToMountRoot(h.root, path);
      const source = relative ? `${h.mountPoint}/${relative}` : h.mountPoint;
      const bindFlags = MS.BIND | MS.REC | flags;
      sys.mount(source, dir, null, bindFlags);
      if (flags & ~(MS.REC | MS.REMOUNT | MS.BIND)) sys.mount(source, dir, null, bindFlags | MS.REMOUNT);
      for (const prop of propagation) sys.mount(null, dir, null, prop);
    }
    // co-mounted controllers get symlinks: cpu -> cpu,cpuacct
    if (name.includes(",")) for (const c of name.split(",")) {
      try { symlink(name, `${dest}/${c}`); } catch (e) { if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e; }
    }
  }
}

/**
 * Bind the container's pty (an open fd) onto /dev/console, after pivot_root. The target is made
 * here (O_CREAT|O_EXCL|O_NOFOLLOW in /dev opened without following a link) or must already be a
 * file or device node, never a symlink: an image or volume cannot send the bind elsewhere
 * (CVE-2025-52565). Only its own pty shows through it, whatever /dev/console was.
 */
export function mountConsole(pty: number) {
  const dev = sys.open("/dev", sys.O.PATH | sys.O.DIRECTORY | sys.O.NOFOLLOW | sys.O.CLOEXEC);
  try {
    const flags = sys.O.PATH | sys.O.NOFOLLOW | sys.O.CLOEXEC;
    makeConsoleTarget(dev); // made before pivot_root; again here should an image's /dev have lost it since
    const target = sys.openat(dev, "console", flags);
    try {
      const st = fstat(target);
      if (!st.isFile() && !st.isCharacterDevice())
        throw new RuntimeError(`"/dev/console" is neither a file nor a device node (a symlink?); refusing to bind the console onto it`);
      sys.mount(`/proc/self/fd/${pty}`, `/proc/self/fd/${target}`, null, MS.BIND);
    } finally {
      sys.close(target);
    }
  } finally {
    sys.close(dev);
  }
}

/**
 * --no-pivot: chroot leaves the old root's mounts in our mount namespace, and the kernel lets a
 * nested user namespace mount a fresh procfs or sysfs whenever a full, uncovered one is there
 * (mount_too_revealing). So every full proc and sysfs mount outside the rootfs goes first:
 * unmounted (as a slave, so nothing propagates to the host), or covered by a tmpfs where that
 * is refused — runc's msMoveRoot.
 */
function hideHostProcAndSys(rootfs: string) {
  const hostMounts = parseMountinfo().filter((m) =>
    m.root === "/" && (m.fstype === "proc" || m.fstype === "sysfs") && m.mountPoint !== rootfs && !m.mountPoint.startsWith(`${rootfs}/`));
  for (const { mountPoint } of hostMounts) {
    try {
      sys.mount(null, mountPoint, null, MS.SLAVE | MS.REC);
    } catch (e) {
      if (e instanceof SysError && e.errno === ENOENT) continue; // under one already unmounted
      throw e;
    }
    try {
      sys.umount2(mountPoint, 2 /* MNT_DETACH */);
    } catch (e) {
      if (!(e instanceof SysError && (e.errno === 22 /* EINVAL */ || e.errno === 1 /* EPERM */))) throw e;
      sys.mount("tmpfs", mountPoint, "tmpfs", 0);
    }
  }
}

/** pivot_root into the rootfs and detach the old root (runc's pivotRoot: no temp dir needed). */
export function enterRootfs(plan: RootfsPlan) {
  if (plan.noPivot) {
    step("hide the host's proc and sysfs", () => hideHostProcAndSys(plan.rootfs));
    step("move rootfs to /", () => {
      sys.chdir(plan.rootfs);
      sys.mount(plan.rootfs, "/", null, MS.MOVE);
      sys.chroot(".");
      sys.chdir("/");
    });
    return;
  }
  step("pivot_root", () => {
    const oldRoot = sys.open("/", sys.O.DIRECTORY | sys.O.RDONLY | sys.O.CLOEXEC);
    const newRoot = sys.open(plan.rootfs, sys.O.DIRECTORY | sys.O.RDONLY | sys.O.CLOEXEC);
    sys.fchdir(newRoot);
    sys.pivotRoot(".", ".");
    sys.fchdir(oldRoot);
    // The old root may still be shared with the host: never let the unmount propagate there.
    sys.mount(null, ".", null, MS.SLAVE | MS.REC);
    sys.umount2(".", 2 /* MNT_DETACH */);
    sys.chdir("/");
    sys.close(oldRoot);
    sys.close(newRoot);
  });
}

/**
 * After pivot_root, in runc's order: read-only tmpfs and /dev (mounted rw so they could be filled),
 * read-only root, read-only paths, masked paths.
 */
export function finalizeRootfs(plan: RootfsPlan) {
  for (const m of plan.mounts) {
    const o = parseMountOptions(m.options);
    if (!(o.flags & MS.RDONLY) || !(m.type === "tmpfs" || isDev(m.destination)) || isBind(m.type, o)) continue;
    step(`remount "${m.destination}" read-only`, () => sys.mount(null, m.destination, null, o.flags | MS.REMOUNT | MS.BIND | MS.RDONLY));
  }
  if (plan.readonly) step("read-only root", () => sys.mount(null, "/", null, MS.BIND | MS.REMOUNT | MS.RDONLY | lockedFlags("/", plan.userns)));
  for (const path of plan.readonlyPaths) step(`readonly path "${path}"`, () => readonlyPath(path));
  if (plan.maskedPaths.length) step("masked paths", () => maskPaths(plan.maskedPaths, plan.mountLabel));
}

function readonlyPath(path: string) {
  const resolved = resolvedInContainer(path);
  if (resolved === undefined) return; // missing: skipped, like runc
  sys.mount(resolved, resolved, null, MS.BIND | MS.REC);
  sys.mount(null, resolved, null, MS.BIND | MS.REMOUNT | MS.RDONLY | MS.REC | lockedFlags(resolved, true));
}

/**
 * Masked files get a bind of /dev/null, directories a read-only tmpfs. The /dev/null is opened
 * once and must be the null device (char 1:3): an image or volume can make /dev/null a link to
 * /proc/sys/kernel/core_pattern, and its bind would be a writable core_pattern (CVE-2025-31133).
 * Each target is opened before the mount and the mount made on that fd.
 */
function maskPaths(paths: readonly string[], mountLabel?: string) {
  const devNull = sys.open("/dev/null", sys.O.PATH | sys.O.CLOEXEC);
  try {
    const st = fstat(devNull);
    if (!st.isCharacterDevice() || st.rdev !== DEV_NULL_RDEV)
      throw new RuntimeError(`"/dev/null" is not the null device (char 1:3) but "${readlink(`/proc/self/fd/${devNull}`)}"; refusing to mask with it`);
    for (const path of paths) step(`masked path "${path}"`, () => {
      const target = openInContainer(path);
      if (target === undefined) return; // missing: skipped, like runc
      try {
        const procfd = `/proc/self/fd/${target}`;
        if (fstat(target).isDirectory()) sys.mount("tmpfs", procfd, "tmpfs", MS.RDONLY, mountLabel ? `context="${mountLabel}"` : undefined);
        else sys.mount(`/proc/self/fd/${devNull}`, procfd, null, MS.BIND);
      } finally {
        sys.close(target);
      }
    });
  } finally {
    sys.close(devNull);
  }
}

const DEV_NULL_RDEV = (1 << 8) | 3; // glibc makedev(1, 3), as FileStat encodes rdev

/**
 * An O_PATH fd of `path` resolved inside the container's root (after pivot_root), or undefined
 * when it does not exist; refuses a path that a symlink leads into /proc or /sys.
 */
function openInContainer(path: string): number | undefined {
  const rootFd = sys.open("/", sys.O.PATH | sys.O.DIRECTORY | sys.O.CLOEXEC);
  let fd: number;
  try {
    fd = openat2(rootFd, path, sys.O.PATH | sys.O.CLOEXEC, RESOLVE.IN_ROOT | RESOLVE.NO_MAGICLINKS) ?? sys.open(path, sys.O.PATH | sys.O.CLOEXEC);
  } catch (e) {
    if (e instanceof SysError && e.errno === ENOENT) return undefined;
    throw e;
  } finally {
    sys.close(rootFd);
  }
  try {
    refuseRedirectIntoProcOrSys("/", path, readlink(`/proc/self/fd/${fd}`));
  } catch (e) {
    sys.close(fd);
    throw e;
  }
  return fd;
}

/** `path` resolved inside the container's root, or undefined when it does not exist. */
function resolvedInContainer(path: string): string | undefined {
  const fd = openInContainer(path);
  if (fd === undefined) return undefined;
  try { return readlink(`/proc/self/fd/${fd}`); } finally { sys.close(fd); }
}

/**
 * CVE-2025-52881: nothing may be mounted inside /proc or /sys through a symlink of the image
 * (a tmpfs over /proc/sys swallows sysctl writes; a bind there can replace what the runtime
 * writes or masks). A destination the config itself places there is the config's choice, and
 * so are the kernel's own links within them (/proc/self, /sys/class/net/eth0).
 */
export function refuseRedirectIntoProcOrSys(root: string, destination: string, resolved: string) {
  const inProcOrSys = (path: string) => /^\/(proc|sys)(\/|$)/.test(path);
  const base = root === "/" ? "" : root;
  const lexical = `/${components(destination).join("/")}`;
  const inside = resolved === root ? "/" : resolved.slice(base.length);
  if (inside === lexical || !inProcOrSys(inside) || inProcOrSys(lexical)) return;
  throw new RuntimeError(`"${destination}" leads to "${inside}" through a symlink; refusing to mount inside /proc or /sys`);
}

