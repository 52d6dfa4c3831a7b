// `exec`: a new process in a running container. It joins ALL of the container's namespaces
// (user first, mount and time included) through the clone helper, enters its cgroup, and gets
// the process spec's capabilities, rlimits, seccomp, no_new_privs, user, env and cwd.
import { resolvePath } from "../sys/path.ts";
import { checkLsm } from "../linux/lsm.ts";
import { parseJson, parseProcess } from "../spec/parse.ts";
import type { Process } from "../spec/types.ts";
import type { InitPlan } from "../stages/protocol.ts";
import { hookState, initAlive, processAlive } from "../state/store.ts";
import { during, RuntimeError } from "../sys/errors.ts";
import { readText } from "../sys/fs.ts";
import * as sys from "../sys/linux.ts";
import { O } from "../sys/linux.ts";
import { cgroupOf, openCloneTarget, openTaskFiles } from "./cgroup.ts";
import { parseSubCgroupArgs, subCgroupManager } from "../cgroups/manager.ts";
import { Cleanup, type Context } from "./context.ts";
import { checkConsole, NS_FLAGS, preservedFds, userFirst, writePidFile } from "./create.ts";
import type { JoinNamespace } from "../stages/spawn.ts";
import { initError, launchInit, leftError, logInitWarnings } from "./launch.ts";
import { withContainer } from "./lifecycle.ts";
import { compileProfile, deliverNotifyFd } from "./seccomp.ts";
import { callerWindowSize } from "./foreground.ts";

export interface ExecOptions {
  id: string;
  processFile?: string;
  args: string[];
  tty?: boolean;
  consoleSocket?: string;
  consoleFd?: number;
  cwd?: string;
  env: string[];
  user?: string;            // UID[:GID]
  additionalGids: number[];
  caps: string[];
  noNewPrivs?: boolean;
  detach?: boolean;
  pidFile?: string;
  preserveFds?: number;
  ignorePaused?: boolean;
  processLabel?: string;
  apparmor?: string;
  /** --cgroup: join a sub-cgroup of the container's ("PATH" or "CONTROLLER[,…]:PATH", repeatable) */
  cgroups?: string[];
  /** Once init is ready, before it execve's (foreground: take the pty master, as `run` before `start`). */
  beforeExecve?: () => void;
}

// /proc/<pid>/ns/<file> for each spec namespace type
const NS_FILE: Record<string, string> = {
  user: "user", mount: "mnt", pid: "pid", network: "net", ipc: "ipc", uts: "uts", cgroup: "cgroup", time: "time",
};

