// What a containerd user runs and checks with `ctr`, through containerd-shim-runc-v2 and the
// runtime under test (`--runc-binary`): the path the CRI plugin (and so Kubernetes) takes too.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { runtimeProcesses } from "./podman-cases.ts";
import { type Environment, expect, must, type Result, type Runner, run, sleep, waitFor } from "./harness.ts";

export const CONTAINERD_CASES = [
  "ctr run --rm: output", "ctr run --rm: exit code", "ctr run -t", "ctr run -d + task ls", "task exec: output + exit code",
  "task exec -t", "task ps", "task pause + resume", "task metrics", "task kill", "task delete", "--memory-limit (host cgroup)",
  "ctr run: the runtime's error reaches the user", "no runtime process stays behind (shim)", "nothing left in the runtime's root",
];

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function containerdCases(t: Runner, env: Environment) {
  const ctr = (args: string[], opts: { input?: string; timeout?: number } = {}) => env.ctr(args, opts);
  const image = env.ctrImage;
  /** ctr -t wants a terminal on its own stdin: give it one with script(1) */
  const inTerminal = (argv: string[]): Result =>
    run(["script", "-qec", ["ctr", "--address", env.socket(), "--namespace", env.tag, ...argv].map(shellQuote).join(" "), "/dev/null"], { timeout: 30_000 });
  /** `ctr task ls` as id → [pid, status] */
  const tasks = (): Map<string, [number, string]> => new Map(must(ctr(["task", "ls"]), "ctr task ls").split("\n").slice(1).filter(Boolean)
    .map((l) => l.trim().split(/\s+/)).map(([id, pid, status]) => [id!, [Number(pid), status!]]));
  const status = (id: string) => tasks().get(id)?.[1] ?? "(no task)";
  const forever = "while :; do sleep 0.1; done";
  let serial = 0;
  const detached = (script: string, flags: string[] = []): string => {
    const id = `t${++serial}`;
    must(ctr([...env.ctrRunArgs(), "-d", ...flags, image, id, "sh", "-c", script]), `ctr run -d ${flags.join(" ")}`);
    expect(waitFor(() => status(id) === "RUNNING", 10_000), `${id}: ${status(id)}`);
    return id;
  };
  const remove = (id: string) => {
    ctr(["task", "kill", "--signal", "SIGKILL", id]);
    waitFor(() => status(id) !== "RUNNING", 5_000);
    ctr(["task", "delete", id]);
    ctr(["containers", "delete", id]);
  };

  t.case("ctr run --rm: output", () => {
    const out = must(ctr([...env.ctrRunArgs(), "--rm", image, "r1", "echo", "hello from containerd"]), "ctr run --rm");
    expect(out === "hello from containerd\n", `stdout ${JSON.stringify(out)}`);
    expect(!ctr(["containers", "ls", "-q"]).stdout.includes("r1"), "the container was not removed (--rm)");
  });
  t.case("ctr run --rm: exit code", () => {
    const r = ctr([...env.ctrRunArgs(), "--rm", image, "r2", "sh", "-c", "exit 42"]);
    expect(r.code === 42, `ctr run exited ${r.code}, want 42: ${r.stderr.trim()}`);
  });
  t.case("ctr run -t", () => {
    const r = inTerminal([...env.ctrRunArgs(), "--rm", "-t", image, "r3", "sh", "-c", "tty; exit 5"]);
    expect(/\/dev\/pts\/\d+\r*\n/.test(r.stdout), `stdout ${JSON.stringify(r.stdout)} ${r.stderr.trim()}`);
    expect(r.code === 5, `exit ${r.code}, want 5`);
  });

  let box = "";
  t.case("ctr run -d + task ls", () => {
    box = detached(`echo started; ${forever}`);
    const [pid] = tasks().get(box)!;
    expect(pid > 0 && existsSync(`/proc/${pid}`), `task pid ${pid} is not a live process`);
    expect(readCmdline(pid).startsWith("sh\0-c\0echo started"), `task pid ${pid} runs ${JSON.stringify(readCmdline(pid))}, not the container's init`);
  });
  const needBox = () => expect(box !== "" && status(box) === "RUNNING", "the run -d task is not running");
  t.case("task exec: output + exit code", () => {
    needBox();
    const out = must(ctr(["task", "exec", "--fifo-dir", env.fifoDir(), "--exec-id", "e1", box, "sh", "-c", "echo exec in pid ns of $(cat /proc/1/comm)"]), "ctr task exec");
    expect(out === "exec in pid ns of sh\n", `stdout ${JSON.stringify(out)}`);
    const r = ctr(["task", "exec", "--fifo-dir", env.fifoDir(), "--exec-id", "e2", box, "sh", "-c", "exit 6"]);
    expect(r.code === 6, `ctr task exec exited ${r.code}, want 6: ${r.stderr.trim()}`);
  });
  t.case("task exec -t", () => {
    needBox();
    // (ctr may then log "resize pty: cannot resize a stopped container" as runc's exec ends first)
    const r = inTerminal(["task", "exec", "--fifo-dir", env.fifoDir(), "-t", "--exec-id", "e3", box, "tty"]);
    expect(/\/dev\/pts\/\d+\r*\n/.test(r.stdout), `stdout ${JSON.stringify(r.stdout)} ${r.stderr.trim()}`);
  });
  t.case("task ps", () => {
    needBox();
    const [pid] = tasks().get(box)!;
    const out = must(ctr(["task", "ps", box]), "ctr task ps");
    const pids = out.split("\n").slice(1).map((l) => Number(l.trim().split(/\s+/)[0])).filter((n) => n > 0);
    expect(pids.includes(pid), `ctr task ps lists ${pids.join(",")}, not the init pid ${pid}`);
  });
  t.case("task pause + resume", () => {
    needBox();
    must(ctr(["task", "pause", box]), "ctr task pause");
    expect(status(box) === "PAUSED", `after pause: ${status(box)}`);
    must(ctr(["task", "resume", box]), "ctr task resume");
    expect(status(box) === "RUNNING", `after resume: ${status(box)}`);
  });
  t.case("task metrics", () => {
    needBox();
    const out = must(ctr(["task", "metrics", box]), "ctr task metrics");
    expect(/memory\.usage_in_bytes\s+[1-9]\d*|memory\.usage\s+[1-9]\d*/.test(out), `no memory usage: ${JSON.stringify(out.slice(0, 300))}`);
    expect(/pids\.current\s+[1-9]/.test(out), `no pids.current: ${JSON.stringify(out.slice(0, 300))}`);
  });
  t.case("task kill", () => {
    const id = detached(`trap 'exit 3' TERM; trap 'echo usr1' USR1; ${forever}`);
    must(ctr(["task", "kill", "--signal", "SIGUSR1", id]), "ctr task kill -s SIGUSR1");
    sleep(300);
    expect(status(id) === "RUNNING", `after USR1: ${status(id)}`);
    must(ctr(["task", "kill", id]), "ctr task kill (TERM)");
    expect(waitFor(() => status(id) === "STOPPED", 5_000), `after TERM: ${status(id)}`);
    const deleted = ctr(["task", "delete", id]);
    expect(/exit code 3|exit status 3/.test(deleted.stdout + deleted.stderr) || deleted.code === 3, `ctr task delete did not report exit code 3: ${JSON.stringify(deleted)}`);
    ctr(["containers", "delete", id]);
  });
  t.case("task delete", () => {
    needBox();
    const [pid] = tasks().get(box)!;
    const refused = ctr(["task", "delete", box]);
    expect(refused.code !== 0, "ctr task delete of a running task succeeded without --force");
    must(ctr(["task", "delete", "--force", box]), "ctr task delete --force");
    expect(!tasks().has(box), "the task is still listed");
    expect(waitFor(() => !existsSync(`/proc/${pid}`), 5_000), `process ${pid} still alive`);
    expect(!existsSync(`${env.runtimeRoot}/${env.tag}/${box}`) && !existsSync(`${env.runtimeRoot}/${box}`), "the runtime still has state for the task");
    must(ctr(["containers", "delete", box]), "ctr containers delete");
    box = "";
  });
  t.case("--memory-limit (host cgroup)", () => {
    const id = detached(forever, ["--memory-limit", String(48 * 1024 * 1024)]);
    const [pid] = tasks().get(id)!;
    const limit = env.readCgroup(pid, "memory", "memory.limit_in_bytes", "memory.max");
    expect(limit === String(48 * 1024 * 1024), `memory limit ${limit}`);
    remove(id);
  });
  t.case("ctr run: the runtime's error reaches the user", () => {
    // the shim reads the last error line of the runtime's --log (JSON) and hands its msg to ctr
    const r = ctr([...env.ctrRunArgs(), "--rm", image, "r4", "/no/such/command"]);
    ctr(["containers", "delete", "r4"]);
    expect(r.code !== 0, "ctr run of a missing command succeeded");
    expect(r.stderr.includes("/no/such/command") && /no such file|not found/i.test(r.stderr), `ctr said: ${r.stderr.trim()}`);
  });
  t.case("no runtime process stays behind (shim)", () => {
    const id = detached(forever);
    must(ctr(["task", "exec", "--fifo-dir", env.fifoDir(), "--exec-id", "bg", id, "sh", "-c", "exec 0<&- 1>&- 2>&-; sleep 5 &"]), "ctr task exec");
    const lingering = runtimeProcesses(env.runtime, env.dir);
    expect(lingering.length === 0, `runtime processes still running: ${lingering.join("; ")}`);
    remove(id);
  });
  t.case("nothing left in the runtime's root", () => {
    if (box) remove(box);
    box = "";
    for (const id of ctr(["containers", "ls", "-q"]).stdout.split("\n").filter(Boolean)) remove(id);
    const ns = `${env.runtimeRoot}/${env.tag}`;
    const left = existsSync(ns) ? readdirSync(ns) : [];
    expect(left.length === 0, `left in ${ns}: ${left.join(" ")}`);
  });
  t.after(() => { if (box) remove(box); });
}

function readCmdline(pid: number): string {
  try { return readFileSync(`/proc/${pid}/cmdline`, "utf8"); } catch { return ""; }
}
