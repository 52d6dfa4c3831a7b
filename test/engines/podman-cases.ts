// What a podman user runs and checks, through conmon and the runtime under test. Each case
// asserts what the user would see (output, exit code, status, cgroup files on the host).
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { type Environment, expect, must, type Result, type Runner, sleep, waitFor } from "./harness.ts";

export const PODMAN_CASES = [
  "run: output", "run: exit code", "run: stdin pipe (-i)", "run: -t gives a terminal",
  "run -d + ps + logs", "exec: output", "exec: exit code", "exec -t", "exec --user", "exec --env", "exec --workdir",
  "top", "kill -s USR1", "stop: TERM", "stop: KILL after the timeout", "pause + unpause", "restart", "rm -f",
  "--memory (host cgroup)", "--pids-limit (host cgroup)", "--cpus + --cpu-shares (host cgroup)", "update",
  "--cap-drop + --cap-add", "--read-only", "--user", "--tmpfs", "-v ro", "-v rw", "--hostname",
  "run: stdout and stderr apart", "kill -s KILL: exit code 137", "run: missing command (127 + message)",
  "run: not executable (126 + message)", "exec -d", "no runtime process stays behind", "--ulimit", "--sysctl",
  "--device", "--privileged", "run --rm leaves no runtime state",
];

