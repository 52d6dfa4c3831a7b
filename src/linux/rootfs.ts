// The container's root filesystem, in runc's order (libcontainer/rootfs_linux.go): propagation of
// "/", bind of the rootfs onto itself, the config's mounts with destinations resolved INSIDE the
// rootfs, /dev (devices, /dev/pts/ptmx, symlinks), pivot_root (or chroot), then masked and
// read-only paths and a read-only root. Runs in init, in the container's mount namespace.
import { closeSync, existsSync, lstatSync, mkdirSync, openSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync } from "node:fs";
import type { Mount } from "../spec/types.ts";
import { during, RuntimeError, SysError } from "../sys/errors.ts";
import * as sys from "../sys/linux.ts";
import { MS } from "../sys/linux.ts";
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
    let isLink = false;
    try { isLink = lstatSync(full).isSymbolicLink(); } catch { /* missing: created later, inside root */ }
    if (!isLink) { resolved.push(part); continue; }
    if (++links > 255) throw new SysError("resolve", 40 /* ELOOP */, unsafe);
    const target = readlinkSync(full);
    if (target.startsWith("/")) resolved.length = 0;
    pending = [...target.split("/").filter((p) => p && p !== "."), ...pending];
  }
  return resolved.length ? `${root}/${resolved.join("/")}` : root;
}

const PROPAGATION_FLAGS: Record<string, number> = {
  private: MS.PRIVATE, rprivate: MS.PRIVATE | MS.REC, slave: MS.SLAVE, rslave: MS.SLAVE | MS.REC,
  shared: MS.SHARED, rshared: MS.SHARED | MS.REC, unbindable: MS.UNBINDABLE, runbindable: MS.UNBINDABLE | MS.REC,
};

/** Mount everything into the rootfs, before pivot_root. */
export function prepareRootfs(plan: RootfsPlan) {
  const rootProp = plan.propagation ? PROPAGATION_FLAGS[plan.propagation]! : MS.SLAVE | MS.REC;
  step("make / " + (plan.propagation ?? "rslave"), () => sys.mount(null, "/", null, rootProp));
  // The rootfs must be a mount point for pivot_root; also keeps host mounts below it out.
  step(`bind rootfs "${plan.rootfs}"`, () => sys.mount(plan.rootfs, plan.rootfs, "bind", MS.BIND | MS.REC));
  let devIsBind = false;
  for (const [i, m] of plan.mounts.entries()) {
    const dest = secureJoin(plan.rootfs, m.destination);
    step(`mounts[${i}] ${m.type ?? "bind"} on "${m.destination}"`, () => mountOne(plan, m, dest));
    if (m.destination.replace(/\/+$/, "") === "/dev" && isBind(m.type, parseMountOptions(m.options))) devIsBind = true;
  }
  if (!devIsBind) {
    const dev = `${plan.rootfs}/dev`;
    step("create devices", () => createDevices(plan.rootfs, plan.devices, plan.userns));
    step("/dev/ptmx", () => {
      rmSync(`${dev}/ptmx`, { force: true });
      symlinkSync("pts/ptmx", `${dev}/ptmx`);
    });
    step("/dev symlinks", () => devSymlinks(dev));
  }
}

function devSymlinks(dev: string) {
  const links: Array<[string, string]> = [
    ["/proc/self/fd", "fd"], ["/proc/self/fd/0", "stdin"], ["/proc/self/fd/1", "stdout"], ["/proc/self/fd/2", "stderr"],
  ];
  if (existsSync("/proc/kcore")) links.push(["/proc/kcore", "core"]);
  for (const [target, name] of links) {
    try { symlinkSync(target, `${dev}/${name}`); } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
  }
}

function mountOne(plan: RootfsPlan, m: Mount, dest: string) {
  const o = parseMountOptions(m.options);
  const type = m.type ?? (isBind(m.type, o) ? "bind" : "none");
  if (isBind(m.type, o)) {
    const source = m.source ?? "";
    let st;
    try { st = statSync(source); } catch (e) { throw new RuntimeError(`bind source "${source}": ${(e as Error).message.replace(/,.*$/, "")}`); }
    createMountPoint(dest, st.isDirectory());
    sys.mount(source, dest, null, MS.BIND | (o.flags & MS.REC));
    // A bind ignores every other flag: remount to apply ro, nosuid, … (keeping locked ones in a userns).
    const extra = o.flags & ~(MS.BIND | MS.REC | MS.REMOUNT);
    if (extra) sys.mount(null, dest, null, extra | MS.BIND | MS.REMOUNT | lockedFlags(dest, plan.userns));
  } else if (type === "cgroup" || type === "cgroup2") {
    createMountPoint(dest, true);
    mountCgroup(dest, o.flags, plan.cgroupns);
  } else {
    createMountPoint(dest, true);
    let data = o.data;
    if (plan.mountLabel && type !== "proc" && type !== "sysfs") data = data ? `${data},context="${plan.mountLabel}"` : `context="${plan.mountLabel}"`;
    try {
      sys.mount(m.source ?? type, dest, type, o.flags, data || undefined);
    } catch (e) {
      // sysfs in a user namespace without its own network namespace: runc falls back to a bind of /sys.
      if (type === "sysfs" && e instanceof SysError && e.errno === 1 /* EPERM */) {
        sys.mount("/sys", dest, null, MS.BIND | MS.REC);
        sys.mount(null, dest, null, MS.BIND | MS.REMOUNT | MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC);
      } else throw e;
    }
  }
  for (const prop of o.propagation) sys.mount(null, dest, null, prop);
  if (o.attrSet || o.attrClear) sys.mountSetattr(dest, o.attrSet, o.attrClear);
}

