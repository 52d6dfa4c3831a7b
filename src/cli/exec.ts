import { execInContainer } from "../container/exec.ts";
import { becomeSubreaper, foregroundConsole } from "../container/foreground.ts";
import { RuntimeError } from "../sys/errors.ts";
import { collect, type Command, requireId } from "./index.ts";

export default {
  meta: { name: "exec", description: "run a new process inside a running container" },
  operands: { usage: "<container-id> <command> [command options]", min: 1 },
  passThrough: true,
  failure: { prefix: "exec failed: ", exitCode: 255 },
  args: {
    process: { type: "string", alias: "p", description: "process.json with the process to run" },
    tty: { type: "boolean", alias: "t", description: "allocate a pseudo-TTY" },
    "console-socket": { type: "string", description: "unix socket that receives the pty master" },
    cwd: { type: "string", description: "working directory" },
    env: { type: "string", alias: "e", description: "set an environment variable (repeatable)" },
    user: { type: "string", alias: "u", description: "UID[:GID]" },
    "additional-gids": { type: "string", alias: "g", description: "additional group (repeatable)" },
    cap: { type: "string", alias: "c", description: "add a capability (repeatable)" },
    "no-new-privs": { type: "boolean", description: "set no_new_privs" },
    detach: { type: "boolean", alias: "d", description: "return once the process runs" },
    "pid-file": { type: "string", description: "write the process's pid to this file" },
    "preserve-fds": { type: "string", description: "pass N extra fds to the process" },
    "process-label": { type: "string", description: "SELinux label of the process" },
    apparmor: { type: "string", description: "AppArmor profile of the process" },
    "ignore-paused": { type: "boolean", description: "exec even into a paused container" },
    cgroup: { type: "string", description: "run in a sub-cgroup of the container's: PATH or CONTROLLER[,CONTROLLER]:PATH (repeatable)" },
  },
  async run(ctx, inv) {
    const id = requireId(inv, "exec");
    const t = inv.flagTokens;
    // citty turns --no-new-privs into new-privs=false; read the raw token instead.
    const noNewPrivs = t.includes("--no-new-privs") || t.includes("--no-new-privs=true");
    const detach = inv.flags.detach === true;
    const gids = collect(t, ["additional-gids", "g"]).map((g) => {
      if (!/^\d+$/.test(g)) throw new RuntimeError(`exec --additional-gids "${g}": expected a number`);
      return Number(g);
    });
    const consoleSocket = inv.flags["console-socket"] as string | undefined;
    if (!detach) becomeSubreaper();
    const console = detach ? undefined : foregroundConsole(!consoleSocket);
    const pid = execInContainer(ctx, {
      id, args: inv.positionals.slice(1), processFile: inv.flags.process as string | undefined,
      tty: inv.flags.tty === true, consoleSocket, consoleFd: console?.theirs, cwd: inv.flags.cwd as string | undefined,
      env: collect(t, ["env", "e"]), user: inv.flags.user as string | undefined, additionalGids: gids,
      caps: collect(t, ["cap", "c"]), noNewPrivs, detach, pidFile: inv.flags["pid-file"] as string | undefined,
      preserveFds: inv.flags["preserve-fds"] ? Number(inv.flags["preserve-fds"]) : 0,
      ignorePaused: inv.flags["ignore-paused"] === true, processLabel: inv.flags["process-label"] as string | undefined,
      apparmor: inv.flags.apparmor as string | undefined, beforeExecve: console?.attach, cgroups: collect(t, ["cgroup"]),
    });
    if (detach) return 0;
    return console!.wait(pid);
  },
} satisfies Command;
