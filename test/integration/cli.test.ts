// The runc-compatible CLI of the compiled binary, as engines, scripts and CI call it: `lint`
// over the spec's own fixtures (without root, touching nothing), `spec` whose config `run`
// accepts unchanged (through a real pty), the logrus log formats containerd and podman parse,
// global flags, runc's error wording, the state JSON against the spec's schema, and the
// lifecycle under concurrent callers (same-id create, create vs state, delete vs delete).
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import Ajv from "ajv-draft-04";
import { SPEC_DIR } from "../unit/spec/json-schema-oracle.ts";
import type { Spec } from "../../src/spec/types.ts";
import { BIN, leftovers, md, type Result, uniqueId } from "./lib.ts";
import { testScope } from "./scope.ts";

// real containers, several runtime calls per test
setDefaultTimeout(60_000);

const { root, scratch, bundle, track } = testScope("cli");
const FIXTURES = `${SPEC_DIR}/test/config`;
const fixtures = (kind: "good" | "bad") => readdirSync(`${FIXTURES}/${kind}`).filter((f) => f.endsWith(".json")).sort().map((f) => `${FIXTURES}/${kind}/${f}`);
const writable = (s: Spec) => { s.root!.readonly = false; };
const state = (id: string) => JSON.parse(md(root, ["state", id]).stdout);
const until = async (cond: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await Bun.sleep(20);
  return cond();
};

/** A process that has exited: gone, or a zombie its parent has yet to reap. */
function deadOrZombie(pid: number): boolean {
  try { return /\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, "utf8")); } catch { return true; }
}

/** The binary as an unprivileged user (nobody), in `cwd`. */
function asNobody(args: string[], cwd: string): Result {
  const p = Bun.spawnSync(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", BIN, ...args], {
    cwd, stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { PATH: "/usr/bin:/bin" },
  });
  return { code: p.exitCode ?? -1, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}

/**
 * Many runtime calls at once, each its own process; resolves to their results in order. Output
 * goes to files: a created container's init inherits stdio and would hold a pipe open.
 */
async function concurrently(calls: string[][]): Promise<Result[]> {
  const batch = ++concurrentBatches;
  const out = (i: number, fd: number) => `${scratch}/concurrent-${batch}-${i}.${fd}`;
  const procs = calls.map((args, i) => Bun.spawn([BIN, "--root", root, ...args], {
    stdin: "ignore", stdout: Bun.file(out(i, 1)), stderr: Bun.file(out(i, 2)),
  }));
  const codes = await Promise.all(procs.map((p) => p.exited));
  return codes.map((code, i) => ({ code, stdout: readFileSync(out(i, 1), "utf8"), stderr: readFileSync(out(i, 2), "utf8") }));
}
let concurrentBatches = 0;

/** A scratch directory nobody may write in (mkdtemp's are 0700 and root's). */
function openDir(name: string): string {
  const dir = `${scratch}/${name}`;
  mkdirSync(dir, { recursive: true });
  chmodSync(scratch, 0o755);
  chmodSync(dir, 0o777);
  return dir;
}

describe("lint FILE… through the CLI", () => {
  test("the spec's fixtures are there", () => {
    expect(fixtures("good").length).toBeGreaterThan(3);
    expect(fixtures("bad").length).toBeGreaterThan(3);
  });

  test("every good fixture: exit 0, only warnings, each line tagged with the file — as nobody", () => {
    const cwd = openDir("lint-good");
    for (const file of fixtures("good")) {
      const r = asNobody(["lint", file], cwd);
      expect({ file, code: r.code, stderr: r.stderr }).toEqual({ file, code: 0, stderr: "" });
      for (const line of r.stdout.split("\n").filter(Boolean)) {
        expect(line.startsWith(`${file}: `)).toBe(true);
        expect(line.endsWith("(warning)")).toBe(true);
      }
    }
  });

  test("every bad fixture: exit 1 and at least one path-tagged error line — as nobody", () => {
    const cwd = openDir("lint-bad");
    for (const file of fixtures("bad")) {
      const r = asNobody(["lint", file], cwd);
      expect({ file, code: r.code }).toEqual({ file, code: 1 });
      const errors = r.stdout.split("\n").filter((l) => l && !l.endsWith("(warning)"));
      expect(errors.length).toBeGreaterThan(0);
      for (const line of errors) expect(line).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: \\S`));
    }
  });

  test("several files at once: every problem of every file, one per line; exit 1", () => {
    const cwd = openDir("lint-many");
    // a config with three independent errors in one file
    const multi = `${cwd}/multi.json`;
    writeFileSync(multi, JSON.stringify({
      ociVersion: "1.3.0", root: { path: "rootfs" },
      process: { cwd: "/", args: "sh", user: { uid: 0, gid: 0 } },
      linux: { namespaces: [{ type: "pid" }, { type: "pid" }, { type: "mount" }], cgroupsPath: "/a/../../etc" },
    }));
    chmodSync(multi, 0o644);
    const files = [...fixtures("bad"), multi, ...fixtures("good")];
    const r = asNobody(["lint", ...files], cwd);
    expect(r.code).toBe(1);
    const errorLines = r.stdout.split("\n").filter((l) => l && !l.endsWith("(warning)"));
    for (const bad of fixtures("bad")) expect(errorLines.some((l) => l.startsWith(`${bad}: `))).toBe(true);
    for (const good of fixtures("good")) expect(errorLines.some((l) => l.startsWith(`${good}: `))).toBe(false);
    const ofMulti = errorLines.filter((l) => l.startsWith(`${multi}: `));
    expect(ofMulti.some((l) => l.includes("process.args"))).toBe(true);
    expect(ofMulti.some((l) => l.includes("linux.cgroupsPath"))).toBe(true);
    expect(ofMulti.some((l) => l.includes("linux.namespaces[1].type"))).toBe(true);
  });

  test("levels: a warning alone exits 0, with --strict 1; an error exits 1 either way", () => {
    const cwd = openDir("lint-strict");
    const typo = `${cwd}/typo.json`; // "proccess": the spec allows no process, so only a warning
    writeFileSync(typo, JSON.stringify({ ociVersion: "1.0.2", root: { path: "rootfs" }, proccess: { cwd: "/", args: ["sh"], user: { uid: 0, gid: 0 } } }));
    chmodSync(typo, 0o644);
    const plain = asNobody(["lint", typo], cwd);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/^.*typo\.json: process: .*\(warning\)$/m);
    const strict = asNobody(["lint", "--strict", typo], cwd);
    expect({ code: strict.code, stdout: strict.stdout }).toEqual({ code: 1, stdout: plain.stdout });
    for (const args of [["lint", fixtures("bad")[0]!], ["lint", "--strict", fixtures("bad")[0]!]]) expect(asNobody(args, cwd).code).toBe(1);
    expect(asNobody(["lint", "--strict", fixtures("good")[0]!], cwd).code).toBe(asNobody(["lint", fixtures("good")[0]!], cwd).stdout ? 1 : 0);
  });

  test("touches nothing: no state root, no file in the cwd, the fixtures unchanged; a missing file is an error", () => {
    const cwd = openDir("lint-touch");
    const stateRoot = `${cwd}/state-root`;
    const before = fixtures("bad").map((f) => statSync(f).mtimeMs);
    const r = asNobody(["--root", stateRoot, "--debug", "lint", ...fixtures("bad"), `${cwd}/missing.json`], cwd);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${cwd}/missing.json: no such file`);
    expect(readdirSync(cwd)).toEqual([]);
    expect(existsSync(stateRoot)).toBe(false);
    expect(fixtures("bad").map((f) => statSync(f).mtimeMs)).toEqual(before);
  });
});