/**
 * In a user namespace the kernel locks nosuid/nodev/noexec/ro of mounts inherited from the host;
 * a remount must repeat them or it fails with EPERM. Read them from mountinfo.
 */
function lockedFlags(dest: string, userns: boolean): number {
  if (!userns) return 0;
  let flags = 0;
  for (const line of readFileSync("/proc/self/mountinfo", "utf8").trim().split("\n")) {
    const f = line.split(" ");
    if (f[4] !== dest) continue;
    flags = 0; // the last mount on a path is the visible one
    for (const opt of f[5]!.split(",")) flags |= MOUNTINFO_FLAGS[opt] ?? 0;
  }
  return flags;
}
const MOUNTINFO_FLAGS: Record<string, number> = { nosuid: MS.NOSUID, nodev: MS.NODEV, noexec: MS.NOEXEC, ro: MS.RDONLY };

function createMountPoint(dest: string, directory: boolean) {
  if (existsSync(dest)) return;
  if (directory) { mkdirSync(dest, { recursive: true, mode: 0o755 }); return; }
  mkdirSync(dest.replace(/\/[^/]*$/, "") || "/", { recursive: true, mode: 0o755 });
  closeSync(openSync(dest, "a", 0o644));
}

/** Cgroup mount: cgroup2 on a unified host; on v1/hybrid a tmpfs with one mount per hierarchy. */
function mountCgroup(dest: string, flags: number, cgroupns: boolean) {
  const hostIsV2 = existsSync("/sys/fs/cgroup/cgroup.controllers");
  if (hostIsV2) {
    sys.mount("cgroup2", dest, "cgroup2", flags);
    return;
  }
  sys.mount("tmpfs", dest, "tmpfs", flags & ~MS.RDONLY, "mode=755");
  const hierarchies = readFileSync("/proc/self/mountinfo", "utf8")
    .trim().split("\n").map((l) => l.split(" ")).filter((f) => f.includes("cgroup") && f[f.indexOf("-") + 1] === "cgroup");
  for (const f of hierarchies) {
    const superOpts = f[f.indexOf("-") + 3]!.split(",");
    const controllers = superOpts.filter((o) => !["rw", "ro", "nosuid", "nodev", "noexec", "relatime", "xattr"].includes(o) && !o.startsWith("release_agent"));
    const name = f[4]!.split("/").pop()!;
    const dir = `${dest}/${name}`;
    mkdirSync(dir, { recursive: true });
    if (cgroupns) sys.mount("cgroup", dir, "cgroup", flags, controllers.join(","));
    else sys.mount(f[4]!, dir, null, MS.BIND | MS.REC);
    if (!cgroupns && flags & MS.RDONLY) sys.mount(null, dir, null, MS.BIND | MS.REMOUNT | MS.RDONLY | (flags & (MS.NOSUID | MS.NODEV | MS.NOEXEC)));
    // co-mounted controllers get symlinks: cpu -> cpu,cpuacct
    if (name.includes(",")) for (const c of name.split(",")) try { symlinkSync(name, `${dest}/${c}`); } catch {}
  }
  const unified = "/sys/fs/cgroup/unified";
  if (existsSync(`${unified}/cgroup.procs`) && !existsSync(`${dest}/unified`)) {
    mkdirSync(`${dest}/unified`);
    if (cgroupns) sys.mount("cgroup2", `${dest}/unified`, "cgroup2", flags);
    else sys.mount(unified, `${dest}/unified`, null, MS.BIND);
  }
  if (flags & MS.RDONLY) sys.mount(null, dest, null, MS.REMOUNT | MS.RDONLY | (flags & (MS.NOSUID | MS.NODEV | MS.NOEXEC)));
}

/** pivot_root into the rootfs and detach the old root (runc's pivotRoot: no temp dir needed). */
export function enterRootfs(plan: RootfsPlan) {
  if (plan.noPivot) {
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

/** After pivot_root: masked paths, read-only paths, read-only root (runc's order). */
export function finalizeRootfs(plan: RootfsPlan) {
  for (const path of plan.readonlyPaths) step(`readonly path "${path}"`, () => readonlyPath(path));
  for (const path of plan.maskedPaths) step(`masked path "${path}"`, () => maskPath(path, plan.mountLabel));
  if (plan.readonly) step("read-only root", () => sys.mount(null, "/", null, MS.BIND | MS.REMOUNT | MS.RDONLY | lockedFlags("/", plan.userns)));
}

function readonlyPath(path: string) {
  try {
    sys.mount(path, path, null, MS.BIND | MS.REC);
  } catch (e) {
    if (e instanceof SysError && e.errno === 2) return; // missing: skipped, like runc
    throw e;
  }
  sys.mount(null, path, null, MS.BIND | MS.REMOUNT | MS.RDONLY | MS.REC | lockedFlags(path, true));
}

function maskPath(path: string, mountLabel?: string) {
  let st;
  try { st = statSync(path); } catch { return; } // missing: skipped, like runc
  if (st.isDirectory()) sys.mount("tmpfs", path, "tmpfs", MS.RDONLY, mountLabel ? `context="${mountLabel}"` : undefined);
  else sys.mount("/dev/null", path, null, MS.BIND);
}

function step(what: string, fn: () => void) {
  try { fn(); } catch (e) { throw during(what, e); }
}
