// Terminals with real containers: the pty is allocated inside the container (its own devpts,
// so the first one is /dev/pts/0) and its master sent over --console-socket, received by
// scripts/recvtty.ts (create, run -d, exec -t -d, exec --process with terminal:true); foreground
// run/exec without a socket proxy the pty themselves, driven here by util-linux `script`
// (Debian: bsdutils); errors for a terminal without a socket and a socket without a terminal.
import { describe, expect, test, setDefaultTimeout } from "bun:test";
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import type { Spec } from "../../src/spec/types.ts";
import { BIN, leftovers, md, REPO, uniqueId } from "./lib.ts";
import { testScope } from "./scope.ts";

// real containers, several runtime calls per test (bunfig's [test] timeout is not applied)
setDefaultTimeout(30_000);

const { root, scratch, bundle: scopedBundle, track } = testScope("tty");
const bundle = (edit: (s: Spec) => void, args: string[]) => scopedBundle(edit, args);
const withTerminal = (size?: { height: number; width: number }) => (s: Spec) => {
  s.process!.terminal = true;
  if (size) s.process!.consoleSize = size;
};

let sockets = 0;
/** scripts/recvtty.ts --once --no-stdin on a fresh socket; `output` resolves when the pty closes. */
async function recvtty() {
  const socket = `${scratch}/tty-${++sockets}.sock`;
  const proc = Bun.spawn([process.execPath, `${REPO}/scripts/recvtty.ts`, "--once", "--no-stdin", socket], { stdout: "pipe", stderr: "pipe" });
  for (let i = 0; i < 250 && !existsSync(socket); i++) await Bun.sleep(20);
  if (!existsSync(socket)) throw new Error(`recvtty did not listen: ${await new Response(proc.stderr).text()}`);
  const output = (async () => {
    const timer = setTimeout(() => proc.kill(), 15_000);
    const text = await new Response(proc.stdout).text();
    clearTimeout(timer);
    return { text: text.replaceAll("\r\n", "\n"), code: await proc.exited };
  })();
  return { socket, output };
}

/**
 * `script` gives the runtime a terminal of rows×cols; returns everything the terminal showed.
 * `input` is typed once the output shows `inputAfter` (the process is up and reading).
 */
async function inScript(command: string, input?: string, inputAfter = "") {
  const p = Bun.spawn(["script", "-qec", `stty rows 30 cols 90; ${command}; echo "code=$?"; stty -a`, "/dev/null"], {
    stdin: "pipe", stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", TERM: "xterm" },
  });
  const timer = setTimeout(() => p.kill(), 20_000);
  let out = "";
  const decoder = new TextDecoder();
  for await (const chunk of p.stdout) {
    out += decoder.decode(chunk);
    if (input !== undefined && out.includes(inputAfter)) {
      p.stdin.write(input);
      p.stdin.flush();
      input = undefined;
    }
  }
  clearTimeout(timer);
  p.stdin.end();
  await p.exited;
  return out.replaceAll("\r\n", "\n");
}

const REPORT = "tty; stty size; ls /proc/self/fd | tr '\\n' ' '; echo";

