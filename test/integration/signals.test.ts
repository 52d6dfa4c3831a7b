// Signals and inherited fds with real containers: foreground run/exec forward TERM, INT, HUP,
// QUIT, USR1, USR2 and WINCH to the container's process and return its own exit code; `kill`
// takes names, SIG-names (any case) and numbers; --preserve-fds and systemd socket activation
// (LISTEN_FDS/LISTEN_PID) hand fds 3… to the container.
import { describe, expect, test, setDefaultTimeout } from "bun:test";
import { closeSync, existsSync, openSync, readFileSync, readlinkSync } from "node:fs";
import type { Spec } from "../../src/spec/types.ts";
import { listenUnix } from "../../src/sys/io.ts";
import { BIN, leftovers, md, uniqueId } from "./lib.ts";
import { testScope } from "./scope.ts";

// real containers, several runtime calls per test (bunfig's [test] timeout is not applied)
setDefaultTimeout(30_000);

const { root, scratch, bundle: scopedBundle, track } = testScope("signals");
const bundle = (args: string[], edit: (s: Spec) => void = () => {}) => scopedBundle(edit, args);
/** The container shell's own open fds among 0-9, without opening any itself. */
const FDS_OF_SHELL = "for f in 0 1 2 3 4 5 6 7 8 9; do [ -e /proc/$$/fd/$f ] && printf '%s ' $f; done; true";
const state = (id: string) => JSON.parse(md(root, ["state", id]).stdout);

const FORWARDED = ["INT", "HUP", "QUIT", "USR1", "USR2", "WINCH"] as const;
/** A shell that reports each forwarded signal, exits 42 on TERM; prints "ready" once trapped. */
const trapper = (to = "") => [
  ...FORWARDED.map((s) => `trap 'echo got ${s}${to}' ${s}`),
  `trap 'echo got TERM${to}; exit 42' TERM`,
  `echo ready${to}`,
  "while :; do sleep 0.1; done",
].join("; ");
const TRAPPER = trapper();

/** Spawn the runtime in the foreground; `until(text)` waits for output, `finish()` for the exit. */
function foreground(args: string[]) {
  const p = Bun.spawn([BIN, "--root", root, ...args], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  let out = "";
  const reader = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of p.stdout) out += decoder.decode(chunk);
  })();
  const killer = setTimeout(() => p.kill(9), 30_000);
  return {
    pid: p.pid,
    async until(text: string) {
      for (let i = 0; i < 500 && !out.includes(text); i++) await Bun.sleep(20);
      expect(out).toContain(text);
    },
    async finish() {
      const code = await p.exited;
      await reader;
      clearTimeout(killer);
      return { code, out, err: await new Response(p.stderr).text() };
    },
  };
}

describe("foreground run and exec forward signals", () => {
  test("run: TERM to the runtime reaches the container, which prints and exits 42", async () => {
    const id = uniqueId("fg-term");
    const run = foreground(["run", "-b", bundle(["sh", "-c", TRAPPER]), id]);
    await run.until("ready");
    process.kill(run.pid, "SIGTERM");
    const { code, out, err } = await run.finish();
    expect(err).toBe("");
    expect(out).toBe("ready\ngot TERM\n");
    expect(code).toBe(42);
    expect(md(root, ["state", id]).code).toBe(1); // a foreground run removes its container
  });

  test(`run: ${FORWARDED.join(", ")} are each forwarded, then TERM`, async () => {
    const run = foreground(["run", "-b", bundle(["sh", "-c", TRAPPER]), uniqueId("fg-all")]);
    await run.until("ready");
    for (const sig of FORWARDED) {
      process.kill(run.pid, `SIG${sig}`);
      await run.until(`got ${sig}`);
    }
    process.kill(run.pid, "SIGTERM");
    const { code, out } = await run.finish();
    expect(out).toBe(`ready\n${FORWARDED.map((s) => `got ${s}\n`).join("")}got TERM\n`);
    expect(code).toBe(42);
  });

  test("exec: TERM to the runtime reaches the exec'd process; the container keeps running", async () => {
    const id = uniqueId("fg-exec");
    expect(md(root, ["run", "-d", "-b", bundle(["sh", "-c", "while :; do sleep 1; done"]), id]).code).toBe(0);
    track(id);
    const exec = foreground(["exec", id, "sh", "-c", TRAPPER]);
    await exec.until("ready");
    process.kill(exec.pid, "SIGUSR1");
    await exec.until("got USR1");
    process.kill(exec.pid, "SIGTERM");
    const { code, out } = await exec.finish();
    expect(out).toBe("ready\ngot USR1\ngot TERM\n");
    expect(code).toBe(42);
    expect(state(id).status).toBe("running");
  });

  test("a container killed by a signal: 128+n", async () => {
    const id = uniqueId("fg-killed");
    const run = foreground(["run", "-b", bundle(["sh", "-c", "echo ready; while :; do sleep 0.1; done"]), id]);
    await run.until("ready");
    expect(md(root, ["kill", id, "KILL"]).code).toBe(0);
    expect((await run.finish()).code).toBe(137);
  });
});

