// `create`: validate the bundle, make the state dir, exec.fifo and cgroup, clone init into its
// namespaces, and return once init waits on exec.fifo — status `created`.
import { chmod, exists, readlink, readText, realpath, rename, tryStat, unlink, writeText } from "../sys/fs.ts";
import { resolvePath } from "../sys/path.ts";
import { runHooks } from "../linux/hooks.ts";
import { checkLsm } from "../linux/lsm.ts";
import { isTerminal } from "../linux/terminal.ts";
import { bindSourceStat, type RootfsPlan } from "../linux/rootfs.ts";
import { compileMemoryPolicy } from "../linux/mempolicy.ts";
import { idmapMount, openTree, OPEN_TREE } from "../sys/in-root.ts";
import { isBind, parseMountOptions } from "../linux/mount-options.ts";
import { parseConfig, parseJson } from "../spec/parse.ts";
import { at, isIdmapped, normalizeSysctlName, sysctlNamespace } from "../spec/validate.ts";
import type { LinuxNamespace, Mount, Spec } from "../spec/types.ts";
import { hookState, type StoredState, validateId } from "../state/store.ts";
import type { InitPlan } from "../stages/protocol.ts";
import { ConfigError, during, RuntimeError, step } from "../sys/errors.ts";
import * as sys from "../sys/linux.ts";
import { CLONE, MS, O } from "../sys/linux.ts";
import { Cleanup, type Context, type OwnedFd } from "./context.ts";
import { launchInit, logInitWarnings } from "./launch.ts";
import type { JoinNamespace } from "../stages/spawn.ts";
import { applyCgroupLimits, makeCgroup, openCgroup, openCloneTarget, openTaskFiles, type CgroupHandle } from "./cgroup.ts";
import { compileProfile, deliverNotifyFd } from "./seccomp.ts";
import { callerWindowSize } from "./foreground.ts";
import { prepareNotifyDir, withNotifyEnv } from "./notify.ts";

export interface CreateOptions {
  id: string;
  bundle?: string;
  pidFile?: string;
  consoleSocket?: string;
  noPivot?: boolean;
  noNewKeyring?: boolean;
  preserveFds?: number;
  /** foreground run with a terminal and no console socket: we receive the pty master ourselves */
  consoleFd?: number;
  detach?: boolean;
}

export const NS_FLAGS: Record<string, number> = {
  mount: CLONE.NEWNS, uts: CLONE.NEWUTS, ipc: CLONE.NEWIPC, network: CLONE.NEWNET,
  pid: CLONE.NEWPID, user: CLONE.NEWUSER, cgroup: CLONE.NEWCGROUP, time: CLONE.NEWTIME,
};

/** Read and validate <bundle>/config.json; nothing else happens before this succeeds. */
export function loadBundle(ctx: Context, bundleDir: string | undefined): { bundle: string; spec: Spec } {
  // Canonical, as runc's (its cwd after chdir): the state names it, and every path under it
  // (rootfs, mount destinations checked against /proc/self/fd) compares equal to what the kernel says.
  let bundle = resolvePath(bundleDir || ".");
  try { bundle = realpath(bundle); } catch { /* missing: reading config.json says so */ }
  let text: string;
  try {
    text = readText(`${bundle}/config.json`);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOTDIR") throw new RuntimeError(`bundle "${bundle}": not a directory`);
    throw new RuntimeError(`bundle "${bundle}": cannot read config.json: ${code ?? (e as Error).message}`);
  }
  // invalid JSON names the file: the error may reach an engine's log far from the bundle
  const { spec, warnings } = parseConfig(parseJson(text, `${bundle}/config.json`));
  for (const w of warnings) ctx.log.warn(w);
  if (!spec.linux?.namespaces?.some((n) => n.type === "mount"))
    throw new ConfigError("linux.namespaces", "a mount namespace is required to set up the root filesystem");
  return { bundle, spec };
}

/** Namespaces in joining order: the user namespace first, joining the others needs its capabilities. */
export const userFirst = <T extends { type: string }>(namespaces: readonly T[]): T[] =>
  [...namespaces].sort((a, b) => Number(b.type === "user") - Number(a.type === "user"));