/** The process to run: --process FILE, or the container's process with the CLI's overrides (runc's newProcess). */
export function execProcess(base: Process, o: ExecOptions): Process {
  if (o.processFile) {
    let text: string;
    try { text = readText(resolvePath(o.processFile)); } catch (e) {
      throw new RuntimeError(`exec --process "${o.processFile}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    return parseProcess(parseJson(text, "process.json"), "process.json").spec;
  }
  if (!o.args.length) throw new RuntimeError("exec: arguments (the command to run) are required");
  const proc: Process = structuredClone({ ...base, args: o.args, terminal: o.tty ?? false });
  delete (proc as { consoleSize?: unknown }).consoleSize;
  if (o.cwd) proc.cwd = o.cwd;
  if (o.env.length) proc.env = [...(proc.env ?? []), ...o.env];
  if (o.user) {
    const match = /^(\d+)(?::(\d+))?$/.exec(o.user);
    if (!match) throw new RuntimeError(`exec --user "${o.user}": expected UID[:GID] (numbers)`);
    const [, uid, gid] = match;
    // runc keeps the process's gid when only a uid is given
    proc.user = { ...proc.user, uid: Number(uid), gid: gid === undefined ? (proc.user?.gid ?? 0) : Number(gid) };
  }
  if (o.additionalGids.length) proc.user = { uid: 0, gid: 0, ...proc.user, additionalGids: o.additionalGids };
  if (o.caps.length) {
    // Bounding, effective and permitted only: adding to inheritable (and thereby ambient) would
    // let the caps survive into programs the process runs (CVE-2022-29162). Ambient only where
    // inheritable already has the cap, the only case where the kernel could raise it anyway
    // (runc 1.1.5 adds to ambient and its raise fails; runc 1.2 adds when inheritable is set).
    const caps = { ...(proc.capabilities ?? {}) } as Record<string, string[]>;
    for (const set of ["bounding", "effective", "permitted"])
      caps[set] = [...new Set([...(caps[set] ?? []), ...o.caps])];
    const inheritable = new Set(caps.inheritable ?? []);
    const ambient = o.caps.filter((c) => inheritable.has(c));
    if (ambient.length) caps.ambient = [...new Set([...(caps.ambient ?? []), ...ambient])];
    proc.capabilities = caps as Process["capabilities"];
  }
  if (o.noNewPrivs) proc.noNewPrivileges = true;
  if (o.apparmor) proc.apparmorProfile = o.apparmor;
  if (o.processLabel) proc.selinuxLabel = o.processLabel;
  return proc;
}

/** Starts the process; returns its host pid (the caller waits for it unless detached). */
export function execInContainer(ctx: Context, o: ExecOptions): number {
  // Before we open any fd of our own: none of ours may pass for one given to us.
  const preserved = preservedFds(o.preserveFds ?? 0);
  using cleanup = new Cleanup((m) => ctx.log.warn(m));
  // Under the container's lock only while checking it and opening its namespaces: with
  // --ignore-paused, init waits frozen until `resume`, which needs the lock.
  const { state, status, join } = withContainer(ctx, o.id, (state, status) => {
    if (status === "stopped") throw new RuntimeError("container not running");
    if (status === "paused" && !o.ignorePaused)
      throw new RuntimeError("cannot exec in a paused container (use --ignore-paused to override)");
    const namespaces = state.spec.linux?.namespaces ?? [];
    const join = userFirst(namespaces).map((ns): JoinNamespace => {
      const path = `/proc/${state.pid}/ns/${NS_FILE[ns.type]}`;
      const fd = sys.open(path, O.RDONLY | O.CLOEXEC);
      cleanup.add(path, () => sys.close(fd));
      return { fd, type: NS_FLAGS[ns.type]!, what: `the container's ${ns.type} namespace`, path };
    });
    // The status check above saw init alive; if it died and its pid was reused before the opens,
    // the fds would name another process's namespaces. Alive now, with the same start time: they are init's.
    if (!initAlive(state)) throw new RuntimeError("container not running");
    return { state, status, join };
  });
  const spec = state.spec;
  const proc = execProcess(spec.process!, o);
  // foreground exec proxies the pty: it starts with our terminal's size
  if (proc.terminal && o.consoleFd !== undefined && !proc.consoleSize) proc.consoleSize = callerWindowSize();
  checkConsole(proc.terminal, o, o.processFile ? "process.json: terminal is true" : "exec --tty");
  const seccomp = compileProfile(ctx, spec);

  let consoleSocketFd = o.consoleFd ?? -1;
  if (o.consoleSocket) {
    try { consoleSocketFd = sys.connectUnix(resolvePath(o.consoleSocket)); } catch (e) {
      throw during(`console socket "${o.consoleSocket}"`, e);
    }
    cleanup.add("console socket", () => sys.close(consoleSocketFd));
  }
  const namespaces = spec.linux?.namespaces ?? [];
  const userns = namespaces.some((n) => n.type === "user");
  const plan: InitPlan = {
    type: "plan", mode: "exec", id: o.id, process: proc, unshareCgroupns: false, fifoFd: -1,
    consoleSocketFd, preserveFds: preserved.length, noNewKeyring: true, userns,
    personality: spec.linux?.personality,
    seccomp: seccomp && { program: Buffer.from(seccomp.program).toString("base64"), flags: seccomp.flags },
    createContainerHooks: [], startContainerHooks: [], stateJson: hookState(state, status), runtimeHooks: false,
    cgroupTaskFds: 0, parentJoinsCgroup: false,
  };
  // init joins the cgroup at its execve (Bun's threads would not fit under a nearly used pids
  // limit, its heap not under a tight memory limit): a v1 host's tasks files, by its own thread
  // (no RCU grace period to wait for, see create); a hybrid host's controller-less cgroup2 part
  // by clone3. Else (cgroup v2, a paused container) we move it by pid.
  let cg = cgroupOf(state);
  if (o.cgroups?.length) {
    if (!cg) throw new RuntimeError("exec --cgroup: the container has no cgroup");
    cg = subCgroupManager(cg, parseSubCgroupArgs(o.cgroups));
  }
  const byItself = cg?.exists() && cg.version === 1 && status !== "paused";
  const cloneInto = byItself ? cg!.cloneIntoDir() : undefined;
  const cloneTarget = openCloneTarget(cloneInto, cleanup);
  const launched = launchInit({
    join, cloneFlags: 0, protectExe: true,
    inheritFds: [...preserved, ...(consoleSocketFd >= 0 ? [consoleSocketFd] : [])],
    cgroupFd: cloneTarget.fd,
  }, plan, {
    onSpawned: () => {
      cloneTarget.close(); // init is killed by launchInit if it fails, by the entry below after
      if (!byItself) return;
      const taskFds = openTaskFiles(cg!);
      plan.cgroupTaskFds = taskFds.length;
      return taskFds;
    },
    onSeccompFd: (fd) => deliverNotifyFd(spec, fd, hookState(state, status)),
  });
  cleanup.add("exec process", () => { launched.process.kill(); launched.process.close(); });
  const channel = cleanup.fd("init channel", launched.channel.fd);
  logInitWarnings(ctx, launched.warnings);
  const movedByClone = cloneInto === undefined || launched.cgroupJoined;
  if (cg?.exists() && !(byItself && movedByClone)) cg.addProcess(launched.pid);
  // init answers "joined" if it joined by itself, then its end closes at its execve: return once
  // the process runs (as runc does), or fail with init's error. Not in a paused container: init
  // sits frozen until `resume`.
  const alive = () => processAlive(launched.pid);
  o.beforeExecve?.();
  try {
    launched.channel.send({ type: "go" });
    for (let reply; status !== "paused" && (reply = launched.channel.recvUnlessClosed(30_000, alive)); ) {
      if (reply.type === "error") throw initError(reply);
      if (reply.type !== "joined") throw new RuntimeError(`unexpected message "${reply.type}" from init`);
    }
  } catch (e) {
    throw leftError(launched.channel, alive, e);
  }
  channel.close();
  if (o.pidFile) writePidFile(o.pidFile, launched.pid);
  cleanup.keep();
  launched.process.close();
  for (const { fd } of join) sys.close(fd);
  if (consoleSocketFd >= 0 && o.consoleFd === undefined) sys.close(consoleSocketFd);
  return launched.pid;
}
