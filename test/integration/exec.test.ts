// `exec` into real running containers: the new process joins every namespace of PID 1 (also
// with a user namespace) and its cgroup; exit codes; the CLI flags engines and users pass
// (repeated -e/-g/-c accumulate, --cwd, --user, --process FILE, --pid-file, --no-new-privs);
// refusals (stopped, paused) and bad input that names the culprit and leaves the container running.
import { beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { existsSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import type { Spec } from "../../src/spec/types.ts";
import { BIN, md, uniqueId } from "./lib.ts";
import { testScope } from "./scope.ts";

// real containers, several runtime calls per test (bunfig's [test] timeout is not applied)
setDefaultTimeout(30_000);

const { root, scratch, bundle, track } = testScope("exec");
const FOREVER = ["sh", "-c", "while :; do sleep 1; done"];

/** A detached running container; removed after the file's tests. */
function runDetached(edit: (s: Spec) => void = () => {}): string {
  const b = bundle(edit, FOREVER);
  const id = uniqueId("exec");
  const r = md(root, ["run", "-d", "-b", b, id]);
  if (r.code !== 0) throw new Error(`run -d failed: ${r.stderr}`);
  return track(id);
}
const state = (id: string) => JSON.parse(md(root, ["state", id]).stdout);
const ns = (pid: number | "self", kind: string) => readlinkSync(`/proc/${pid}/ns/${kind}`);

let web: string;   // plain container (no user namespace), noNewPrivileges off to test the flag
let userns: string; // with user (0→100000), cgroup and time namespaces
beforeAll(() => {
  web = runDetached((s) => { s.process!.noNewPrivileges = false; });
  userns = runDetached((s) => {
    s.linux!.namespaces!.push({ type: "user" }, { type: "cgroup" }, { type: "time" });
    s.linux!.timeOffsets = { monotonic: { secs: 86400, nanosecs: 0 } };
    s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  });
});
const NS_KINDS = ["cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"];
const NS_SCRIPT = `for n in ${NS_KINDS.join(" ")}; do echo $n $(readlink /proc/self/ns/$n) $(readlink /proc/1/ns/$n); done; cat /proc/self/cgroup | sort | md5sum; cat /proc/1/cgroup | sort | md5sum`;

describe("exec joins the container", () => {
  for (const which of ["without", "with"] as const) {
    test(`every namespace and the cgroup of PID 1, ${which} user, cgroup and time namespaces`, () => {
      const id = which === "with" ? userns : web;
      const r = md(root, ["exec", id, "sh", "-c", NS_SCRIPT]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const lines = r.stdout.trim().split("\n");
      for (const line of lines.slice(0, NS_KINDS.length)) {
        const [kind, mine, pid1] = line.split(" ");
        expect(`${kind} ${mine}`).toBe(`${kind} ${pid1}`);
      }
      expect(lines[NS_KINDS.length]).toBe(lines[NS_KINDS.length + 1]!); // same cgroups
      // …and these are the container's, not the host's
      const pid = state(id).pid;
      for (const kind of ["mnt", "pid", "uts", ...(which === "with" ? ["user", "cgroup", "time"] : [])]) {
        expect(ns(pid, kind)).not.toBe(ns("self", kind));
        expect(lines.find((l) => l.startsWith(`${kind} `))).toBe(`${kind} ${ns(pid, kind)} ${ns(pid, kind)}`);
      }
    });
  }

  test("with a user namespace: root inside is 100000 outside", () => {
    const r = md(root, ["exec", userns, "sh", "-c", "id -u; cat /proc/self/uid_map"]);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim().split("\n").map((l) => l.trim().split(/\s+/).join(" "))).toEqual(["0", "0 100000 65536"]);
  });

  test("the process sees the container's root and the container's cwd, not the host's", () => {
    const r = md(root, ["exec", web, "sh", "-c", "pwd; ls /; readlink /proc/self/root"]);
    expect(r.stderr).toBe("");
    expect(r.stdout.split("\n").slice(0, 2)).toEqual(["/", "bin"]);
    expect(r.stdout).not.toContain("boot\n");
  });
});

describe("exec gets the process spec's restrictions", () => {
  test("seccomp, rlimits, capabilities and no_new_privs of the container's process", () => {
    const id = runDetached((s) => {
      s.root!.readonly = false;
      s.linux!.seccomp = {
        defaultAction: "SCMP_ACT_ALLOW",
        syscalls: [{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO" }],
      };
      s.process!.rlimits = [{ type: "RLIMIT_NOFILE", soft: 321, hard: 654 }];
      s.process!.capabilities = { bounding: ["CAP_KILL"], effective: ["CAP_KILL"], permitted: ["CAP_KILL"] };
      s.process!.noNewPrivileges = true;
    });
    const r = md(root, ["exec", id, "sh", "-c", "mkdir /made 2>&1; ulimit -n; ulimit -Hn; grep -E '^(Seccomp|CapEff|NoNewPrivs):' /proc/self/status"]);
    const lines = r.stdout.trim().split("\n").map((l) => l.replace(/\s+/g, " "));
    expect(lines[0]).toContain("Operation not permitted");
    expect(lines.slice(1)).toEqual(["321", "654", "CapEff: 0000000000000020", "NoNewPrivs: 1", "Seccomp: 2"]);
  });
});

describe("exit codes", () => {
  test("the process's exit code, 128+signal when killed", () => {
    expect(md(root, ["exec", web, "sh", "-c", "exit 3"]).code).toBe(3);
    expect(md(root, ["exec", web, "true"]).code).toBe(0);
    expect(md(root, ["exec", web, "sh", "-c", "kill -9 $$"]).code).toBe(137);
  });

  test("a missing executable: error naming it, exit 255 as runc (not 127 from a shell, nor the process's own 1)", () => {
    const r = md(root, ["exec", web, "no-such-program"]);
    expect(r.code).toBe(255);
    expect(r.stderr).toContain("no-such-program");
    expect(r.stderr).toContain("not found");
  });

  test("an execve failure after set-up (no valid format): exec, even -d, fails with it, exit 255", () => {
    writeFileSync(`${state(web).rootfs}/not-a-program`, "garbage\n", { mode: 0o755 });
    for (const detach of [[], ["-d"]]) {
      const r = md(root, ["exec", ...detach, web, "/not-a-program"]);
      expect(r.code).toBe(255);
      expect(r.stderr).toContain("ENOEXEC (Exec format error)");
    }
  });

  test("stdin and stdout are the caller's (no tty)", () => {
    const r = md(root, ["exec", web, "sh", "-c", "read x; echo got:$x"], { stdin: "hello\n" });
    expect(r.stdout).toBe("got:hello\n");
  });
});

describe("refusals", () => {
  test("a stopped container: container not running", () => {
    const b = bundle(undefined, ["true"]);
    const id = uniqueId("stopped");
    expect(md(root, ["create", "-b", b, track(id)]).code).toBe(0);
    expect(md(root, ["start", id]).code).toBe(0);
    for (let i = 0; i < 100 && state(id).status !== "stopped"; i++) Bun.sleepSync(20);
    const r = md(root, ["exec", id, "true"]);
    expect(r.code).toBe(255);
    expect(r.stderr).toContain("container not running");
  });

  test("a container that does not exist", () => {
    const r = md(root, ["exec", "nope-not-here", "true"]);
    expect(r.code).toBe(255);
    expect(r.stderr).toContain("nope-not-here");
  });

  test("a paused container: refused; with --ignore-paused the process runs once resumed", async () => {
    const id = runDetached();
    expect(md(root, ["pause", id]).code).toBe(0);
    const refused = md(root, ["exec", id, "true"]);
    expect(refused.code).toBe(255);
    expect(refused.stderr).toContain("paused");
    const p = Bun.spawn([BIN, "--root", root, "exec", "--ignore-paused", id, "sh", "-c", "echo ran; exit 4"], { stdout: "pipe", stderr: "pipe" });
    await Bun.sleep(300);
    expect(p.exitCode).toBeNull(); // frozen with the rest of the container
    expect(md(root, ["resume", id]).code).toBe(0);
    expect(await p.exited).toBe(4);
    expect(await new Response(p.stdout).text()).toBe("ran\n");
    expect(state(id).status).toBe("running");
  }, 20_000);

  test("-t -d without --console-socket: clear error, nothing started", () => {
    const r = md(root, ["exec", "-t", "-d", web, "true"]);
    expect(r.code).toBe(255);
    expect(r.stderr).toContain("cannot allocate tty if minidocker will detach without setting console socket");
  });

  test("no command and no --process: usage error", () => {
    const r = md(root, ["exec", web]);
    expect(r.code).toBe(255);
    expect(r.stderr).toContain("arguments");
  });
});

describe("flags", () => {
  test("repeated -e/--env accumulate, and override the container's env", () => {
    const r = md(root, ["exec", "-e", "A=1", "--env", "B=2", "-e", "C=3", "--env=D=4", "-e", "PATH=/bin", web, "sh", "-c", "echo $A$B$C$D $PATH"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("1234 /bin\n");
  });

  test("--user UID:GID with repeated -g/--additional-gids", () => {
    const r = md(root, ["exec", "--user", "1000:1001", "-g", "10", "--additional-gids", "20", "-g", "30", web, "sh", "-c", "id -u; id -g; grep ^Groups /proc/self/status"]);
    expect(r.stderr).toBe("");
    expect(r.stdout.split("\n").slice(0, 3).map((l) => l.trim().replace(/\s+/g, " "))).toEqual(["1000", "1001", "Groups: 10 20 30"]);
  });

  test("-u UID alone: gid 0", () => {
    const r = md(root, ["exec", "-u", "65534", web, "sh", "-c", "id -u; id -g"]);
    expect(r.stdout).toBe("65534\n0\n");
  });

  test("a user that is not a number: error naming it", () => {
    const r = md(root, ["exec", "-u", "no-such-user", web, "true"]);
    expect(r.code).toBe(255);
    expect(r.stderr).toContain("no-such-user");
  });

  test("--cwd", () => {
    expect(md(root, ["exec", "--cwd", "/tmp", web, "pwd"]).stdout).toBe("/tmp\n");
    const bad = md(root, ["exec", "--cwd", "/no/such/dir", web, "pwd"]);
    expect(bad.code).toBe(255);
    expect(bad.stderr).toContain("/no/such/dir");
  });

  test("repeated -c/--cap accumulate into the effective set", () => {
    const r = md(root, ["exec", "-c", "CAP_SYS_ADMIN", "--cap", "CAP_NET_RAW", "-c", "CAP_SYS_PTRACE", web, "grep", "^CapEff", "/proc/self/status"]);
    expect(r.stderr).toBe("");
    const eff = BigInt(`0x${r.stdout.split(/\s+/)[1]}`);
    for (const bit of [21n, 13n, 19n]) expect((eff >> bit) & 1n).toBe(1n);
    const plain = BigInt(`0x${md(root, ["exec", web, "grep", "^CapEff", "/proc/self/status"]).stdout.split(/\s+/)[1]}`);
    expect((plain >> 21n) & 1n).toBe(0n);
  });

  test("--no-new-privs (the container's process has it off)", () => {
    expect(md(root, ["exec", web, "grep", "^NoNewPrivs", "/proc/self/status"]).stdout).toContain("0");
    expect(md(root, ["exec", "--no-new-privs", web, "grep", "^NoNewPrivs", "/proc/self/status"]).stdout).toContain("1");
  });

  test("a literal --no-… and --help after the id belong to the command", () => {
    const r = md(root, ["exec", web, "echo", "--no-such", "--help", "-e"]);
    expect(r.stdout).toBe("--no-such --help -e\n");
  });

  test("-d --pid-file: returns at once; the pid file names the running process", async () => {
    const pidFile = `${scratch}/exec.pid`;
    const r = md(root, ["exec", "-d", "--pid-file", pidFile, web, "sleep", "30"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const pid = Number(readFileSync(pidFile, "utf8"));
    expect(readFileSync(`/proc/${pid}/cmdline`, "utf8")).toBe("sleep\x0030\x00");
    expect(ns(pid, "mnt")).toBe(ns(state(web).pid, "mnt"));
    process.kill(pid, "SIGKILL");
  });
});

describe("--process FILE", () => {
  test("args, env, cwd, user and terminal:false from the file", () => {
    const file = `${scratch}/process.json`;
    writeFileSync(file, JSON.stringify({
      terminal: false, args: ["sh", "-c", "echo $X $(id -u) $(pwd)"], env: ["X=from-file", "PATH=/bin:/usr/bin"],
      cwd: "/etc", user: { uid: 1234, gid: 1234 },
    }));
    const r = md(root, ["exec", "--process", file, web]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("from-file 1234 /etc\n");
  });

  test("a malformed file: the field is named, the container is unharmed", () => {
    const file = `${scratch}/bad-process.json`;
    writeFileSync(file, JSON.stringify({ args: ["true"], cwd: "/", user: { uid: "root", gid: 0 } }));
    const r = md(root, ["exec", "--process", file, web]);
    expect(r.code).toBe(255);
    expect(r.stderr).toContain("process.json");
    expect(r.stderr).toContain("user.uid");
    writeFileSync(file, "{ not json");
    const r2 = md(root, ["exec", "-p", file, web]);
    expect(r2.code).toBe(255);
    expect(r2.stderr).toContain("process.json");
    const r3 = md(root, ["exec", "-p", `${scratch}/missing.json`, web]);
    expect(r3.code).toBe(255);
    expect(r3.stderr).toContain("missing.json");
    expect(state(web).status).toBe("running");
    expect(md(root, ["exec", web, "true"]).code).toBe(0);
  });
});

describe("bad input leaves nothing behind", () => {
  test("an unreachable console socket: error naming it, no stray init process", () => {
    const sock = `${scratch}/no-such.sock`;
    // the container's processes but its `sleep 1`s, which come and go
    const processes = () => (JSON.parse(md(root, ["ps", "--format", "json", web]).stdout) as number[])
      .filter((pid) => { try { return readFileSync(`/proc/${pid}/comm`, "utf8") !== "sleep\n"; } catch { return false; } });
    const before = processes();
    const r = md(root, ["exec", "-t", "-d", "--console-socket", sock, web, "true"]);
    expect(r.code).toBe(255);
    expect(r.stderr).toContain(sock);
    expect(processes()).toEqual(before);
    expect(state(web).status).toBe("running");
    expect(existsSync(sock)).toBe(false);
  });
});