/**
 * A terminal needs somewhere to send its pty (a console socket, or our own foreground one), and
 * only a terminal does. In the foreground our stdin must be a terminal too: from cron, CI or a
 * pipe the container's shell would wait on a pty nobody types into, forever (runc fails too:
 * "open /dev/tty"). `asked` names what asked for the terminal.
 */
export function checkConsole(terminal: boolean | undefined, o: { consoleSocket?: string; consoleFd?: number }, asked = "process.terminal is true") {
  if (terminal && !o.consoleSocket && o.consoleFd === undefined)
    throw new RuntimeError("cannot allocate tty if minidocker will detach without setting console socket");
  if (terminal && !o.consoleSocket && !isTerminal(0)) {
    const fix = asked.startsWith("exec --tty") ? "leave out -t" : `set "terminal": false in ${asked.startsWith("process.json") ? "process.json" : "config.json"}`;
    throw new RuntimeError(`${asked} but stdin is not a terminal: ${fix}, give --console-socket, or run it from a terminal`);
  }
  if (!terminal && o.consoleSocket)
    throw new RuntimeError("cannot use console socket if minidocker will not detach or allocate tty");
}

/** Open the namespaces to join (user first), and the CLONE_NEW* flags of the ones to create. */
export function namespaceFds(namespaces: readonly LinuxNamespace[], cleanup: Cleanup): { join: JoinNamespace[]; owned: OwnedFd[]; cloneFlags: number; newCgroupns: boolean } {
  const join: JoinNamespace[] = [];
  const owned: OwnedFd[] = [];
  let cloneFlags = 0, newCgroupns = false;
  for (const ns of userFirst(namespaces)) {
    const what = `linux.namespaces[${namespaces.indexOf(ns)}]`;
    if (ns.path) {
      let fd: number;
      try {
        fd = sys.open(ns.path, O.RDONLY | O.CLOEXEC);
      } catch (e) {
        throw new ConfigError(`${what}.path`, (e as Error).message);
      }
      owned.push(cleanup.fd(`${what} fd`, fd));
      // setns checks the type: a path to another kind of namespace fails with EINVAL, named here
      join.push({ fd, type: NS_FLAGS[ns.type]!, what: `${what} (${ns.type})`, path: ns.path });
    } else if (ns.type === "cgroup") {
      newCgroupns = true;
    } else {
      cloneFlags |= NS_FLAGS[ns.type]!;
    }
  }
  return { join, owned, cloneFlags, newCgroupns };
}

/**
 * systemd socket activation (sd_listen_fds(3)): LISTEN_FDS fds from 3 meant for us (LISTEN_PID)
 * go on to the container's process as its fds 3…, with LISTEN_FDS and LISTEN_PID=1, before any
 * --preserve-fds ones — what runc does (go-systemd activation.Files).
 */
export function listenFds(): number {
  const count = Number(process.env.LISTEN_FDS ?? "");
  if (!Number.isInteger(count) || count <= 0 || Number(process.env.LISTEN_PID) !== process.pid) return 0;
  return count;
}

/**
 * fds 3…3+count-1 for the container's process (--preserve-fds, socket activation). Bun marks
 * inherited fds above 3 close-on-exec when it starts, so they are named to the helper, which
 * clears the flag, and init clears it again before the user's execve.
 */
export function preservedFds(count: number): number[] {
  const fds = Array.from({ length: count }, (_, i) => 3 + i);
  for (const fd of fds) {
    // Bun takes the lowest free fds for its event loop: those were not given to us
    const link = exists(`/proc/self/fd/${fd}`) ? readlink(`/proc/self/fd/${fd}`) : "";
    if (!link || link === "anon_inode:[eventpoll]" || link === "anon_inode:[eventfd]")
      throw new RuntimeError(`--preserve-fds ${count}: fd ${fd} is not open`);
  }
  return fds;
}

/** root.path, relative to the bundle, every symlink resolved once here: init compares against it. */
function canonicalRootfs(bundle: string, rootPath: string): string {
  const given = resolvePath(bundle, rootPath);
  try {
    return realpath(given);
  } catch {
    throw new ConfigError("root.path", `"${given}" does not exist`);
  }
}