describe("spec", () => {
  /** A bundle dir with the busybox rootfs and the config `spec` writes (nothing else). */
  function specBundle(name: string, specArgs: string[] = []): { dir: string; config: string } {
    const dir = bundle(); // busybox rootfs; its config is replaced by `spec`'s own
    Bun.spawnSync(["rm", `${dir}/config.json`]);
    const r = md(root, ["spec", "-b", dir, ...specArgs]);
    expect({ name, ...r }).toEqual({ name, code: 0, stdout: "", stderr: "" });
    return { dir, config: readFileSync(`${dir}/config.json`, "utf8") };
  }

  /** `run` the bundle under a pty (`script`), typing `input`, as a user at a shell would. */
  function runInPty(dir: string, id: string, input: string) {
    const p = Bun.spawnSync(["script", "-qec", `${BIN} --root ${root} run -b ${dir} ${id}`, "/dev/null"], {
      stdin: Buffer.from(input), stdout: "pipe", stderr: "pipe", timeout: 30_000,
    });
    return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
  }

  test("writes runc's default config (terminal, sh), and run accepts it unchanged through a pty", () => {
    const { dir, config } = specBundle("default");
    const spec = JSON.parse(config);
    expect(spec.process.terminal).toBe(true);
    expect(spec.process.args).toEqual(["sh"]);
    // the same document as `runc spec`, ociVersion included
    const runcDir = `${scratch}/runc-spec`;
    mkdirSync(runcDir, { recursive: true });
    const runc = Bun.spawnSync(["runc", "spec", "-b", runcDir]);
    expect(runc.exitCode).toBe(0);
    const reference = JSON.parse(readFileSync(`${runcDir}/config.json`, "utf8"));
    expect(spec).toEqual(reference);

    const id = track(uniqueId("spec-run"));
    const r = runInPty(dir, id, "echo hi; exit 3\n");
    expect(r.out).toMatch(/^hi\r?$/m);
    expect(r.code).toBe(3);
    expect(readFileSync(`${dir}/config.json`, "utf8")).toBe(config); // unchanged
    expect(leftovers(root, id)).toEqual([]);
  });

  test("its bundle runs under crun 1.8.1 too (it refuses any ociVersion but 1.0.x); run still takes every 1.x", () => {
    const { dir, config } = specBundle("crun");
    const spec = JSON.parse(config);
    spec.process.terminal = false;
    spec.process.args = ["echo", "hi"];
    writeFileSync(`${dir}/config.json`, JSON.stringify(spec));
    // crun 1.8.1 refuses hybrid cgroup hosts: the peer wrapper hides the unified mount from it
    const crun = Bun.spawnSync(["/work/shared/peer/crun-hybrid.sh", "--root", `${scratch}/crun`, "run", "-b", dir, uniqueId("crun")],
      { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    expect({ code: crun.exitCode, out: crun.stdout.toString(), err: crun.stderr.toString() }).toEqual({ code: 0, out: "hi\n", err: "" });
    for (const version of ["1.0.0", "1.0.2-dev", "1.2.0", "1.3.0"]) {
      writeFileSync(`${dir}/config.json`, JSON.stringify({ ...spec, ociVersion: version }));
      expect({ version, r: md(root, ["run", "-b", dir, uniqueId("ver")]) }).toEqual({ version, r: { code: 0, stdout: "hi\n", stderr: "" } });
    }
  });

  test("--rootless: a user namespace mapping our ids; run accepts it unchanged", () => {
    const { dir, config } = specBundle("rootless", ["--rootless"]);
    const spec = JSON.parse(config);
    expect(spec.linux.namespaces.map((n: { type: string }) => n.type)).toContain("user");
    expect(spec.linux.uidMappings).toEqual([{ containerID: 0, hostID: process.getuid!(), size: 1 }]);
    expect(spec.linux.gidMappings).toEqual([{ containerID: 0, hostID: process.getgid!(), size: 1 }]);
    expect(spec.linux.resources).toBeUndefined(); // no cgroup limits without privilege

    const id = track(uniqueId("spec-rootless"));
    const r = runInPty(dir, id, "cat /proc/self/uid_map; exit 4\n");
    expect(r.out).toMatch(/^\s+0\s+0\s+1\r?$/m);
    expect(r.code).toBe(4);
    expect(leftovers(root, id)).toEqual([]);
  });

  test("refuses to overwrite an existing config.json (runc's wording); the file stays", () => {
    const { dir, config } = specBundle("overwrite");
    writeFileSync(`${dir}/config.json`, "mine");
    const again = md(root, ["spec", "-b", dir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`File ${dir}/config.json exists. Remove it first`);
    expect(readFileSync(`${dir}/config.json`, "utf8")).toBe("mine");
    void config;
  });
});

describe("logs and global flags", () => {
  const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
  const jsonLines = (file: string) => readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));

  test("--log F --log-format json: JSON lines, the last error's msg is the error, RFC 3339 time; stderr has it too", () => {
    const log = `${scratch}/json.log`;
    const id = uniqueId("nothere");
    const r = md(root, ["--log", log, "--log-format", "json", "state", id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`container ${id} does not exist`);
    const lines = jsonLines(log);
    const last = lines.filter((l) => l.level === "error").at(-1);
    expect(last.msg).toBe(`container ${id} does not exist`);
    for (const l of lines) {
      expect(Object.keys(l).sort()).toEqual(["level", "msg", "time"]);
      expect(l.time).toMatch(RFC3339);
      expect(Number.isNaN(Date.parse(l.time))).toBe(false);
    }
  });

  test("a failed create as containerd calls it (--log <bundle>/log.json --log-format json): the field in the last error", () => {
    const b = bundle((s) => { s.linux!.namespaces!.push({ type: "pid" }); });
    const log = `${b}/log.json`;
    const id = uniqueId("shim");
    const r = md(root, ["--root", root, "--log", log, "--log-format", "json", "create", "--bundle", b, "--pid-file", `${b}/init.pid`, id]);
    expect(r.code).toBe(1);
    const last = jsonLines(log).filter((l) => l.level === "error").at(-1);
    expect(last.msg).toContain('linux.namespaces[5].type: duplicate "pid"');
    expect(r.stderr).toContain(last.msg);
    expect(existsSync(`${b}/init.pid`)).toBe(false);
    expect(leftovers(root, id)).toEqual([]);
  });

  test("text format is logrus's: time=\"…\" level=error msg=\"…\" (to stderr without --log)", () => {
    const r = md(root, ["state", "no-such-container"]);
    expect(r.code).toBe(1);
    const [line, ...more] = r.stderr.trim().split("\n");
    expect(more).toEqual([]);
    const m = line!.match(/^time="([^"]+)" level=error msg="(.*)"$/);
    expect(m).not.toBeNull();
    expect(m![1]).toMatch(RFC3339);
    expect(m![2]).toBe("container no-such-container does not exist");
  });

  test("--debug adds debug lines (and only with it)", () => {
    const quiet = `${scratch}/quiet.log`, loud = `${scratch}/debug.log`;
    const b = bundle();
    const a = uniqueId("nodebug"), d = uniqueId("debug");
    expect(md(root, ["--log", quiet, "run", "-b", b, a]).code).toBe(0);
    expect(md(root, ["--log", loud, "--debug", "run", "-b", b, d]).code).toBe(0);
    const levels = (f: string) => readFileSync(f, "utf8").split("\n").filter(Boolean).map((l) => l.match(/level=(\w+)/)?.[1]);
    expect(existsSync(quiet) ? levels(quiet) : []).not.toContain("debug");
    expect(levels(loud)).toContain("debug");
    expect(readFileSync(loud, "utf8")).toContain(d);
  });

  test("an unusable --log path: one line naming it, exit 1, before the command runs (list too); nothing made", () => {
    const b = bundle();
    for (const [log, errno] of [[`${scratch}/no-such-dir/log.json`, "ENOENT"], [scratch, "EISDIR"]] as const) {
      for (const args of [["list"], ["state", "x"], ["run", "-b", b, uniqueId("badlog")], ["--log-format", "json", "list"]]) {
        const r = md(root, ["--log", log, ...args]);
        expect({ args, code: r.code, stdout: r.stdout }).toEqual({ args, code: 1, stdout: "" });
        const lines = r.stderr.trim().split("\n");
        expect({ args, lines: lines.length }).toEqual({ args, lines: 1 });
        expect(lines[0]).toContain(log);
        expect(lines[0]).toContain(errno);
        if (args[0] === "--log-format") expect(JSON.parse(lines[0]!).level).toBe("error");
      }
    }
    expect(existsSync(`${scratch}/no-such-dir`)).toBe(false);
    expect(readdirSync(root).filter((n) => n.startsWith("badlog"))).toEqual([]);
    // a log that fails at the write (ENOSPC): the message still reaches stderr, no stack dump
    const full = md(root, ["--log", "/dev/full", "state", "nothere"]);
    expect(full.code).toBe(1);
    expect(full.stderr).toContain("container nothere does not exist");
    expect(full.stderr).toContain("ENOSPC");
    expect(full.stderr).not.toContain("@bun");
    expect(full.stderr.trim().split("\n").length).toBeLessThanOrEqual(3);
  });

  test("--systemd-cgroup is a clear 'not supported' error and leaves nothing", () => {
    for (const command of ["create", "run"]) {
      const id = uniqueId("systemd");
      const r = md(root, ["--systemd-cgroup", command, "-b", bundle(), id]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("--systemd-cgroup is not supported");
      expect(leftovers(root, id)).toEqual([]);
    }
  });

  test("--version, --help, -h, COMMAND --help; the --root=DIR form", () => {
    const v = md(root, ["--version"]);
    expect(v.code).toBe(0);
    // runc's lines: version, commit, spec, libseccomp (or our built-in compiler)
    expect(v.stdout).toMatch(/^minidocker version \d+\.\d+\.\d+\ncommit: [0-9a-f]{7,}\nspec: 1\.\d+\.\d+\nlibseccomp: (\d+\.\d+\.\d+|none \(built-in BPF compiler\))\n/);
    for (const flag of ["--help", "-h"]) {
      const h = md(root, [flag]);
      expect(h.code).toBe(0);
      for (const command of ["create", "start", "run", "state", "kill", "delete", "list", "spec", "features", "lint"])
        expect(h.stdout).toMatch(new RegExp(`^  ${command} `, "m"));
    }
    const kill = md(root, ["kill", "--help"]);
    expect(kill.code).toBe(0);
    expect(kill.stdout).toContain("--all");
    const create = md(root, ["create", "-h"]);
    expect(create.code).toBe(0);
    for (const flag of ["--bundle", "--pid-file", "--console-socket", "--preserve-fds"]) expect(create.stdout).toContain(flag);

    // md() puts `--root ROOT` first; a later `--root=OTHER` wins, as with runc's flags
    const other = `${scratch}/other-root`;
    const id = uniqueId("rooteq");
    expect(md(root, [`--root=${other}`, "create", "-b", bundle(), id])).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(existsSync(`${other}/${id}/state.json`)).toBe(true);
    expect(JSON.parse(md(root, [`--root=${other}`, "state", id]).stdout).status).toBe("created");
    expect(md(root, [`--root=${other}`, "delete", id]).code).toBe(0);
    expect(leftovers(other, id)).toEqual([]);
  });

  test("help: each command's usage line with its operands and every flag, plain text; `help CMD`; no arguments is help, exit 0", () => {
    const general = md(root, []);
    expect(general.code).toBe(0);
    expect(general.stdout).toContain("COMMANDS:");
    const operands: Record<string, string> = { run: "<container-id>", kill: "<container-id> [signal]", exec: "<container-id> <command>", list: "" };
    for (const command of ["create", "run", "start", "state", "kill", "delete", "list", "ps", "exec", "pause", "resume", "update", "events", "spec", "features"]) {
      const h = md(root, [command, "--help"]);
      expect({ command, code: h.code }).toEqual({ command, code: 0 });
      expect(h.stdout).not.toContain("\x1b"); // no colours through a pipe
      expect(md(root, ["help", command]).stdout).toBe(h.stdout);
      const usage = h.stdout.split("\n").find((l) => l.trim().startsWith(`minidocker ${command}`) && !l.includes(" - "))!;
      expect(usage).toBeDefined();
      if (command in operands) expect(usage).toContain(`minidocker ${command}${h.stdout.includes("OPTIONS:") ? " [command options]" : ""}${operands[command] ? ` ${operands[command]}` : ""}`);
      // every flag runc has for the command is listed (runc's help output is the reference)
      const runcHelp = Bun.spawnSync(["runc", command, "--help"]).stdout.toString();
      for (const [, flag] of runcHelp.matchAll(/^\s+(--[a-z0-9-]+)/gm)) if (flag !== "--help") expect({ command, flag, listed: h.stdout.includes(flag!) }).toEqual({ command, flag, listed: true });
    }
    // no backwards negated flags (`--pivot (Default: true)`)
    expect(md(root, ["create", "--help"]).stdout).not.toMatch(/--pivot|--new-keyring/);
  });

  test("an unknown global flag is an error naming it, before anything runs", () => {
    const r = md(root, ["--bogus", "list"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("flag provided but not defined: --bogus");
    expect(r.stdout).toBe("");
    expect(md(root, ["--log-format", "xml", "list"]).stderr).toContain("--log-format");
  });

  test("a --help after the container id in exec belongs to the container", () => {
    const id = track(uniqueId("exechelp"));
    expect(md(root, ["run", "-d", "-b", bundle(() => {}, ["sleep", "1000"]), id]).code).toBe(0);
    const r = md(root, ["exec", id, "echo", "--help", "-h"]);
    expect(r).toEqual({ code: 0, stdout: "--help -h\n", stderr: "" });
    expect(md(root, ["delete", "--force", id]).code).toBe(0);
  });
});

describe("error wording engines match on", () => {
  test("does not exist, already exists, container not running", async () => {
    const missing = uniqueId("missing");
    for (const args of [["state"], ["start"], ["kill"], ["delete"], ["pause"], ["resume"], ["ps"], ["exec", "--"]]) {
      const r = md(root, [...args, missing, ...(args[0] === "exec" ? ["true"] : [])]);
      // runc's exec: every runtime failure is 255, so a script tells it from the process's own 1
      expect({ args, code: r.code, stderr: r.stderr }).toMatchObject({ args, code: args[0] === "exec" ? 255 : 1 });
      expect(r.stderr).toContain(`container ${missing} does not exist`);
    }

    const id = track(uniqueId("exists"));
    const b = bundle(() => {}, ["sh", "-c", "exit 0"]);
    expect(md(root, ["create", "-b", b, id]).code).toBe(0);
    const dup = md(root, ["create", "-b", b, id]);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain(`container ${id} already exists`);
    expect(md(root, ["start", id]).code).toBe(0);
    expect(await until(() => state(id).status === "stopped")).toBe(true);
    for (const args of [["kill", id], ["kill", id, "KILL"], ["exec", id, "true"]]) {
      const r = md(root, args);
      expect({ args, code: r.code }).toEqual({ args, code: args[0] === "exec" ? 255 : 1 });
      expect(r.stderr).toContain("container not running");
    }
    expect(md(root, ["delete", id]).code).toBe(0);
  });
});

describe("exit status of a failed exec, run and create (runc 1.1.5's)", () => {
  test("exec: 255 and `exec failed: …` for every runtime-side failure; 1 for usage errors; the process's own status otherwise", () => {
    const id = track(uniqueId("exec255"));
    const b = bundle(() => {}, ["sleep", "1000"]);
    expect(md(root, ["run", "-d", "-b", b, id]).code).toBe(0);
    for (const args of [[id, "nope"], [id, "/etc/passwd"], ["--cwd", "/nonexist", id, "pwd"], ["missing-id", "true"],
      [id], ["--process", "/nonexist.json", id], ["-d", id, "nope"], ["-t", "-d", id, "true"]]) {
      const r = md(root, ["exec", ...args]);
      expect({ args, code: r.code }).toEqual({ args, code: 255 });
      expect(r.stderr).toContain("exec failed: ");
    }
    // usage errors, before anything runs, are 1 (runc too); the process's own statuses pass through
    expect(md(root, ["exec"]).code).toBe(1);
    expect(md(root, ["exec", "--bogus", id, "true"]).code).toBe(1);
    expect(md(root, ["exec", id, "sh", "-c", "exit 1"])).toEqual({ code: 1, stdout: "", stderr: "" });
    expect(md(root, ["exec", id, "sh", "-c", "exit 255"])).toEqual({ code: 255, stdout: "", stderr: "" });
    expect(state(id).status).toBe("running");
  });

  test("run and create: 1 for a failure to start (runc: 1, not 255); run returns the process's status", () => {
    for (const [args, expected] of [[["nope"], "not found"], [["/etc/passwd"], "permission denied"]] as const) {
      for (const command of ["run", "create"]) {
        const id = uniqueId("run1");
        const r = md(root, [command, "-b", bundle(() => {}, [...args]), id]);
        expect({ command, args, code: r.code }).toEqual({ command, args, code: 1 });
        expect(r.stderr).toContain(expected);
        expect(leftovers(root, id)).toEqual([]);
      }
    }
    expect(md(root, ["run", "-b", bundle(() => {}, ["sh", "-c", "exit 7"]), track(uniqueId("run7"))]).code).toBe(7);
  });
});

describe("list owner, id length, not root (runc's behaviour)", () => {
  test("list: owner is the user name; an over-long id is told so; a non-root user gets 'permission denied', not an empty list", () => {
    const id = track(uniqueId("owner"));
    expect(md(root, ["run", "-d", "-b", bundle(() => {}, ["sleep", "1000"]), id]).code).toBe(0);
    const listed = JSON.parse(md(root, ["list", "--format", "json"]).stdout) as Array<{ id: string; owner: string }>;
    expect(listed.find((s) => s.id === id)?.owner).toBe("root");
    expect(md(root, ["list"]).stdout).toMatch(new RegExp(`^${id}\\s.*\\sroot$`, "m"));
    const long = md(root, ["state", "a".repeat(1033)]);
    expect(long.code).toBe(1);
    expect(long.stderr).toContain("invalid container id: 1033 characters long, at most 255 are allowed");
    const cwd = openDir("nobody");
    const list = asNobody(["--root", root, "list"], cwd);
    expect({ code: list.code, stdout: list.stdout }).toEqual({ code: 1, stdout: "" });
    expect(list.stderr).toContain("EACCES (Permission denied)");
    const st = asNobody(["--root", root, "state", id], cwd);
    expect(st.code).toBe(1);
    expect(st.stderr).toContain("EACCES (Permission denied)");
    expect(st.stderr).not.toContain("does not exist");
    expect(md(root, ["delete", "-f", id]).code).toBe(0);
  });
});

describe("state JSON", () => {
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addSchema(JSON.parse(readFileSync(`${SPEC_DIR}/defs.json`, "utf8")), "defs.json");
  const validate = ajv.compile(JSON.parse(readFileSync(`${SPEC_DIR}/state-schema.json`, "utf8")));
  const valid = (s: unknown) => (validate(s) ? [] : validate.errors!.map((e) => `${e.instancePath} ${e.message}`));

  test("validates against the spec's state-schema.json when created, running and stopped", async () => {
    const id = track(uniqueId("schema"));
    const b = bundle((s) => { writable(s); s.annotations = { "org.example.key": "value" }; },
      ["sh", "-c", "touch /started; while [ ! -e /stop ]; do sleep 0.05; done"]);
    expect(md(root, ["create", "-b", b, id]).code).toBe(0);
    const created = state(id);
    expect(valid(created)).toEqual([]);
    expect(created).toMatchObject({ id, status: "created", bundle: b, annotations: { "org.example.key": "value" } });
    expect(created.pid).toBeGreaterThan(0);

    expect(md(root, ["start", id]).code).toBe(0);
    expect(await until(() => existsSync(`${b}/rootfs/started`))).toBe(true);
    const running = state(id);
    expect(valid(running)).toEqual([]);
    expect(running).toMatchObject({ status: "running", pid: created.pid });

    writeFileSync(`${b}/rootfs/stop`, "");
    expect(await until(() => state(id).status === "stopped")).toBe(true);
    const stopped = state(id);
    expect(valid(stopped)).toEqual([]);
    expect(stopped.pid).toBe(0);
    expect(md(root, ["delete", id]).code).toBe(0);
  });
});

describe("the lifecycle under concurrent callers", () => {
  test("state while create runs and right after it: never a broken state", async () => {
    for (let round = 0; round < 3; round++) {
      const id = track(uniqueId("race-state"));
      const b = bundle(() => {}, ["sleep", "1000"]);
      const creating = Bun.spawn([BIN, "--root", root, "create", "-b", b, id], { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
      let done = false;
      void creating.exited.then(() => { done = true; });
      const seen = new Set<string>();
      while (!done) {
        await Bun.sleep(0); // let the exit be noticed
        const r = md(root, ["state", id]);
        if (r.code !== 0) {
          expect(r.stderr).toContain(`container ${id} does not exist`);
          seen.add("absent");
          continue;
        }
        const s = JSON.parse(r.stdout); // never half a file
        expect(["creating", "created"]).toContain(s.status);
        expect(s.pid).toBeGreaterThan(0);
        seen.add(s.status);
      }
      expect(await creating.exited).toBe(0);
      const after = state(id); // immediately after create returned
      expect(after.status).toBe("created");
      expect(existsSync(`/proc/${after.pid}`)).toBe(true);
      expect(seen.size).toBeGreaterThan(0);
      expect(md(root, ["delete", "--force", id]).code).toBe(0);
      expect(leftovers(root, id)).toEqual([]);
    }
  });

  test("two creates of the same id at once: exactly one wins, the other says already exists, nothing leaks", async () => {
    for (let round = 0; round < 4; round++) {
      const id = track(uniqueId("race-create"));
      const b = bundle(() => {}, ["sleep", "1000"]);
      const results = await concurrently([["create", "-b", b, id], ["create", "-b", b, id]]);
      const codes = results.map((r) => r.code).sort();
      expect({ round, codes, errors: results.map((r) => r.stderr) }).toMatchObject({ round, codes: [0, 1] });
      expect(results.find((r) => r.code === 1)!.stderr).toContain(`container ${id} already exists`);
      const s = state(id);
      expect(s.status).toBe("created");
      expect(JSON.parse(md(root, ["ps", "--format", "json", id]).stdout)).toEqual([s.pid]); // one init only
      expect(md(root, ["start", id]).code).toBe(0);
      expect(md(root, ["delete", "--force", id]).code).toBe(0);
      expect(deadOrZombie(s.pid)).toBe(true);
      expect(leftovers(root, id)).toEqual([]);
    }
  });

  test("two deletes of one id at once: one removes it, the other says it does not exist; with --force both succeed", async () => {
    for (const force of [false, true]) {
      for (let round = 0; round < 3; round++) {
        const id = track(uniqueId(force ? "race-delf" : "race-del"));
        const b = bundle(() => {}, force ? ["sleep", "1000"] : ["true"]);
        expect(md(root, ["run", "-d", "-b", b, id]).code).toBe(0);
        if (!force) expect(await until(() => state(id).status === "stopped")).toBe(true);
        const pid = force ? state(id).pid : 0;
        const del = force ? ["delete", "--force", id] : ["delete", id];
        const results = await concurrently([del, del]);
        const codes = results.map((r) => r.code).sort();
        if (force) expect({ codes, errors: results.map((r) => r.stderr) }).toEqual({ codes: [0, 0], errors: ["", ""] });
        else {
          expect({ codes }).toEqual({ codes: [0, 1] });
          expect(results.find((r) => r.code === 1)!.stderr).toContain(`container ${id} does not exist`);
        }
        if (pid) expect(deadOrZombie(pid)).toBe(true);
        expect(leftovers(root, id)).toEqual([]);
      }
    }
  });
});

describe("a create in progress holds its container", () => {
  // a createRuntime hook (run by create, on the host) keeps the create busy for a while
  const slowCreate = () => bundle((s) => { s.hooks = { createRuntime: [{ path: "/bin/sleep", args: ["sleep", "1"] }] }; }, ["sleep", "1000"]);
  const spawnCreate = (b: string, id: string) =>
    Bun.spawn([BIN, "--root", root, "create", "-b", b, id], { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
  const whileCreating = async (id: string) => {
    expect(await until(() => md(root, ["state", id]).code === 0)).toBe(true);
    expect(state(id).status).toBe("creating");
  };

  test("state says creating; start waits for the create, then runs the process", async () => {
    const id = track(uniqueId("creating-start"));
    const creating = spawnCreate(slowCreate(), id);
    await whileCreating(id);
    const start = md(root, ["start", id]);
    expect(deadOrZombie(creating.pid)).toBe(true); // the create had finished when start got the container
    expect(await creating.exited).toBe(0);
    expect(start).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(state(id).status).toBe("running");
    expect(md(root, ["delete", "--force", id]).code).toBe(0);
    expect(leftovers(root, id)).toEqual([]);
  });

  test("delete --force waits for the create, then removes everything", async () => {
    const id = track(uniqueId("creating-delete"));
    const creating = spawnCreate(slowCreate(), id);
    await whileCreating(id);
    const { pid } = state(id);
    const del = md(root, ["delete", "--force", id]);
    expect(deadOrZombie(creating.pid)).toBe(true);
    expect(await creating.exited).toBe(0); // not pulled away under it
    expect(del).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(deadOrZombie(pid)).toBe(true);
    expect(leftovers(root, id)).toEqual([]);
  });
});

describe("kill, delete, ps", () => {
  test("kill without a signal sends TERM", async () => {
    const id = track(uniqueId("kill-term"));
    const b = bundle(writable, ["sh", "-c", "trap 'echo TERM > /got; exit 7' TERM; touch /ready; while :; do sleep 0.05; done"]);
    expect(md(root, ["run", "-d", "-b", b, id]).code).toBe(0);
    expect(await until(() => existsSync(`${b}/rootfs/ready`))).toBe(true);
    expect(md(root, ["kill", id])).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(await until(() => state(id).status === "stopped")).toBe(true);
    expect(readFileSync(`${b}/rootfs/got`, "utf8")).toBe("TERM\n");
    expect(md(root, ["delete", id]).code).toBe(0);
  });

  test("kill ID 0 probes liveness: exit 0 while the container runs, 'container not running' once it stopped", async () => {
    const id = track(uniqueId("kill-zero"));
    const b = bundle(writable, ["sh", "-c", "while [ ! -e /stop ]; do sleep 0.05; done"]);
    expect(md(root, ["run", "-d", "-b", b, id]).code).toBe(0);
    expect(md(root, ["kill", id, "0"])).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(md(root, ["kill", "--all", id, "0"])).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(state(id).status).toBe("running"); // nothing was delivered
    writeFileSync(`${b}/rootfs/stop`, "");
    expect(await until(() => state(id).status === "stopped")).toBe(true);
    const stopped = md(root, ["kill", id, "0"]);
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toContain("container not running");
    expect(md(root, ["delete", id]).code).toBe(0);
  });

  test("kill --all signals every process of the container, not only init", async () => {
    const id = track(uniqueId("kill-all"));
    // PID 1 of a pid namespace ignores TERM without a handler; its children do not
    const b = bundle(writable, ["sh", "-c", "sleep 1000 & sleep 1000 & touch /ready; wait; touch /children-gone; sleep 1000"]);
    expect(md(root, ["run", "-d", "-b", b, id]).code).toBe(0);
    expect(await until(() => existsSync(`${b}/rootfs/ready`))).toBe(true);
    const pids = () => JSON.parse(md(root, ["ps", "--format", "json", id]).stdout) as number[];
    expect(await until(() => pids().length === 3)).toBe(true);
    expect(md(root, ["kill", "--all", id, "TERM"]).code).toBe(0);
    expect(await until(() => existsSync(`${b}/rootfs/children-gone`))).toBe(true);
    expect(state(id).status).toBe("running");
    expect(md(root, ["kill", "-a", id, "KILL"]).code).toBe(0);
    expect(await until(() => state(id).status === "stopped")).toBe(true);
    expect(md(root, ["delete", id]).code).toBe(0);
    expect(leftovers(root, id)).toEqual([]);
  });

  test("kill --all on a stopped container signals what is left in its cgroup and exits 0 (runc; containerd relies on it)", async () => {
    const id = track(uniqueId("kill-all-stopped"));
    // no pid namespace of its own: init's child outlives it, in the container's cgroup
    const b = bundle((s) => { s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== "pid"); },
      ["sh", "-c", "sleep 1000 & exit 0"]);
    expect(md(root, ["run", "-d", "-b", b, id]).code).toBe(0);
    expect(await until(() => state(id).status === "stopped")).toBe(true);
    const left = JSON.parse(md(root, ["ps", "--format", "json", id]).stdout) as number[];
    expect(left).toHaveLength(1);
    expect(readFileSync(`/proc/${left[0]}/cmdline`, "utf8")).toBe("sleep\x001000\x00");
    expect(md(root, ["kill", "--all", id, "KILL"])).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(await until(() => deadOrZombie(left[0]!))).toBe(true);
    // nothing left: still 0 (runc too); without --all a stopped container is "not running"
    expect(await until(() => (JSON.parse(md(root, ["ps", "--format", "json", id]).stdout) ?? []).length === 0)).toBe(true);
    expect(md(root, ["kill", "-a", id, "TERM"])).toEqual({ code: 0, stdout: "", stderr: "" });
    const single = md(root, ["kill", id, "KILL"]);
    expect(single.code).toBe(1);
    expect(single.stderr).toContain("container not running");
    expect(md(root, ["delete", id]).code).toBe(0);
    expect(leftovers(root, id)).toEqual([]);
  });

  test("delete --force of a paused container thaws and kills it, leaving nothing", async () => {
    const id = track(uniqueId("paused"));
    expect(md(root, ["run", "-d", "-b", bundle(() => {}, ["sleep", "1000"]), id]).code).toBe(0);
    const { pid } = state(id);
    expect(md(root, ["pause", id]).code).toBe(0);
    expect(state(id).status).toBe("paused");
    expect(md(root, ["delete", id]).stderr).toContain(`cannot delete container ${id} that is not stopped: paused`);
    expect(md(root, ["delete", "--force", id])).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(deadOrZombie(pid)).toBe(true); // its parent (not us) reaps it
    expect(leftovers(root, id)).toEqual([]);
  });

  test("run -d returns at once; ps lists the container's process", () => {
    const id = track(uniqueId("ps"));
    const started = Date.now();
    expect(md(root, ["run", "-d", "-b", bundle(() => {}, ["sleep", "1000"]), id]).code).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    const { pid, status } = state(id);
    expect(status).toBe("running");
    expect(JSON.parse(md(root, ["ps", "--format", "json", id]).stdout)).toEqual([pid]);
    const table = md(root, ["ps", id]).stdout.trim().split("\n");
    expect(table[0]).toMatch(/\bPID\b/);
    expect(table).toHaveLength(2);
    expect(table[1]).toMatch(new RegExp(`^\\S+\\s+${pid}\\s.*sleep 1000$`));
    expect(md(root, ["delete", "--force", id]).code).toBe(0);
  });
});

describe("flags after the container id (runc's urfave/cli moves them before it)", () => {
  const ok = { code: 0, stdout: "", stderr: "" };

  test("run, update, kill, delete honour flags after the id; exec's belong to the process", async () => {
    const id = track(uniqueId("after"));
    const b = bundle(writable, ["sh", "-c", "trap 'echo USR1 > /got' USR1; while :; do sleep 0.05; done"]);
    expect(md(root, ["run", id, "-d", "--bundle", b])).toEqual(ok);
    expect(state(id).status).toBe("running");
    expect(md(root, ["update", id, "--cpuset-cpus", "1", "--pids-limit", "50"])).toEqual(ok);
    // the container sees its new cpuset; the pids limit is in its cgroup
    expect(md(root, ["exec", id, "grep", "Cpus_allowed_list", "/proc/self/status"]).stdout).toMatch(/^Cpus_allowed_list:\s+1\n$/);
    const pidsDir = JSON.parse(readFileSync(`${root}/${id}/state.json`, "utf8")).cgroupPaths.pids as string;
    expect(readFileSync(`${pidsDir}/pids.max`, "utf8").trim()).toBe("50");
    // everything after exec's id is the process's, flags included
    expect(md(root, ["exec", id, "echo", "--cwd", "/x", "-t"])).toEqual({ code: 0, stdout: "--cwd /x -t\n", stderr: "" });
    expect(md(root, ["kill", id, "USR1", "--all"])).toEqual(ok);
    expect(await until(() => existsSync(`${b}/rootfs/got`))).toBe(true);
    const running = md(root, ["delete", id]);
    expect(running.stderr).toContain("that is not stopped: running");
    expect(md(root, ["delete", id, "--force"])).toEqual(ok);
    expect(leftovers(root, id)).toEqual([]);
  });

  test("operands are counted as runc counts them; an extra one is an error and changes nothing", () => {
    const id = track(uniqueId("arity"));
    expect(md(root, ["run", "-d", "-b", bundle(() => {}, ["sleep", "1000"]), id]).code).toBe(0);
    for (const [args, message] of [
      [["delete", "--force", id, "other"], '"delete" requires exactly 1 argument(s)'],
      [["kill", id, "KILL", "extra"], '"kill" requires a maximum of 2 argument(s)'],
      [["list", id], '"list" requires exactly 0 argument(s)'],
      [["state"], '"state" requires exactly 1 argument(s)'],
    ] as const) {
      const r = md(root, [...args]);
      expect({ args, code: r.code }).toEqual({ args, code: 1 });
      expect(r.stderr.replaceAll("\\\"", "\"")).toContain(message); // logrus escapes the quotes
    }
    expect(state(id).status).toBe("running");
    expect(md(root, ["delete", id, "-f"]).code).toBe(0);
  });
});

describe("every flag runc 1.1.5 accepts", () => {
  /** `runc CMD --help`'s flags: [name, takes a value] */
  const runcFlags = (command: string): Array<[string, boolean]> => {
    const help = Bun.spawnSync(["runc", command, "--help"]).stdout.toString();
    return [...help.matchAll(/^\s+(--[a-z0-9-]+)( value)?/gm)].map((m) => [m[1]!, m[2] !== undefined]);
  };
  const COMMANDS = ["checkpoint", "create", "delete", "events", "exec", "features", "kill", "list", "pause", "ps",
    "restore", "resume", "run", "spec", "start", "state", "update"];

  test("is a flag of the same command here (a flag we lack would be 'flag provided but not defined')", () => {
    let checked = 0;
    for (const command of COMMANDS) {
      const flags = runcFlags(command).filter(([flag]) => flag !== "--help");
      // parsing stops at the first flag it does not know (and names it): all known, it reaches the sentinel
      const r = md(root, [command, ...flags.flatMap(([flag, valued]) => (valued ? [flag, "1"] : [flag])), "--zz-sentinel", "x"]);
      expect({ command, code: r.code }).toEqual({ command, code: 1 });
      expect({ command, unknown: r.stderr.match(/flag provided but not defined: (\S+?)"?$/m)?.[1] }).toEqual({ command, unknown: "--zz-sentinel" });
      checked += flags.length;
    }
    expect(checked).toBeGreaterThan(80);
  });

  test("run --keep: the container stays, stopped, until delete; the exit status is returned", async () => {
    const id = track(uniqueId("keep"));
    const b = bundle(() => {}, ["sh", "-c", "exit 6"]);
    expect(md(root, ["run", "--keep", "-b", b, id]).code).toBe(6);
    expect(state(id)).toMatchObject({ id, status: "stopped", pid: 0 });
    expect(md(root, ["delete", id])).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(leftovers(root, id)).toEqual([]);
  });

  test("run --no-subreaper: a process orphaned in the container is reparented past the runtime, not to it", () => {
    // no pid namespace: an orphan goes to the nearest subreaper on the host; $PPID is the runtime
    const orphanParent = "o=$(sh -c 'sleep 3 >/dev/null 2>&1 & echo $!'); sleep 0.3; echo $PPID $(grep PPid /proc/$o/status | cut -f2)";
    const b = bundle((s) => { s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== "pid"); }, ["sh", "-c", orphanParent]);
    const reaped = md(root, ["run", "-b", b, uniqueId("reaper")]).stdout.trim().split(" ");
    expect(reaped).toHaveLength(2);
    expect(reaped[1]).toBe(reaped[0]); // the runtime is the subreaper (by default, as runc)
    const not = md(root, ["run", "--no-subreaper", "-b", b, uniqueId("noreaper")]).stdout.trim().split(" ");
    expect(not).toHaveLength(2);
    expect(not[1]).not.toBe(not[0]);
  });

  test("update --l3-cache-schema / --mem-bw-schema, checkpoint, restore: accepted, refused with one line saying why", () => {
    const id = track(uniqueId("rdt"));
    expect(md(root, ["run", "-d", "-b", bundle(() => {}, ["sleep", "1000"]), id]).code).toBe(0);
    for (const [args, message] of [
      [["update", "--l3-cache-schema", "L3:0=f", id], "Intel RDT (linux.intelRdt) is not supported"],
      [["update", "--mem-bw-schema", "MB:0=70", id], "Intel RDT (linux.intelRdt) is not supported"],
      [["checkpoint", "--image-path", scratch, "--leave-running", id], "checkpoint is not supported"],
      [["restore", "-b", scratch, "--image-path", scratch, id], "restore is not supported"],
    ] as const) {
      const r = md(root, [...args]);
      expect({ args, code: r.code }).toEqual({ args, code: 1 });
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toContain(message);
    }
    expect(state(id).status).toBe("running");
    expect(md(root, ["delete", "-f", id]).code).toBe(0);
  });
});

describe("bad bundles", () => {
  test("malformed JSON in config.json names the file; nothing is left", () => {
    const b = bundle();
    writeFileSync(`${b}/config.json`, '{"ociVersion": "1.3.0", ');
    const id = uniqueId("badjson");
    const r = md(root, ["create", "-b", b, id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${b}/config.json: invalid JSON`);
    expect(leftovers(root, id)).toEqual([]);
  });

  test("--bundle pointing to a file, not a directory: a clear error; nothing is left", () => {
    const b = bundle();
    const id = uniqueId("filebundle");
    const r = md(root, ["create", "-b", `${b}/config.json`, id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`bundle \\\"${b}/config.json\\\": not a directory`);
    expect(leftovers(root, id)).toEqual([]);
  });
});
