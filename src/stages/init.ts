// The init stage: our own binary re-exec'd by the clone helper inside the container's
// namespaces. It receives the plan, builds the container's world, waits on exec.fifo until
// `start`, and execve's the user's process, which thereby becomes the container's PID 1.
// Imports only sys/, linux/ and stages/ (no valibot, citty, consola): it runs at every start.
import { runHooks } from "../linux/hooks.ts";
import { enterRootfs, finalizeRootfs, mountConsole, prepareRootfs } from "../linux/rootfs.ts";
import { writeProcFile } from "../sys/procfs.ts";
import { setMempolicy } from "../sys/mempolicy.ts";
import { applyProcess } from "../linux/process.ts";
import { bringUp } from "../linux/network.ts";
import { setupConsole } from "../linux/terminal.ts";
import { RuntimeError, step } from "../sys/errors.ts";
import { access, exists, mkdirp, tryStat, writeAll, X_OK } from "../sys/fs.ts";
import { writeErr } from "../sys/stdio.ts";
import * as sys from "../sys/linux.ts";
import { CLONE, O } from "../sys/linux.ts";
import { Channel } from "./channel.ts";
import { INIT_ENV, type InitPlan } from "./protocol.ts";

export function init(): never {
  const fd = Number(process.env[INIT_ENV]);
  if (!Number.isInteger(fd) || fd < 3) {
    writeErr("minidocker init: this stage is started by the runtime, not by hand\n");
    process.exit(1);
  }
  const channel = new Channel(fd);
  try {
    const plan = channel.recv(60_000) as unknown as InitPlan;
    return runPlan(plan, channel);
  } catch (e) {
    const message = (e as Error).message ?? String(e);
    // create, once `start` opened the fifo: to `start` ("E…"); before: over the channel while the
    // parent reads it, else to the container's stderr, as runc's init prints "exec /x: exec format error".
    if (startFifo >= 0) try { writeAll(startFifo, `E${message}`.slice(0, 4000)); } catch { writeErr(`${message}\n`); }
    else if (channelOpen) try { channel.send({ type: "error", message }); } catch {}
    else writeErr(`${message}\n`);
    process.exit(1);
  }
}

let channelOpen = true;
const PR_SET_DUMPABLE = 4;
/** create: our write end of exec.fifo, once `start` opened it */
let startFifo = -1;