/**
 * A sysctl of a namespace joined by path that is our own (the host's) would change the host:
 * runc refuses net.* there (isHostNetNS, "here host means current"); the same holds for ipc and uts.
 */
function refuseSysctlsOfOurNamespaces(spec: Spec) {
  for (const raw of Object.keys(spec.linux?.sysctl ?? {})) {
    const kind = sysctlNamespace(normalizeSysctlName(raw));
    const path = kind && spec.linux?.namespaces?.find((n) => n.type === kind)?.path;
    if (!kind || !path) continue;
    const joined = tryStat(path), ours = tryStat(`/proc/self/ns/${kind === "network" ? "net" : kind}`);
    if (joined && ours && joined.dev === ours.dev && joined.ino === ours.ino)
      throw new ConfigError(at("linux.sysctl", raw), `not allowed: the ${kind} namespace joined (${path}) is the host's`);
  }
}

/**
 * Detached copies (open_tree OPEN_TREE_CLONE, recursive for rbind) of the bind sources at
 * `indices`, made here as the host's root before init is in its user namespace, where the
 * container's root may be refused the path (a 0700 directory of the host's root): runc 1.1
 * opens them before the user namespace too. init attaches them with move_mount.
 */
function openSourceTrees(mounts: readonly Mount[], indices: readonly number[], usernsPath: string): number[] {
  const fds: number[] = [];
  let usernsFd = -1;
  try {
    for (const i of indices) {
      const m = mounts[i]!;
      const o = parseMountOptions(m.options);
      step(`mounts[${i}] bind on "${m.destination}"`, () => {
        bindSourceStat(m.source ?? ""); // the same message as without a user namespace
        const tree = openTree(AT_FDCWD, m.source ?? "", OPEN_TREE.CLONE | OPEN_TREE.CLOEXEC | (o.flags & MS.REC ? OPEN_TREE.RECURSIVE : 0));
        fds.push(tree);
        if (!isIdmapped(m)) return;
        // validation allows only the container's own mappings: its user namespace is the mapping
        if (usernsFd < 0) usernsFd = sys.open(usernsPath, O.RDONLY | O.CLOEXEC);
        idmapMount(tree, usernsFd, o.idmap === "ridmap", m.source ?? "");
      });
    }
    return fds;
  } catch (e) {
    for (const fd of fds) sys.close(fd);
    throw e;
  } finally {
    if (usernsFd >= 0) sys.close(usernsFd);
  }
}
const AT_FDCWD = -100;

/** A relative bind source is taken in the bundle, not the caller's cwd (runc's createLibcontainerMount). */
function withBindSourceInBundle(bundle: string, m: Mount): Mount {
  if (m.source === undefined || m.source.startsWith("/") || !isBind(m.type, parseMountOptions(m.options))) return m;
  return { ...m, source: resolvePath(bundle, m.source) };
}

export function writePidFile(path: string, pid: number) {
  const full = resolvePath(path);
  const tmp = `${full}.${process.pid}.tmp`;
  writeText(tmp, String(pid));
  rename(tmp, full);
}