export function podmanCases(t: Runner, env: Environment) {
  const podman = (args: string[], opts: { input?: string; timeout?: number } = {}) => env.podman(args, opts);
  const runArgs = env.podmanRunArgs();
  const image = env.podmanImage;
  /** `podman run --rm … IMAGE cmd…` */
  const runOnce = (flags: string[], cmd: string[], opts: { input?: string } = {}): Result =>
    podman([...runArgs, "--rm", ...flags, image, ...cmd], opts);
  const inspect = (name: string, format: string) => podman(["inspect", "--format", format, name]).stdout.trim();
  /** a detached container, running `script` in sh; returns its name */
  let serial = 0;
  const detached = (script: string, flags: string[] = []): string => {
    const name = `c${++serial}`;
    must(podman([...runArgs, "-d", "--name", name, ...flags, image, "sh", "-c", script]), `podman run -d ${flags.join(" ")}`);
    expect(waitFor(() => inspect(name, "{{.State.Status}}") === "running", 10_000), `${name} is not running: ${inspect(name, "{{.State.Status}}")}`);
    return name;
  };
  const remove = (name: string) => podman(["rm", "--force", "--time", "0", name]);
  const pidOf = (name: string) => Number(inspect(name, "{{.State.Pid}}"));
  const forever = "while :; do sleep 0.1; done";

  t.case("run: output", () => {
    const out = must(runOnce([], ["echo", "hello from podman"]), "podman run");
    expect(out === "hello from podman\n", `stdout ${JSON.stringify(out)}`);
  });
  t.case("run: exit code", () => {
    const r = runOnce([], ["sh", "-c", "exit 42"]);
    expect(r.code === 42, `podman run exited ${r.code}, want 42: ${r.stderr.trim()}`);
  });
  t.case("run: stdin pipe (-i)", () => {
    const out = must(runOnce(["-i"], ["sh", "-c", "tr a-z A-Z"], { input: "piped in\n" }), "podman run -i");
    expect(out === "PIPED IN\n", `stdout ${JSON.stringify(out)}`);
  });
  t.case("run: -t gives a terminal", () => {
    const out = must(runOnce(["-t"], ["sh", "-c", "tty; test -t 0 && test -t 1 && echo ok"]), "podman run -t");
    expect(/^\/dev\/pts\/\d+\r\nok\r\n$/.test(out), `stdout ${JSON.stringify(out)}`);
  });

  let web = "";
  t.case("run -d + ps + logs", () => {
    web = detached(`echo started; ${forever}`);
    const ps = must(podman(["ps", "--format", "{{.Names}} {{.Status}}"]), "podman ps");
    expect(new RegExp(`^${web} Up`, "m").test(ps), `podman ps: ${JSON.stringify(ps)}`);
    expect(waitFor(() => podman(["logs", web]).stdout === "started\n", 5_000), `podman logs: ${JSON.stringify(podman(["logs", web]).stdout)}`);
  });
  const needWeb = () => expect(web !== "" && inspect(web, "{{.State.Status}}") === "running", "the run -d container is not running");
  t.case("exec: output", () => {
    needWeb();
    const out = must(podman(["exec", web, "sh", "-c", "echo exec says hi; echo $$ >/dev/null"]), "podman exec");
    expect(out === "exec says hi\n", `stdout ${JSON.stringify(out)}`);
  });
  t.case("exec: exit code", () => {
    needWeb();
    const r = podman(["exec", web, "sh", "-c", "exit 7"]);
    expect(r.code === 7, `podman exec exited ${r.code}, want 7: ${r.stderr.trim()}`);
  });
  t.case("exec -t", () => {
    needWeb();
    const out = must(podman(["exec", "-t", web, "tty"]), "podman exec -t");
    expect(/^\/dev\/pts\/\d+\r\n$/.test(out), `stdout ${JSON.stringify(out)}`);
  });
  t.case("exec --user", () => {
    needWeb();
    const out = must(podman(["exec", "--user", "1000:1000", web, "id"]), "podman exec --user");
    expect(out.startsWith("uid=1000(user) gid=1000(user)"), `id: ${JSON.stringify(out)}`);
  });
  t.case("exec --env", () => {
    needWeb();
    const out = must(podman(["exec", "--env", "GREETING=bonjour", web, "sh", "-c", "echo $GREETING"]), "podman exec --env");
    expect(out === "bonjour\n", `stdout ${JSON.stringify(out)}`);
  });
  t.case("exec --workdir", () => {
    needWeb();
    const out = must(podman(["exec", "--workdir", "/home/user", web, "pwd"]), "podman exec --workdir");
    expect(out === "/home/user\n", `stdout ${JSON.stringify(out)}`);
  });
  t.case("top", () => {
    needWeb();
    const out = must(podman(["top", web, "pid", "args"]), "podman top");
    expect(/^\s*1\s+sh -c echo started/m.test(out), `podman top: ${JSON.stringify(out)}`);
  });
  t.case("kill -s USR1", () => {
    const name = detached(`trap 'echo got USR1' USR1; echo trapping; ${forever}`);
    expect(waitFor(() => podman(["logs", name]).stdout.includes("trapping"), 5_000), "the trap was never set");
    must(podman(["kill", "--signal", "USR1", name]), "podman kill -s USR1");
    expect(waitFor(() => podman(["logs", name]).stdout.includes("got USR1"), 5_000), `logs: ${JSON.stringify(podman(["logs", name]).stdout)}`);
    expect(inspect(name, "{{.State.Status}}") === "running", "the container stopped on USR1");
    remove(name);
  });
  t.case("stop: TERM", () => {
    const name = detached(`trap 'exit 3' TERM; ${forever}`);
    const started = Date.now();
    must(podman(["stop", "--time", "10", name]), "podman stop");
    const took = Date.now() - started;
    expect(inspect(name, "{{.State.Status}}") === "exited", `status ${inspect(name, "{{.State.Status}}")}`);
    const code = inspect(name, "{{.State.ExitCode}}");
    expect(code === "3", `exit code ${code}, want 3 (the TERM trap's)`);
    expect(took < 8_000, `stop took ${took} ms: TERM was not delivered`);
    remove(name);
  });
  t.case("stop: KILL after the timeout", () => {
    // pid 1 without a handler ignores TERM: stop must fall back to KILL after --time
    const name = detached("exec sleep 1000");
    const started = Date.now();
    must(podman(["stop", "--time", "1", name], { timeout: 30_000 }), "podman stop");
    const took = Date.now() - started;
    const code = inspect(name, "{{.State.ExitCode}}");
    expect(code === "137", `exit code ${code}, want 137 (KILL)`);
    expect(took >= 1_000, `stop returned after ${took} ms, before the timeout`);
    remove(name);
  });
  t.case("pause + unpause", () => {
    const out = env.path("pause-counter");
    mkdirSync(out, { recursive: true });
    const name = detached("i=0; while :; do i=$((i+1)); echo $i >/out/count; sleep 0.05; done", ["-v", `${out}:/out`]);
    const read = () => existsSync(`${out}/count`) ? readFileSync(`${out}/count`, "utf8") : "";
    expect(waitFor(() => read() !== "", 3_000), "the counter never started");
    must(podman(["pause", name]), "podman pause");
    expect(inspect(name, "{{.State.Status}}") === "paused", `status ${inspect(name, "{{.State.Status}}")}`);
    const frozen = read();
    sleep(400);
    expect(read() === frozen, "the counter moved while paused");
    must(podman(["unpause", name]), "podman unpause");
    expect(inspect(name, "{{.State.Status}}") === "running", `status ${inspect(name, "{{.State.Status}}")}`);
    expect(waitFor(() => read() !== frozen, 3_000), "the counter did not move after unpause");
    remove(name);
  });
  t.case("restart", () => {
    const name = detached(`echo boot; ${forever}`);
    const before = pidOf(name);
    must(podman(["restart", "--time", "0", name]), "podman restart");
    expect(inspect(name, "{{.State.Status}}") === "running", `status ${inspect(name, "{{.State.Status}}")}`);
    const after = pidOf(name);
    expect(after > 0 && after !== before, `pid ${before} → ${after}`);
    expect(waitFor(() => podman(["logs", name]).stdout === "boot\nboot\n", 5_000), `logs ${JSON.stringify(podman(["logs", name]).stdout)}`);
    remove(name);
  });
  t.case("rm -f", () => {
    const name = detached(`trap 'exit 0' TERM; ${forever}`);
    const id = inspect(name, "{{.Id}}");
    const pid = pidOf(name);
    must(podman(["rm", "--force", name]), "podman rm -f");
    expect(!podman(["ps", "-a", "--format", "{{.Names}}"]).stdout.split("\n").includes(name), "still listed by podman ps -a");
    expect(waitFor(() => !existsSync(`/proc/${pid}`), 5_000), `process ${pid} still alive`);
    expect(!existsSync(`${env.runtimeRoot}/${id}`), `the runtime still has state for ${id}`);
  });

  t.case("--memory (host cgroup)", () => {
    const name = detached(forever, ["--memory", "64m"]);
    const limit = env.readCgroup(pidOf(name), "memory", "memory.limit_in_bytes", "memory.max");
    expect(limit === String(64 * 1024 * 1024), `memory limit ${limit}`);
    remove(name);
  });
  t.case("--pids-limit (host cgroup)", () => {
    const name = detached(forever, ["--pids-limit", "42"]);
    const limit = env.readCgroup(pidOf(name), "pids", "pids.max", "pids.max");
    expect(limit === "42", `pids.max ${limit}`);
    remove(name);
  });
  t.case("--cpus + --cpu-shares (host cgroup)", () => {
    const name = detached(forever, ["--cpus", "0.5", "--cpu-shares", "512"]);
    const pid = pidOf(name);
    const dir = env.cgroupDirOf(pid, "cpu");
    if (existsSync(`${dir}/cpu.cfs_quota_us`)) {
      const quota = readFileSync(`${dir}/cpu.cfs_quota_us`, "utf8").trim();
      const period = readFileSync(`${dir}/cpu.cfs_period_us`, "utf8").trim();
      const shares = readFileSync(`${dir}/cpu.shares`, "utf8").trim();
      expect(quota === "50000" && period === "100000", `cfs quota/period ${quota}/${period}`);
      expect(shares === "512", `cpu.shares ${shares}`);
    } else {
      const max = readFileSync(`${dir}/cpu.max`, "utf8").trim();
      const weight = readFileSync(`${dir}/cpu.weight`, "utf8").trim();
      expect(max === "50000 100000", `cpu.max ${max}`);
      expect(weight === "20", `cpu.weight ${weight} (512 shares)`);
    }
    remove(name);
  });
  t.case("update", () => {
    const name = detached(forever, ["--memory", "64m", "--pids-limit", "42"]);
    // podman 4.3 sends the whole LinuxResources (`update --resources=FILE`): the pids limit must stay
    must(podman(["update", "--memory", "96m", "--cpus", "0.25", "--cpu-shares", "256", name]), "podman update");
    const pid = pidOf(name);
    const memory = env.readCgroup(pid, "memory", "memory.limit_in_bytes", "memory.max");
    const pids = env.readCgroup(pid, "pids", "pids.max", "pids.max");
    const shares = env.readCgroup(pid, "cpu", "cpu.shares", "cpu.weight");
    const quota = env.readCgroup(pid, "cpu", "cpu.cfs_quota_us", "cpu.max");
    expect(memory === String(96 * 1024 * 1024), `memory limit ${memory} after update`);
    expect(quota === "25000" || quota === "25000 100000", `cpu quota ${quota} after update`);
    expect(shares === "256" || shares === "10", `cpu shares/weight ${shares} after update`);
    expect(pids === "42", `pids.max ${pids} after update (was 42)`);
    remove(name);
  });

  t.case("--cap-drop + --cap-add", () => {
    const out = must(runOnce(["--cap-drop", "all", "--cap-add", "NET_ADMIN", "--cap-add", "KILL"], ["grep", "CapEff", "/proc/self/status"]), "podman run --cap-drop --cap-add");
    expect(/CapEff:\s+0000000000001020\n/.test(out), `CapEff ${JSON.stringify(out)} (want NET_ADMIN|KILL = 0x1020)`);
    const chown = runOnce(["--cap-drop", "CHOWN"], ["chown", "1000", "/tmp"]);
    expect(chown.code !== 0 && /Operation not permitted/.test(chown.stderr + chown.stdout), `chown without CAP_CHOWN: exit ${chown.code} ${chown.stderr.trim()}`);
  });
  t.case("--read-only", () => {
    const r = runOnce(["--read-only"], ["sh", "-c", "touch /etc/new 2>&1; echo rc=$?; touch /tmp/ok && echo tmp-writable"]);
    expect(/Read-only file system/.test(r.stdout) && /rc=1/.test(r.stdout), `touch /etc/new: ${JSON.stringify(r.stdout)}`);
    expect(r.stdout.includes("tmp-writable"), `/tmp should stay writable: ${JSON.stringify(r.stdout)}`);
  });
  t.case("--user", () => {
    const out = must(runOnce(["--user", "1000:1000"], ["id"]), "podman run --user");
    expect(out.startsWith("uid=1000(user) gid=1000(user)"), `id: ${JSON.stringify(out)}`);
  });
  t.case("--tmpfs", () => {
    const out = must(runOnce(["--tmpfs", "/scratch:size=1m,mode=1777"], ["sh", "-c", "grep ' /scratch ' /proc/mounts; echo x >/scratch/f && cat /scratch/f"]), "podman run --tmpfs");
    expect(/^tmpfs \/scratch tmpfs rw,.*size=1024k/m.test(out), `mount: ${JSON.stringify(out)}`);
    expect(out.endsWith("x\n"), `write to /scratch: ${JSON.stringify(out)}`);
  });
  const volume = env.path("volume");
  mkdirSync(volume, { recursive: true });
  writeFileSync(`${volume}/from-host`, "host data\n");
  t.case("-v ro", () => {
    const r = runOnce(["-v", `${volume}:/data:ro`], ["sh", "-c", "cat /data/from-host; touch /data/nope 2>&1; echo rc=$?"]);
    expect(r.stdout.startsWith("host data\n"), `read: ${JSON.stringify(r.stdout)}`);
    expect(/Read-only file system/.test(r.stdout) && /rc=1/.test(r.stdout), `write to a ro volume: ${JSON.stringify(r.stdout)}`);
    expect(!existsSync(`${volume}/nope`), "a file appeared in the ro volume");
  });
  t.case("-v rw", () => {
    must(runOnce(["-v", `${volume}:/data`], ["sh", "-c", "echo from container >/data/from-container"]), "podman run -v rw");
    const got = existsSync(`${volume}/from-container`) ? readFileSync(`${volume}/from-container`, "utf8") : "(missing)";
    expect(got === "from container\n", `host sees ${JSON.stringify(got)}`);
  });
  t.case("--hostname", () => {
    const out = must(runOnce(["--hostname", "engine-box"], ["sh", "-c", "hostname; cat /etc/hostname; echo"]), "podman run --hostname");
    expect(out === "engine-box\nengine-box\n", `stdout ${JSON.stringify(out)}`);
  });

  t.case("run: stdout and stderr apart", () => {
    const r = runOnce([], ["sh", "-c", "echo to-out; echo to-err >&2"]);
    expect(r.code === 0 && r.stdout === "to-out\n", `stdout ${JSON.stringify(r.stdout)}`);
    expect(r.stderr.includes("to-err"), `stderr ${JSON.stringify(r.stderr)}`);
  });
  t.case("kill -s KILL: exit code 137", () => {
    const name = detached(forever);
    must(podman(["kill", "--signal", "KILL", name]), "podman kill -s KILL");
    const waited = must(podman(["wait", name]), "podman wait").trim();
    expect(waited === "137", `podman wait says ${waited}, want 137`);
    remove(name);
  });
  // podman turns the runtime's error message into the exit code (127 not found, 126 not
  // executable): the message read from the runtime's JSON log must say what happened
  t.case("run: missing command (127 + message)", () => {
    const r = runOnce([], ["/no/such/command"]);
    expect(r.code === 127, `podman run exited ${r.code}, want 127: ${r.stderr.trim()}`);
    expect(r.stderr.includes("/no/such/command"), `the error does not name the command: ${r.stderr.trim()}`);
  });
  t.case("run: not executable (126 + message)", () => {
    const r = runOnce([], ["/etc/passwd"]);
    expect(r.code === 126, `podman run exited ${r.code}, want 126: ${r.stderr.trim()}`);
    expect(/permission denied/i.test(r.stderr), `the error does not say permission denied: ${r.stderr.trim()}`);
  });
  t.case("exec -d", () => {
    needWeb();
    must(podman(["exec", "-d", web, "sh", "-c", "sleep 0.2; echo detached >/tmp/exec-d"]), "podman exec -d");
    expect(waitFor(() => podman(["exec", web, "cat", "/tmp/exec-d"]).stdout === "detached\n", 5_000), "the detached exec never wrote its file");
  });
  t.case("no runtime process stays behind", () => {
    // conmon is the monitor: after create/start/exec --detach nothing of the runtime may linger
    needWeb();
    must(podman(["exec", "-d", web, "sleep", "5"]), "podman exec -d");
    const lingering = runtimeProcesses(env.runtime, env.dir);
    expect(lingering.length === 0, `runtime processes still running: ${lingering.join("; ")}`);
  });
  t.case("--ulimit", () => {
    const out = must(runOnce(["--ulimit", "nofile=512:1024", "--ulimit", "nproc=300:400"], ["sh", "-c", "ulimit -n; ulimit -Hn; ulimit -u"]), "podman run --ulimit");
    expect(out === "512\n1024\n300\n", `ulimits ${JSON.stringify(out)}`);
  });
  t.case("--sysctl", () => {
    const out = must(runOnce(["--sysctl", "kernel.msgmax=12345"], ["cat", "/proc/sys/kernel/msgmax"]), "podman run --sysctl");
    expect(out === "12345\n", `kernel.msgmax ${JSON.stringify(out)}`);
  });
  t.case("--device", () => {
    const out = must(runOnce(["--device", "/dev/zero:/dev/myzero"], ["sh", "-c", "head -c 4 /dev/myzero | od -An -tx1; head -c1 /dev/null && echo null-ok"]), "podman run --device");
    expect(/^\s*00 00 00 00\nnull-ok\n$/.test(out), `stdout ${JSON.stringify(out)}`);
  });
  t.case("--privileged", () => {
    const out = must(runOnce(["--privileged"], ["sh", "-c", "grep CapEff /proc/self/status; ls /dev | wc -l; mount -o remount,rw /sys && echo sys-rw"]), "podman run --privileged");
    // every capability this host lets us have (here CAP_SYS_RESOURCE is missing from our bounding set)
    const ours = readFileSync("/proc/self/status", "utf8").match(/CapBnd:\s+(\w+)/)![1];
    expect(new RegExp(`CapEff:\\s+${ours}\n`).test(out), `CapEff ${JSON.stringify(out)}, want ours: ${ours}`);
    const devices = Number(out.split("\n")[1]);
    expect(devices > 20, `only ${devices} entries in /dev`);
    expect(out.includes("sys-rw"), `cannot remount /sys rw: ${JSON.stringify(out)}`);
  });
  t.case("run --rm leaves no runtime state", () => {
    if (web) remove(web);
    web = "";
    for (const name of podman(["ps", "-a", "--format", "{{.Names}}"]).stdout.split("\n").filter(Boolean)) remove(name);
    must(runOnce([], ["true"]), "podman run --rm");
    const left = existsSync(env.runtimeRoot) ? readdirSync(env.runtimeRoot) : [];
    expect(left.length === 0, `left in the runtime's --root: ${left.join(" ")}`);
  });
  t.after(() => { if (web) remove(web); });
}

/** Processes still executing the runtime binary itself (a monitor it left behind). */
export function runtimeProcesses(runtime: string, dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ");
      const isRuntime = readlinkSync(`/proc/${entry}/exe`).startsWith(runtime) || cmdline.startsWith(`${runtime} `);
      if (isRuntime && cmdline.includes(dir)) out.push(`${entry}: ${cmdline}`);
    } catch { /* gone or kernel thread */ }
  }
  return out;
}
