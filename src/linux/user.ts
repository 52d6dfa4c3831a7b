// The switch to process.user (uid, gid, additionalGids) and the HOME the process gets, as runc's
// setupUser (libcontainer/init_linux.go): supplementary groups first, then the gid, then the uid
// (after setresuid a non-root process could no longer change its groups).
//
// runc turns the spec's numeric user into "uid:gid" with the group given explicitly, so no
// groups come from the container's /etc/group: the supplementary groups are exactly
// additionalGids (an empty list clears the groups init inherited).
import { SysError } from "../sys/errors.ts";
import type { ProcessSys } from "../sys/process.ts";
import { fchown, fstat } from "../sys/fs.ts";

/** process.user (config-schema.json). */
export interface User {
  uid?: number;
  gid?: number;
  umask?: number;
  additionalGids?: number[];
}

const EINVAL = 22;

/**
 * Whether setgroups(2) is allowed here. In a user namespace whose /proc/self/setgroups says
 * "deny" (an unprivileged one, Linux 3.19+), it fails with EPERM: runc then silently skips the
 * groups, as the user did not ask for /etc/group ones.
 */
export function setgroupsAllowed(sys: ProcessSys): boolean {
  return sys.readFile("/proc/self/setgroups")?.trim() !== "deny";
}

/**
 * setgroups, setresgid, setresuid. Run between keepCapabilities and releaseKeepCaps
 * (capabilities.ts) so the permitted set survives the change to a non-root uid.
 * Returns warnings (additionalGids skipped where setgroups is denied, as runc skips them).
 */
export function switchUser(sys: ProcessSys, user: User | undefined): string[] {
  const uid = user?.uid ?? 0;
  const gid = user?.gid ?? 0;
  const groups = user?.additionalGids ?? [];
  const warnings: string[] = [];
  if (setgroupsAllowed(sys)) {
    sys.setgroups(groups);
  } else if (groups.length) {
    warnings.push(`ignoring additionalGids ${groups.join(",")}: setgroups is denied in this user namespace`);
  }
  try {
    sys.setresgid(gid);
  } catch (e) {
    throw unmapped(e, "gid", gid);
  }
  try {
    sys.setresuid(uid);
  } catch (e) {
    throw unmapped(e, "uid", uid);
  }
  return warnings;
}

/** EINVAL from set*id means the id has no mapping in the user namespace: say so. */
function unmapped(e: unknown, kind: "uid" | "gid", id: number) {
  if (e instanceof SysError && e.errno === EINVAL)
    return new SysError(e.call, e.errno, `${id}: ${kind} is not mapped in the container's user namespace`);
  return e;
}

const NULL_DEVICE = (1 << 8) | 3; // makedev(1, 3), as FileStat encodes rdev

/**
 * Give stdin, stdout and stderr to the user the process will run as, so it can reopen them
 * through /proc/self/fd (runc fixStdioPermissions): the owner changes, the group stays (a pty
 * keeps devpts' gid=5, "tty"). Skips the null device (shared with the host; recognised as char
 * 1:3, never by the container's /dev/null, CVE-2025-31133) and fds the user owns already;
 * EINVAL/EPERM (a file owned by an unmapped id, a read-only fs) are ignored, as runc does. Call
 * before switchUser, while still root.
 */
export function giveStdioToUser(user: User | undefined) {
  const uid = user?.uid ?? 0;
  for (const fd of [0, 1, 2]) {
    let st;
    try {
      st = fstat(fd);
    } catch {
      continue; // closed fd
    }
    if (st.isCharacterDevice() && st.rdev === NULL_DEVICE) continue;
    if (st.uid === uid) continue;
    try {
      fchown(fd, uid, st.gid);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "EINVAL" && code !== "EPERM" && code !== "EROFS") throw e;
    }
  }
}

/**
 * HOME of `uid` in the container's passwd file, "/" when the uid has no entry (runc's
 * defaultExecUser). Call after pivot_root, so `/etc/passwd` is the container's.
 */
export function homeOfUser(sys: ProcessSys, uid: number, passwdPath = "/etc/passwd"): string {
  return findHome(sys.readFile(passwdPath) ?? "", uid) ?? "/";
}

/** The home field of the first passwd line for `uid` (name:password:uid:gid:gecos:home:shell). */
export function findHome(passwd: string, uid: number): string | undefined {
  for (const line of passwd.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const fields = line.split(":");
    if (fields.length < 6) continue;
    if (fields[2] === String(uid)) return fields[5];
  }
  return undefined;
}

/**
 * The process env as runc builds it (init_linux.go populateProcessEnvironment: os.Setenv per
 * entry): one entry per name, where the name first appears, with its last value — so
 * `exec --env PATH=…` replaces the container's PATH instead of adding a second one.
 */
export function mergeEnv(env: readonly string[]): string[] {
  const merged: string[] = [];
  const index = new Map<string, number>();
  for (const entry of env) {
    const eq = entry.indexOf("=");
    const name = eq < 0 ? entry : entry.slice(0, eq);
    const at = index.get(name);
    if (at === undefined) index.set(name, merged.push(entry) - 1);
    else merged[at] = entry;
  }
  return merged;
}

/**
 * The merged process env with HOME set when it has none or an empty one, as runc does after
 * the user switch (os.Setenv: an empty HOME is replaced where it stands).
 */
export function envWithHome(sys: ProcessSys, env: readonly string[], uid: number): string[] {
  const merged = mergeEnv(env);
  const at = merged.findIndex((entry) => entry.startsWith("HOME="));
  if (at >= 0 && merged[at] !== "HOME=") return merged;
  const home = `HOME=${homeOfUser(sys, uid)}`;
  if (at >= 0) merged[at] = home;
  else merged.push(home);
  return merged;
}