export function createContainer(ctx: Context, opts: CreateOptions): { state: StoredState; cgroup: CgroupHandle } {
  const id = validateId(opts.id);
  const { bundle, spec } = loadBundle(ctx, opts.bundle);
  const proc = spec.process!;
  checkConsole(proc.terminal, opts);
  checkLsm("process", proc, spec.linux?.mountLabel);
  // Before we open any fd of our own: none of ours may pass for one given to us.
  const activated = listenFds();
  const preserved = preservedFds((opts.preserveFds ?? 0) + activated);
  const seccomp = compileProfile(ctx, spec);
  const rootfsPath = canonicalRootfs(bundle, spec.root?.path ?? "rootfs");
  refuseSysctlsOfOurNamespaces(spec);
  // runc refuses it (specconv): without pivot_root the host's mounts stay beneath the container's root
  if (opts.noPivot && /^r?private$/.test(spec.linux?.rootfsPropagation ?? ""))
    throw new ConfigError("linux.rootfsPropagation", `${JSON.stringify(spec.linux!.rootfsPropagation)} is not safe without pivot_root (--no-pivot)`);

  using cleanup = new Cleanup((m) => ctx.log.warn(m));
  ctx.store.createDir(id);
  // Held until the container is created: start, kill and delete wait for it (a start in between
  // would run the process before the cgroup limits; a delete would pull the state dir away), and
  // `state` says "creating" meanwhile. Unlocked only after the state dir is gone on failure.
  let unlock: (() => void) | undefined;
  cleanup.add("state dir", () => { ctx.store.removeDir(id); unlock?.(); });
  unlock = ctx.store.lock(id);
  writeText(ctx.store.creatingPath(id), "");

  const fifo = ctx.store.fifoPath(id);
  sys.mkfifo(fifo, 0o622);
  chmod(fifo, 0o622); // mkfifo honours the umask; init may run as any user
  const fifoFd = cleanup.fd("fifo fd", sys.open(fifo, O.PATH | O.CLOEXEC));

  const namespaces = spec.linux?.namespaces ?? [];
  const ns = namespaceFds(namespaces, cleanup);
  const userns = namespaces.some((n) => n.type === "user"); // new or joined

  const cgroup = openCgroup(ctx, spec, id, cleanup);

  let consoleSocketFd = opts.consoleFd ?? -1;
  let consoleSocket: OwnedFd | undefined;
  if (opts.consoleSocket) {
    try {
      consoleSocket = cleanup.fd("console socket", sys.connectUnix(resolvePath(opts.consoleSocket)));
    } catch (e) {
      throw during(`console socket "${opts.consoleSocket}"`, e);
    }
    consoleSocketFd = consoleSocket.fd;
  }

  const state: StoredState = {
    ociVersion: spec.ociVersion, id, pid: 0, bundle, rootfs: rootfsPath, created: new Date().toISOString(),
    owner: "", annotations: spec.annotations, initStartTime: "", cgroupPath: cgroup.path, cgroupPaths: { ...cgroup.paths }, spec,
  };

  // NOTIFY_SOCKET: our socket's directory goes last, as runc appends it
  const notifyMount = prepareNotifyDir(ctx.store.dir(id));
  const mounts = [...(spec.mounts ?? []).map((m) => withBindSourceInBundle(bundle, m)), ...(notifyMount ? [notifyMount] : [])];
  const rootfs: RootfsPlan = {
    rootfs: rootfsPath,
    readonly: spec.root?.readonly ?? false,
    propagation: spec.linux?.rootfsPropagation,
    mounts,
    devices: (spec.linux?.devices ?? []) as RootfsPlan["devices"],
    maskedPaths: spec.linux?.maskedPaths ?? [],
    readonlyPaths: spec.linux?.readonlyPaths ?? [],
    noPivot: opts.noPivot ?? false,
    userns,
    // in a user namespace init's root may not reach a bind source: the parent opens them (below)
    console: proc.terminal === true,
    sourceTrees: userns ? mounts.flatMap((m, i) => (isBind(m.type, parseMountOptions(m.options)) ? [i] : [])) : [],
    cgroupns: namespaces.some((n) => n.type === "cgroup"),
    mountLabel: spec.linux?.mountLabel,
  };
  const hooks = spec.hooks ?? {};
  const plan: InitPlan = {
    type: "plan", mode: "create", id, rootfs,
    // foreground run proxies the pty: it starts with our terminal's size
    process: proc.terminal && opts.consoleFd !== undefined && !proc.consoleSize ? { ...proc, consoleSize: callerWindowSize() } : proc,
    hostname: spec.hostname, domainname: spec.domainname, sysctl: spec.linux?.sysctl,
    loopbackUp: namespaces.some((n) => n.type === "network" && !n.path),
    unshareCgroupns: ns.newCgroupns, fifoFd: fifoFd.fd, consoleSocketFd, preserveFds: preserved.length,
    noNewKeyring: opts.noNewKeyring ?? false, userns, personality: spec.linux?.personality,
    memoryPolicy: spec.linux?.memoryPolicy && compileMemoryPolicy(spec.linux.memoryPolicy),
    seccomp: seccomp && { program: Buffer.from(seccomp.program).toString("base64"), flags: seccomp.flags },
    createContainerHooks: hooks.createContainer ?? [], startContainerHooks: hooks.startContainer ?? [],
    stateJson: "", runtimeHooks: !!(hooks.prestart?.length || hooks.createRuntime?.length),
    cgroupTaskFds: 0, parentJoinsCgroup: true, // see onSpawned
  };

  if (notifyMount) plan.process = { ...plan.process, env: withNotifyEnv(plan.process.env) };
  if (activated) plan.process = { ...plan.process, env: [...(plan.process.env ?? []), `LISTEN_FDS=${activated}`, "LISTEN_PID=1"] };

  let limitsApplied = false;
  const applyLimits = () => { if (!limitsApplied) { limitsApplied = true; applyCgroupLimits(cgroup, spec); } };
  const timeOffsets = spec.linux?.timeOffsets;
  // init is cloned straight into the cgroup2 part and moves its own thread into the v1 ones
  // (plan.cgroupTaskFds): moving it by pid would wait for an RCU grace period, 5-16 ms measured.
  const cloneInto = cgroup.cloneIntoDir();
  if (cloneInto !== undefined) makeCgroup(cgroup, spec, [cloneInto]);
  const cloneTarget = openCloneTarget(cloneInto, cleanup);
  const launched = launchInit({
    join: ns.join,
    cloneFlags: ns.cloneFlags,
    protectExe: true,
    timensOffsets: timeOffsets ? Object.entries(timeOffsets).map(([clock, o]) => `${clock} ${o.secs ?? 0} ${o.nanosecs ?? 0}\n`).join("") : undefined,
    uidMappings: spec.linux?.uidMappings,
    gidMappings: spec.linux?.gidMappings,
    inheritFds: [...preserved, fifoFd.fd, ...(consoleSocketFd >= 0 ? [consoleSocketFd] : [])],
    cgroupFd: cloneTarget.fd,
  }, plan, {
    onSpawned: (pid, spawned) => {
      state.pid = pid; // killed by launchInit if it fails, by the entry below after
      plan.stateJson = hookState(state, "creating");
      cloneTarget.close();
      makeCgroup(cgroup, spec); // the rest, while init starts up (it joins once it has the plan)
      plan.parentJoinsCgroup = cloneInto !== undefined && !spawned.cgroupJoined; // clone3 refused: by pid
      const taskFds = openTaskFiles(cgroup);
      plan.cgroupTaskFds = taskFds.length;
      // idmapped mounts: through the container's user namespace, joined or init's new one
      const usernsPath = namespaces.find((n) => n.type === "user")?.path ?? `/proc/${pid}/ns/user`;
      try {
        return [...taskFds, ...openSourceTrees(mounts, rootfs.sourceTrees, usernsPath)]; // sent with the plan, then closed
      } catch (e) {
        for (const fd of taskFds) sys.close(fd); // not handed over: still ours
        throw e;
      }
    },
    joinCgroup: (pid) => cgroup.addProcess(pid),
    whileInitWorks: (_pid, startTime) => {
      // Off the critical path: init is busy with its rootfs while we write and fsync the state.
      state.initStartTime = startTime;
      ctx.store.write(state);
    },
    onHooks: () => {
      applyLimits(); // before the hooks, as runc, so they see the limits
      runHooks("prestart", hooks.prestart, hookState(state, "creating"), state.bundle); // as runc (procHooks)
      runHooks("createRuntime", hooks.createRuntime, hookState(state, "creating"), state.bundle);
    },
    onSeccompFd: (fd) => deliverNotifyFd(spec, fd, hookState(state, "creating")),
  });
  cleanup.add("init process", () => { launched.process.kill(); launched.process.close(); });
  const channel = cleanup.fd("init channel", launched.channel.fd);
  applyLimits(); // init is ready and blocked on exec.fifo: its threads exist, the user's process has not run
  logInitWarnings(ctx, launched.warnings);
  ctx.log.debug(`container ${id}: init ${state.pid} is ready and waits on exec.fifo`);
  channel.close();
  if (opts.pidFile) writePidFile(opts.pidFile, state.pid);
  fifoFd.close();
  consoleSocket?.close();
  for (const fd of ns.owned) fd.close();
  unlink(ctx.store.creatingPath(id));
  cleanup.keep();
  launched.process.close();
  unlock();
  return { state, cgroup };
}