const withUserns = (s: Spec) => {
  s.linux!.namespaces!.push({ type: "user" });
  s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
};

describe("the container's process starts with default signal handling", () => {
  // Bun blocks and ignores some signals and the caller may ignore more (nohup, trap ''): execve
  // keeps the mask and ignored dispositions, so the helper and init reset both.
  const SIG_LINES = /^(SigBlk|SigIgn|SigCgt):\s*(\S+)$/gm;
  const sigState = (status: string) => [...status.matchAll(SIG_LINES)].map(([, k, v]) => `${k} ${v}`);
  const ZERO = ["SigBlk 0000000000000000", "SigIgn 0000000000000000", "SigCgt 0000000000000000"];
  /** The runtime started by a shell that ignores HUP, INT, USR1 and SIGRTMIN+4 (inherited through its execve). */
  const underIgnoringShell = (args: string[]) => {
    const q = (a: string) => `'${a.replaceAll("'", "'\\''")}'`;
    const p = Bun.spawnSync(["sh", "-c", `trap '' HUP INT USR1 38; exec ${[BIN, "--root", root, ...args].map(q).join(" ")}`]);
    return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
  };
  for (const [what, edit] of [
    ["new namespaces", () => {}],
    ["a user namespace", withUserns],
  ] as const) {
    test(`run (${what}): nothing blocked, ignored or caught in /proc/1/status`, () => {
      const r = underIgnoringShell(["run", "-b", bundle(["cat", "/proc/1/status"], edit), uniqueId("sigs")]);
      expect(r.err).toBe("");
      expect(sigState(r.out)).toEqual(ZERO);
    });
  }
  // Bun's handlers must never run in the helper's child: every signal stays blocked from before
  // the clone until the child has reset every handler (the order is only visible in a trace).
  for (const [what, edit] of [["one clone", () => {}], ["clone, then fork into the user namespace", withUserns]] as const) {
    test(`run (${what}): the helper's child resets every handler before it unblocks a signal (strace)`, () => {
      const trace = `${scratch}/strace-${uniqueId("t")}`;
      const p = Bun.spawnSync(["strace", "-f", "-qq", "-o", trace, "-e", "trace=rt_sigprocmask,rt_sigaction,clone,clone3,execveat,execve",
        BIN, "--root", root, "run", "-b", bundle(["true"], edit), uniqueId("sigtrace")]);
      expect(p.stderr.toString()).toBe("");
      const lines = readFileSync(trace, "utf8").split("\n").filter(Boolean).map((l) => {
        const [, pid, call] = /^(\d+)\s+(.*)$/.exec(l)!;
        return { pid, call };
      });
      const cli = lines[0]!.pid;
      // The CLI: the helper's (non-thread) clone comes right after blocking everything.
      const cliCalls = lines.filter((l) => l.pid === cli).map((l) => l.call);
      const helperClone = cliCalls.findIndex((c) => c.startsWith("clone3(") && c.includes("exit_signal=SIGCHLD"));
      expect(helperClone).toBeGreaterThan(0);
      expect(cliCalls[helperClone - 1]).toStartWith("rt_sigprocmask(SIG_SETMASK, ~[]");
      // Each process the helper made, up to its execve: no handler is set after the mask is cleared.
      // the helper's children: processes whose first execve is our own init stage
      const untilExec = (pid: string) => {
        const calls = lines.filter((l) => l.pid === pid).map((l) => l.call);
        const exec = calls.findIndex((c) => c.startsWith("execve"));
        return exec < 0 ? { calls, exec: "" } : { calls: calls.slice(0, exec), exec: calls[exec]! };
      };
      const pids = [...new Set(lines.map((l) => l.pid))].filter((pid) => pid !== cli);
      const resetters = pids.filter((pid) => untilExec(pid).exec.includes('"init"'));
      const beforeExec = (pid: string) => untilExec(pid).calls;
      expect(resetters.length).toBe(1);
      for (const pid of resetters) {
        const upToExec = beforeExec(pid);
        const unblocked = upToExec.findIndex((c) => c.startsWith("rt_sigprocmask(SIG_SETMASK, []"));
        const lastReset = upToExec.findLastIndex((c) => c.startsWith("rt_sigaction("));
        expect(unblocked).toBeGreaterThan(lastReset);
        expect(upToExec.filter((c) => c.includes("sa_handler=SIG_DFL")).length).toBe(62); // 1-64 but KILL, STOP
      }
    });
  }
  test("exec: nothing blocked, ignored or caught in the exec'd process", () => {
    const id = track(uniqueId("sigs-exec"));
    expect(md(root, ["run", "-d", "-b", bundle(["sleep", "100"]), id]).code).toBe(0);
    const r = underIgnoringShell(["exec", id, "cat", "/proc/self/status"]);
    expect(r.err).toBe("");
    expect(sigState(r.out)).toEqual(ZERO);
  });
});