describe("--console-socket: the master goes to recvtty", () => {
  test("create + start with process.terminal: a pty of the container's devpts, of consoleSize", async () => {
    const tty = await recvtty();
    const b = bundle(withTerminal({ height: 33, width: 101 }), ["sh", "-c", `${REPORT}; exit 0`]);
    const id = uniqueId("create-tty");
    const created = md(root, ["create", "--console-socket", tty.socket, "-b", b, id]);
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    track(id);
    expect(md(root, ["start", id]).code).toBe(0);
    const { text, code } = await tty.output;
    expect(code).toBe(0);
    // fds 0-2 on the pty, 3 is ls's own directory: neither the master nor the socket leaked
    expect(text).toBe("/dev/pts/0\n33 101\n0 1 2 3 \n");
  });

  test("run -d with a terminal: returns, output reaches recvtty, input too", async () => {
    const socket = `${scratch}/stdin.sock`;
    const proc = Bun.spawn([process.execPath, `${REPO}/scripts/recvtty.ts`, "--once", socket], { stdin: "pipe", stdout: "pipe" });
    for (let i = 0; i < 250 && !existsSync(socket); i++) await Bun.sleep(20);
    const b = bundle(withTerminal(), ["sh", "-c", "read line; echo got:$line"]);
    const id = uniqueId("run-d-tty");
    const r = md(root, ["run", "-d", "--console-socket", socket, "-b", b, id]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    track(id);
    proc.stdin.write("hello\n");
    proc.stdin.flush();
    const timer = setTimeout(() => proc.kill(), 15_000);
    const text = await new Response(proc.stdout).text();
    clearTimeout(timer);
    expect(text.replaceAll("\r\n", "\n")).toBe("hello\ngot:hello\n"); // the pty echoes the input
  });

  test("exec -t -d --console-socket (podman's argv)", async () => {
    const id = uniqueId("exec-tty");
    const b = bundle(() => {}, ["sh", "-c", "while :; do sleep 1; done"]);
    expect(md(root, ["run", "-d", "-b", b, id]).code).toBe(0);
    track(id);
    const tty = await recvtty();
    const pidFile = `${scratch}/exec-tty.pid`;
    const r = md(root, ["exec", "--pid-file", pidFile, "--detach", "--tty", "--console-socket", tty.socket, id, "sh", "-c", `${REPORT}; exit 0`]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const { text } = await tty.output;
    expect(text).toMatch(/^\/dev\/pts\/\d+\nstty: standard input: .*\n0 1 2 3 \n$|^\/dev\/pts\/\d+\n0 0\n0 1 2 3 \n$/);
  });

  test("exec --process with terminal:true and consoleSize, --console-socket, no --tty (containerd's argv)", async () => {
    const id = uniqueId("exec-proc-tty");
    const b = bundle(() => {}, ["sh", "-c", "while :; do sleep 1; done"]);
    expect(md(root, ["run", "-d", "-b", b, id]).code).toBe(0);
    track(id);
    const tty = await recvtty();
    const file = `${scratch}/process-tty.json`;
    writeFileSync(file, JSON.stringify({ terminal: true, consoleSize: { height: 12, width: 34 }, args: ["sh", "-c", REPORT], cwd: "/", user: { uid: 0, gid: 0 }, env: ["PATH=/bin:/usr/bin"] }));
    const r = md(root, ["exec", "--process", file, "--console-socket", tty.socket, "--detach", "--pid-file", `${scratch}/p.pid`, id]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const { text } = await tty.output;
    expect(text).toMatch(/^\/dev\/pts\/\d+\n12 34\n0 1 2 3 \n$/);
  });
});

describe("the pty as runc sets it up", () => {
  /** `command` under `script`, its output as the terminal got it ("\r" kept); stdin stays open (at EOF script types a NUL) */
  const rawScript = async (command: string) => {
    const p = Bun.spawn(["script", "-qec", command, "/dev/null"], { stdin: "pipe", stdout: "pipe" });
    const timer = setTimeout(() => p.kill(), 20_000);
    const out = await new Response(p.stdout).text();
    clearTimeout(timer);
    p.stdin.end();
    await p.exited;
    return out;
  };
  const report = ["sh", "-c", "stat -c '%u %g %a' $(tty); stty -a 2>/dev/null | grep -o '.onlcr'"];
  const asUser = (s: Spec) => { withTerminal()(s); s.process!.user = { uid: 1000, gid: 1000 }; };

  test("owner: the process's uid, devpts' tty group (gid 5), mode 620; onlcr as the kernel makes it (the socket's receiver decides)", async () => {
    const tty = await recvtty();
    const id = track(uniqueId("pty-owner"));
    expect(md(root, ["create", "--console-socket", tty.socket, "-b", bundle(asUser, report), id]).code).toBe(0);
    expect(md(root, ["start", id]).code).toBe(0);
    const { text } = await tty.output;
    expect(text).toBe("1000 5 620\n onlcr\n");
  });

  test("foreground run: onlcr off in the container, the caller's terminal makes the \\r\\n", async () => {
    const b = bundle(asUser, report);
    // script's own terminal translates "\n" (its onlcr is on): one "\r\n" per line, not "\r\r\n"
    expect(await rawScript(`${BIN} --root ${root} run -b ${b} ${uniqueId("pty-fg")}`)).toBe("1000 5 620\r\n-onlcr\r\n");
  });

  test("foreground exec -t: onlcr is off before the process runs (its first line has one \\r)", async () => {
    const id = track(uniqueId("pty-fg-exec"));
    expect(md(root, ["run", "-d", "-b", bundle(() => {}, ["sleep", "60"]), id]).code).toBe(0);
    expect(await rawScript(`${BIN} --root ${root} exec -t ${id} sh -c 'echo first; stty -a 2>/dev/null | grep -o .onlcr'`)).toBe("first\r\n-onlcr\r\n");
  });
});

describe("foreground with --console-socket: the pty goes to the socket, the runtime waits", () => {
  test("run --console-socket (no -d): exit code returned, container removed", async () => {
    const tty = await recvtty();
    const b = bundle(withTerminal(), ["sh", "-c", "tty; exit 3"]);
    const id = uniqueId("fg-sock");
    const r = md(root, ["run", "--console-socket", tty.socket, "-b", b, id]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(3);
    expect((await tty.output).text).toBe("/dev/pts/0\n");
    expect(leftovers(root, id)).toEqual([]);
  });

  test("exec -t --console-socket (no -d): exit code returned", async () => {
    const id = uniqueId("fg-exec-sock");
    expect(md(root, ["run", "-d", "-b", bundle(() => {}, ["sh", "-c", "while :; do sleep 1; done"]), id]).code).toBe(0);
    track(id);
    const tty = await recvtty();
    const r = md(root, ["exec", "-t", "--console-socket", tty.socket, id, "sh", "-c", "tty; exit 5"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(5);
    expect((await tty.output).text).toMatch(/^\/dev\/pts\/\d+\n$/);
    const notty = md(root, ["exec", "--console-socket", tty.socket, id, "true"]);
    expect(notty.code).toBe(255);
    expect(notty.stderr).toContain("cannot use console socket if minidocker will not detach or allocate tty");
  });
});

describe("foreground run/exec proxy the pty", () => {
  test("run: a tty of the caller's size, input and output, exit code, the caller's terminal restored", async () => {
    const b = bundle(withTerminal(), ["sh", "-c", "tty; stty size; read x; echo got:$x; exit 4"]);
    const id = uniqueId("fg-tty");
    const out = await inScript(`${BIN} --root ${root} run -b ${b} ${id}`, "hello\n", "30 90");
    const lines = out.split("\n");
    expect(lines.slice(0, 5)).toEqual(["/dev/pts/0", "30 90", "hello", "got:hello", "code=4"]);
    // `stty -a` after the run: canonical mode and echo are back
    expect(out).toMatch(/(^|\s)icanon\s/m);
    expect(out).toMatch(/(^|\s)echo\s/m);
    expect(out).toMatch(/(^|\s)opost\s/m);
    expect(leftovers(root, id)).toEqual([]); // foreground run deletes the container
  });

  test("exec -t: a tty of the caller's size, exit code", async () => {
    const id = uniqueId("fg-exec-tty");
    const b = bundle(() => {}, ["sh", "-c", "while :; do sleep 1; done"]);
    expect(md(root, ["run", "-d", "-b", b, id]).code).toBe(0);
    track(id);
    const out = await inScript(`${BIN} --root ${root} exec -t ${id} sh -c 'tty; stty size; exit 6'`);
    expect(out.split("\n").slice(0, 3)).toEqual(["/dev/pts/0", "30 90", "code=6"]);
    expect(out).toMatch(/(^|\s)icanon\s/m);
  });

  test("exec -t: SIGWINCH copies the caller's new size to the pty", async () => {
    const id = uniqueId("fg-winch");
    const b = bundle((s) => { s.root!.readonly = false; }, ["sh", "-c", "while :; do sleep 1; done"]);
    expect(md(root, ["run", "-d", "-b", b, id]).code).toBe(0);
    track(id);
    // in the background (its stdin the terminal again: a background job's is /dev/null, which a
    // foreground terminal refuses); once the process has printed its size, resize the terminal and
    // tell the runtime as the kernel would; then the process prints its size again
    const inside = "stty size; touch /ready; while [ ! -e /go ]; do sleep 0.05; done; stty size";
    const [ready, go] = [`${b}/rootfs/ready`, `${b}/rootfs/go`];
    const out = await inScript(`${BIN} --root ${root} exec -t ${id} sh -c '${inside}' </dev/tty & `
      + `while [ ! -e ${ready} ]; do sleep 0.05; done; stty rows 40 cols 100; kill -WINCH $!; sleep 0.5; touch ${go}; wait $!`);
    expect(out.replaceAll("\r", "").split("\n").slice(0, 3)).toEqual(["30 90", "40 100", "code=0"]);
  });

  test("run without a terminal: stdio is the caller's, no pty", async () => {
    const b = bundle(() => {}, ["sh", "-c", "tty; echo out; echo err >&2; exit 2"]);
    const r = md(root, ["run", "-b", b, uniqueId("fg-notty")]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("not a tty\nout\n");
    expect(r.stderr).toBe("err\n");
  });
});

describe("terminal and console socket mismatches", () => {
  test("--detach with a terminal and no console socket: clear error, nothing left", () => {
    const b = bundle(withTerminal(), ["true"]);
    for (const args of [["run", "-d"], ["create"]]) {
      const id = uniqueId("tty-nosock");
      const r = md(root, [...args, "-b", b, id]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("cannot allocate tty if minidocker will detach without setting console socket");
      expect(leftovers(root, id)).toEqual([]);
    }
  });

  test("foreground run with a terminal but stdin not a terminal (cron, CI, a pipe): refused at once, says how to fix it, nothing left", () => {
    const b = bundle(withTerminal(), ["sh"]); // what `spec` writes: an interactive shell
    for (const stdin of [undefined /* /dev/null */, "echo hi\n" /* a pipe */]) {
      const id = uniqueId("tty-nostdin");
      const started = Date.now();
      const r = md(root, ["run", "-b", b, id], { stdin, timeoutMs: 20_000 });
      expect(Date.now() - started).toBeLessThan(10_000);
      expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 1, stdout: "" });
      const lines = r.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain("process.terminal is true but stdin is not a terminal");
      expect(lines[0]).toContain('\\"terminal\\": false in config.json'); // logrus quotes the message
      expect(lines[0]).toContain("--console-socket");
      expect(leftovers(root, id)).toEqual([]);
    }
  });

  test("exec -t (or a --process with terminal:true) with stdin not a terminal: 255, says how to fix it, nothing started", () => {
    const id = track(uniqueId("exec-tty-nostdin"));
    expect(md(root, ["run", "-d", "-b", bundle(() => {}, ["sleep", "1000"]), id]).code).toBe(0);
    const before = md(root, ["ps", "--format", "json", id]).stdout;
    const r = md(root, ["exec", "-t", id, "sh"], { stdin: "echo hi\n", timeoutMs: 20_000 });
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 255, stdout: "" });
    expect(r.stderr).toContain("exec --tty but stdin is not a terminal: leave out -t");
    const file = `${scratch}/tty-process.json`;
    writeFileSync(file, JSON.stringify({ terminal: true, args: ["sh"], cwd: "/" }));
    const p = md(root, ["exec", "--process", file, id], { timeoutMs: 20_000 });
    expect(p.code).toBe(255);
    expect(p.stderr).toContain('process.json: terminal is true but stdin is not a terminal: set \\"terminal\\": false in process.json');
    expect(md(root, ["ps", "--format", "json", id]).stdout).toBe(before);
  });

  test("a console socket without a terminal: clear error, nothing left", () => {
    const b = bundle(() => {}, ["true"]);
    const id = uniqueId("sock-notty");
    const r = md(root, ["create", "--console-socket", `${scratch}/whatever.sock`, "-b", b, id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("cannot use console socket");
    expect(leftovers(root, id)).toEqual([]);
  });

  test("an unreachable console socket: error naming it, nothing left", () => {
    const b = bundle(withTerminal(), ["true"]);
    const id = uniqueId("sock-missing");
    const sock = `${scratch}/missing.sock`;
    const r = md(root, ["create", "--console-socket", sock, "-b", b, id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(sock);
    expect(r.stderr).toContain("ENOENT");
    expect(leftovers(root, id)).toEqual([]);
  });
});

describe("/dev/console with process.terminal (runc binds the pty there)", () => {
  const CONSOLE = "ls -ln /dev/console | cut -c1-10; stat -c '%t:%T' /dev/console; grep -c ' /dev/console ' /proc/self/mountinfo";

  /** create --console-socket + start; what recvtty saw, and create's result */
  async function viaSocket(b: string, bin = BIN) {
    const tty = await recvtty();
    const id = uniqueId("console");
    const p = Bun.spawnSync([bin, "--root", bin === BIN ? root : `${root}/runc`, "run", "-d", "--console-socket", tty.socket, "-b", b, id], { stdin: "ignore" });
    if (bin === BIN) track(id);
    const created = { code: p.exitCode, stderr: p.stderr.toString() };
    const output = created.code === 0 ? await tty.output : { text: "", code: -1 };
    if (bin !== BIN) Bun.spawnSync([bin, "--root", `${root}/runc`, "delete", "-f", id]);
    return { created, output };
  }

  test("the pty is bound onto /dev/console: the same device, mode and mount as under runc 1.1.5", async () => {
    const b = bundle((s) => { withTerminal()(s); s.linux!.cgroupsPath = undefined; }, ["sh", "-c", CONSOLE]);
    const ours = await viaSocket(b);
    expect(ours.created.stderr).toBe("");
    expect(ours.output.text).toBe("crw--w----\n88:0\n1\n"); // 136:0 in hex
    const theirs = await viaSocket(b, "runc");
    expect(theirs.output.text).toBe(ours.output.text);
  });

  test("a read-only /dev (runc's bats \"ro /dev mount\"): /dev/console is made before /dev turns read-only", async () => {
    const b = bundle((s) => {
      withTerminal()(s);
      s.mounts!.find((m) => m.destination === "/dev")!.options!.push("ro");
    }, ["sh", "-c", `${CONSOLE}; grep ' /dev ' /proc/self/mountinfo | cut -d' ' -f6 | cut -c1-2`]);
    const ours = await viaSocket(b);
    expect(ours.created.stderr).toBe("");
    expect(ours.output.text).toBe("crw--w----\n88:0\n1\nro\n");
  });

  test("the pty's owner is the process's user, its group devpts' gid=5 (tty), as runc (bats \"tty owner\")", async () => {
    for (const [user, expected] of [[{ uid: 0, gid: 0 }, "0 5 620\n"], [{ uid: 1000, gid: 1000 }, "1000 5 620\n"]] as const) {
      const b = bundle((s) => { withTerminal()(s); s.process!.user = { ...user }; s.linux!.cgroupsPath = undefined; },
        ["sh", "-c", "stat -c '%u %g %a' $(tty)"]);
      const ours = await viaSocket(b);
      expect(ours.created.stderr).toBe("");
      expect(ours.output.text).toBe(expected);
      expect((await viaSocket(b, "runc")).output.text).toBe(expected);
    }
  });

  test("CVE-2025-52565: a /dev/console the image links to /proc/sys/kernel/core_pattern is refused, nothing bound there", async () => {
    const b = bundle((s) => {
      withTerminal()(s);
      const dev = s.mounts!.findIndex((m) => m.destination === "/dev");
      s.mounts![dev] = { destination: "/dev", type: "bind", source: `${scratch}/devdir-${process.pid}`, options: ["rbind"] };
    }, ["sh", "-c", "grep core_pattern /proc/self/mountinfo"]);
    const dev = `${scratch}/devdir-${process.pid}`;
    for (const d of ["pts", "shm", "mqueue"]) mkdirSync(`${dev}/${d}`, { recursive: true });
    symlinkSync("pts/ptmx", `${dev}/ptmx`);
    expect(Bun.spawnSync(["mknod", "-m", "666", `${dev}/null`, "c", "1", "3"]).exitCode).toBe(0);
    symlinkSync("/proc/sys/kernel/core_pattern", `${dev}/console`);
    const ours = await viaSocket(b);
    expect(ours.created.stderr).toContain(`/dev/console: \\"/dev/console\\" is neither a file nor a device node`);
    expect(ours.created.code).toBe(1);
  });
});