function runPlan(plan: InitPlan, channel: Channel): never {
  // A session of our own (runc nsexec: setsid for every init, exec's too): `kill 0` in the
  // container must not reach the caller's process group, and a terminal can become ours.
  sys.setsid();
  // Into the container's cgroup: the v1 parts by the tasks fds that came with the plan, the
  // cgroup2 part by our clone, or by the parent (by pid, then it says "joined"). A cgroup
  // namespace must come after (made earlier, it would be rooted at the CLI's cgroup);
  // unshare(CLONE_NEWCGROUP) is per thread, and the execve comes from this one.
  const taskFds = Array.from({ length: plan.cgroupTaskFds }, () => channel.takeFd());
  const sourceTreeFds = Array.from({ length: plan.rootfs?.sourceTrees.length ?? 0 }, () => channel.takeFd());
  const joinByTaskFds = () => {
    for (const fd of taskFds) {
      step("cgroup: join (v1 tasks)", () => writeAll(fd, "0"));
      sys.close(fd);
    }
  };
  // exec: right before the execve (see below); create: first thing
  if (plan.mode === "create") joinByTaskFds();
  let joined = !plan.parentJoinsCgroup;
  const awaitJoined = () => {
    if (joined) return;
    const msg = channel.recv(60_000);
    if (msg.type !== "joined") throw new RuntimeError(`unexpected message "${msg.type}" while waiting for the cgroup`);
    joined = true;
  };
  if (plan.unshareCgroupns) {
    awaitJoined();
    sys.unshare(CLONE.NEWCGROUP);
  }

  if (plan.mode === "create") {
    const rootfs = plan.rootfs!;
    if (plan.loopbackUp) bringUp("lo"); // runc: setupNetwork, before the rootfs
    // Not waiting for "joined" here: a cgroup mount binds the v1 cgroups, which we joined above.
    prepareRootfs(rootfs, new Map(rootfs.sourceTrees.map((i) => [i, sourceTreeFds.shift()!])));
    if (plan.runtimeHooks) {
      awaitJoined(); // hooks see the container's cgroup
      channel.send({ type: "hooks" });
      const reply = channel.recv(600_000);
      if (reply.type !== "hooks-done") throw new RuntimeError(`unexpected message "${reply.type}" while waiting for hooks`);
    }
    if (plan.createContainerHooks.length) awaitJoined(); // they run in the container's cgroup
    runHooks("createContainer", plan.createContainerHooks, plan.stateJson, rootfs.rootfs);
    enterRootfs(rootfs);
    // A missing process.cwd is made, mode 0755, inside the container's root (runc prepareRootfs)
    // and before a read-only root is remounted.
    if (plan.process.cwd) step(`process.cwd "${plan.process.cwd}"`, () => mkdirp(plan.process.cwd, 0o755));
    if (plan.hostname !== undefined) sys.sethostname(plan.hostname);
    if (plan.domainname !== undefined) sys.setdomainname(plan.domainname);
    for (const [key, value] of Object.entries(plan.sysctl ?? {})) {
      // sysctl(8) names: "net.ipv4.ip_forward", or with slashes when a part holds dots ("net/ipv4/conf/eth0.100/forwarding")
      const relative = `sys/${key[key.search(/[./]/)] === "/" ? key : key.replaceAll(".", "/")}`;
      const file = `/proc/${relative}`;
      try {
        writeProcFile(relative, value); // never through a mount on /proc/sys (CVE-2025-52881)
      } catch (e) {
        const { code, message } = e as NodeJS.ErrnoException;
        throw new RuntimeError(`linux.sysctl "${key}": write "${file}": ${code ?? message}`, { cause: e });
      }
    }
    finalizeRootfs(rootfs);
    // per thread, kept across execve: this JS thread is the one that execve's the process
    if (plan.memoryPolicy) step("linux.memoryPolicy", () => setMempolicy(plan.memoryPolicy!.modeAndFlags, plan.memoryPolicy!.nodes));
  }

  const proc = plan.process;
  // create: the pty also covers /dev/console (runc), after the masked paths, on a target we made or checked
  if (proc.terminal && plan.consoleSocketFd >= 0)
    setupConsole(plan.consoleSocketFd, proc.consoleSize, plan.mode === "create" ? (slave) => step("/dev/console", () => mountConsole(slave)) : undefined);
  const executable = findExecutable(proc.args?.[0] ?? "", proc.env ?? [], proc.cwd);
  // In the cgroup before the process attributes: a v1 cpu cgroup refuses a SCHED_RR/FIFO task
  // joining it without realtime budget (EINVAL), where runc's order gives sched_setattr's EPERM.
  awaitJoined();
  const prepared = applyProcess(proc, {
    personality: plan.personality as never,
    noNewKeyring: plan.noNewKeyring,
    seccomp: plan.seccomp ? { program: Buffer.from(plan.seccomp.program, "base64"), flags: plan.seccomp.flags } : undefined,
    onSeccompFd: (notifyFd) => channel.sendFd({ type: "seccomp-fd" }, notifyFd),
    preserveFds: plan.preserveFds,
  });
  channel.send({ type: "ready", warnings: prepared.warnings });

  if (plan.mode === "exec") {
    // The parent moves us into the container's cgroup only now: Bun's threads would not fit under
    // a nearly exhausted pids limit, and they end at our execve (runc joins late for the same reason).
    const go = channel.recv(30_000);
    if (go.type !== "go") throw new RuntimeError(`unexpected message "${go.type}" while waiting to exec`);
    if (taskFds.length) {
      joinByTaskFds();
      channel.send({ type: "joined" });
    }
    // The parent waits for our end to close, which it does at the execve (close-on-exec), so
    // `exec` returns once the process runs and gets an execve error over the channel (runc does so).
    prepared.seal();
    return sys.execve(executable, proc.args ?? [], prepared.env);
  }

  // create: nobody reads the channel after "ready"; errors from here on go to `start` through the fifo.
  channelOpen = false;
  // A process exec'd into the created container must not read our memory or fds while we wait
  // (crun does the same). execve makes the user's process dumpable again, as runc's.
  sys.prctl(PR_SET_DUMPABLE, 0);
  // Blocks until `start` opens the fifo for reading. Reopen through /proc/self/fd: the fifo's
  // path is outside our root now, and a fresh open is what makes the write block.
  startFifo = sys.open(`/proc/self/fd/${plan.fifoFd}`, O.WRONLY | O.CLOEXEC);
  // "0" now, "E…" after it if anything below fails: `start` reads until our end closes at the
  // execve (close-on-exec), so a failing hook or execve fails `start` (runc's start returns 0 on
  // an execve error, which then shows only on the container's stderr).
  writeAll(startFifo, "0");
  // With no_new_privs the filter comes only now, after the fifo (runc 1.1 loads it before the
  // fifo: a profile that denies opening files for writing stops runc's init there).
  prepared.seal();
  // startContainer hooks under the filter, as runc runs them
  const state = { ...JSON.parse(plan.stateJson), status: "created" };
  runHooks("startContainer", plan.startContainerHooks, JSON.stringify(state));
  return sys.execve(executable, proc.args ?? [], prepared.env);
}

/** args[0] through the container's PATH, like runc (exec.LookPath) — before `start`, so create fails. */
function findExecutable(name: string, env: readonly string[], cwd = "/"): string {
  if (!name) throw new RuntimeError("process.args: empty");
  const check = (path: string) => {
    try {
      if (!tryStat(path)?.isFile()) return false; // tryStat: no exception for each PATH entry that lacks it
      access(path, X_OK);
      return true;
    } catch { return false; }
  };
  if (name.includes("/")) {
    const full = name.startsWith("/") ? name : `${cwd.replace(/\/$/, "")}/${name}`;
    if (check(full)) return full;
    // Go's exec.LookPath, as runc: podman maps "permission denied" to exit 126, "no such file" to 127
    if (exists(full)) throw new RuntimeError(`exec: "${name}": permission denied`);
    throw new RuntimeError(`exec: "${name}": stat ${name}: no such file or directory`);
  }
  const pathVar = env.findLast((e) => e.startsWith("PATH="))?.slice(5) ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const dir of pathVar.split(":")) {
    const candidate = `${dir || "."}/${name}`;
    if (check(candidate)) return candidate;
  }
  throw new RuntimeError(`exec: "${name}": executable file not found in $PATH`);
}