describe("kill", () => {
  test("names, SIG-names in any case and numbers; then not running", async () => {
    const b = bundle(["sh", "-c", trapper(" >> /log")], (s) => { s.root!.readonly = false; });
    const id = uniqueId("kill");
    expect(md(root, ["run", "-d", "-b", b, id]).code).toBe(0);
    track(id);
    const log = () => (existsSync(`${b}/rootfs/log`) ? readFileSync(`${b}/rootfs/log`, "utf8") : "");
    const sent: Array<[string, string]> = [["USR1", "USR1"], ["SIGUSR2", "USR2"], ["1", "HUP"], ["sighup", "HUP"], ["Int", "INT"], ["10", "USR1"]];
    // run -d returns once the process runs, maybe before its traps are set (unhandled, PID 1 ignores them)
    let expected = "ready\n";
    for (let i = 0; i < 250 && log() !== expected; i++) await Bun.sleep(20);
    expect(log()).toBe(expected);
    for (const [arg, name] of sent) {
      const r = md(root, ["kill", id, arg]);
      expect(`${arg}: ${r.stderr}`).toBe(`${arg}: `);
      expect(r.code).toBe(0);
      expected += `got ${name}\n`;
      for (let i = 0; i < 100 && log() !== expected; i++) await Bun.sleep(20);
      expect(log()).toBe(expected);
    }
    for (const bad of ["SIGNOPE", "99", "-9"]) {
      const r = md(root, ["kill", id, bad]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(bad);
    }
    expect(md(root, ["kill", id]).code).toBe(0); // TERM by default
    for (let i = 0; i < 100 && state(id).status !== "stopped"; i++) await Bun.sleep(20);
    expect(log()).toEndWith("got TERM\n");
    const after = md(root, ["kill", id, "KILL"]);
    expect(after.code).toBe(1);
    expect(after.stderr).toContain("container not running");
  });
});

describe("fds handed to the container", () => {
  test("--preserve-fds N: fds 3…3+N-1 reach the process, nothing beyond", async () => {
    const files = [`${scratch}/fd3`, `${scratch}/fd4`, `${scratch}/fd5`];
    const fds = files.map((f) => openSync(f, "w"));
    try {
      const b = bundle(["sh", "-c", `echo three >&3; echo four >&4; ${FDS_OF_SHELL}`]);
      const p = Bun.spawn([BIN, "--root", root, "run", "--preserve-fds", "2", "-b", b, uniqueId("preserve")], {
        stdio: ["ignore", "pipe", "pipe", fds[0]!, fds[1]!, fds[2]!],
      });
      const [code, out] = await Promise.all([p.exited, new Response(p.stdout).text()]);
      expect(code).toBe(0);
      expect(out).toBe("0 1 2 3 4 ");
      expect(readFileSync(files[0]!, "utf8")).toBe("three\n");
      expect(readFileSync(files[1]!, "utf8")).toBe("four\n");
      expect(readFileSync(files[2]!, "utf8")).toBe("");
    } finally {
      for (const fd of fds) closeSync(fd);
    }
  });

  test("--preserve-fds beyond the open fds: error naming the fd, nothing left", () => {
    const id = uniqueId("preserve-missing");
    const r = md(root, ["run", "--preserve-fds", "2", "-b", bundle(["true"]), id]); // md passes only 0-2
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("--preserve-fds 2: fd 3 is not open");
    expect(leftovers(root, id)).toEqual([]);
  });

  test("without --preserve-fds the caller's fd 3 does not leak in", async () => {
    const fd = openSync(`${scratch}/leak`, "w");
    try {
      const b = bundle(["sh", "-c", FDS_OF_SHELL]);
      const p = Bun.spawn([BIN, "--root", root, "run", "-b", b, uniqueId("noleak")], { stdio: ["ignore", "pipe", "pipe", fd] });
      const [code, out] = await Promise.all([p.exited, new Response(p.stdout).text()]);
      expect(code).toBe(0);
      expect(out).toBe("0 1 2 ");
    } finally {
      closeSync(fd);
    }
  });

  test("exec --preserve-fds 1", async () => {
    const id = uniqueId("exec-preserve");
    expect(md(root, ["run", "-d", "-b", bundle(["sh", "-c", "while :; do sleep 1; done"]), id]).code).toBe(0);
    track(id);
    const file = `${scratch}/exec-fd3`;
    const fd = openSync(file, "w");
    try {
      const p = Bun.spawn([BIN, "--root", root, "exec", "--preserve-fds", "1", id, "sh", "-c", "echo via-exec >&3"], { stdio: ["ignore", "pipe", "pipe", fd] });
      expect(await p.exited).toBe(0);
      expect(readFileSync(file, "utf8")).toBe("via-exec\n");
    } finally {
      closeSync(fd);
    }
  });

  test("socket activation: a listening socket with LISTEN_FDS=1 and our LISTEN_PID is the container's fd 3", async () => {
    const sock = listenUnix(`${scratch}/activation.sock`);
    try {
      const hostInode = readlinkSync(`/proc/self/fd/${sock}`);
      const b = bundle(["sh", "-c", "echo $LISTEN_FDS $LISTEN_PID; readlink /proc/self/fd/3"]);
      // systemd sets LISTEN_PID to the pid it execs: the runtime's own
      const p = Bun.spawn(["sh", "-c", `LISTEN_PID=$$ LISTEN_FDS=1 exec ${BIN} --root ${root} run -b ${b} ${uniqueId("activation")}`], {
        stdio: ["ignore", "pipe", "pipe", sock],
      });
      const [code, out, err] = await Promise.all([p.exited, new Response(p.stdout).text(), new Response(p.stderr).text()]);
      expect(err).toBe("");
      expect(code).toBe(0);
      expect(out).toBe(`1 1\n${hostInode}\n`);
    } finally {
      closeSync(sock);
    }
  });

  test("LISTEN_FDS meant for another process (LISTEN_PID differs) is ignored", async () => {
    const fd = openSync(`${scratch}/other`, "w");
    try {
      const b = bundle(["sh", "-c", `echo \${LISTEN_FDS:-none}; ${FDS_OF_SHELL}`]);
      const p = Bun.spawn([BIN, "--root", root, "run", "-b", b, uniqueId("other-pid")], {
        stdio: ["ignore", "pipe", "pipe", fd], env: { LISTEN_FDS: "1", LISTEN_PID: "1" },
      });
      const [code, out] = await Promise.all([p.exited, new Response(p.stdout).text()]);
      expect(code).toBe(0);
      expect(out).toBe("none\n0 1 2 ");
    } finally {
      closeSync(fd);
    }
  });
});
