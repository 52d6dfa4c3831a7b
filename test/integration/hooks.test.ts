// OCI hooks with real containers: all six kinds in order, each with the state JSON on stdin,
// its `args` and `env`, in the namespace the spec puts it (createContainer/startContainer in the
// container's mount namespace); timeouts; failures that stop the operation and leave nothing
// behind (prestart, createRuntime, createContainer, startContainer) or only warn (poststart,
// poststop); a hook path that does not exist. The hook programs are /bin/sh scripts: on the
// host for every kind but startContainer, which runs after pivot_root, from the container's
// /bin/sh (busybox). They write what they saw into <bundle>/rootfs/hooks, /hooks inside.
import { describe, expect, test, setDefaultTimeout } from "bun:test";
import { existsSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import type { Hook, Spec } from "../../src/spec/types.ts";
import { leftovers, md, processesMentioning, uniqueId } from "./lib.ts";
import { testScope } from "./scope.ts";

// real containers, several runtime calls per test (bunfig's [test] timeout is not applied)
setDefaultTimeout(30_000);

const scope = testScope("hooks");
const root = scope.root;

type Kind = "prestart" | "createRuntime" | "createContainer" | "startContainer" | "poststart" | "poststop";
const KINDS: Kind[] = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"];

/** A hook that logs its kind, saves stdin, argv, env and its mount namespace under $DIR. */
function recordingHook(kind: Kind, dir: string, extra = ""): Hook {
  const script = [
    'echo "$KIND" >> "$DIR/order"',
    'cat > "$DIR/$KIND.json"',
    'echo "$0 $1" > "$DIR/$KIND.args"',
    // the shell's own cmdline (not /proc/$$: createContainer runs in the container's pid namespace under the host's /proc)
    'exec 3< /proc/self/cmdline; tr "\\000" "\\n" <&3 | head -1 > "$DIR/$KIND.argv0"',
    'readlink /proc/self/ns/pid > "$DIR/$KIND.pidns"',
    'readlink /proc/self/ns/mnt > "$DIR/$KIND.mnt"',
    'env | grep -v "^PWD=\\|^SHLVL=\\|^_=" | sort > "$DIR/$KIND.env"',
    extra,
  ].join("; ");
  // busybox (startContainer's /bin/sh) picks its applet by argv[0]
  const argv0 = kind === "startContainer" ? "sh" : "hook-argv0";
  return { path: "/bin/sh", args: [argv0, "-c", script, "first-arg", "second-arg"], env: [`DIR=${dir}`, `KIND=${kind}`] };
}

/** A bundle whose hooks record into <bundle>/rootfs/hooks; `edit` may change them. */
function hookedBundle(edit: (hooks: Record<Kind, Hook[]>, dir: string) => void = () => {}, args = ["sleep", "30"]) {
  const b = scope.bundle((s: Spec) => { s.root!.readonly = false; }, args);
  mkdirSync(`${b}/rootfs/hooks`);
  const hostDir = `${b}/rootfs/hooks`;
  const hooks = Object.fromEntries(KINDS.map((k) => [k, [recordingHook(k, k === "startContainer" ? "/hooks" : hostDir)]])) as Record<Kind, Hook[]>;
  edit(hooks, hostDir);
  const spec = JSON.parse(readFileSync(`${b}/config.json`, "utf8")) as Spec;
  spec.hooks = hooks;
  writeFileSync(`${b}/config.json`, JSON.stringify(spec, null, 2));
  return { bundle: b, dir: hostDir };
}

const read = (path: string) => readFileSync(path, "utf8");
/** stderr's logrus lines as "level: msg" (msg unquoted), so tests compare plain text */
const logged = (stderr: string) => stderr.split("\n").filter(Boolean).map((line) => {
  const m = /level=(\w+) msg=("(?:[^"\\]|\\.)*"|\S*)/.exec(line);
  if (!m) return line;
  return `${m[1]}: ${m[2]!.startsWith('"') ? JSON.parse(m[2]!) : m[2]}`;
}).filter((l) => !l.includes("hooks.prestart: deprecated")).join("\n");

const state = (id: string) => JSON.parse(md(root, ["state", id]).stdout);

describe("hooks run in order with the state, args and env", () => {
  test("all six kinds: order, state JSON on stdin, args, env, namespace", async () => {
    const { bundle, dir } = hookedBundle((h, d) => {
      for (const kind of KINDS) h[kind] = [recordingHook(kind, kind === "startContainer" ? "/hooks" : d, "echo chatty-hook")];
    });
    const id = uniqueId("hooks");
    const created = md(root, ["create", "-b", bundle, id]);
    expect(logged(created.stderr)).toBe("");
    expect(created.stdout).toBe("");
    expect(created.code).toBe(0);
    const pid = state(id).pid;
    const containerMnt = readlinkSync(`/proc/${pid}/ns/mnt`);
    const hostMnt = readlinkSync("/proc/self/ns/mnt");
    const containerPidNs = readlinkSync(`/proc/${pid}/ns/pid`);
    expect(read(`${dir}/order`)).toBe("prestart\ncreateRuntime\ncreateContainer\n");
    const started = md(root, ["start", id]);
    expect(logged(started.stderr)).toBe("");
    expect(started.code).toBe(0);
    expect(read(`${dir}/order`)).toBe("prestart\ncreateRuntime\ncreateContainer\nstartContainer\npoststart\n");
    const killed = md(root, ["kill", id, "KILL"]);
    expect(killed.code).toBe(0);
    for (let i = 0; i < 100 && state(id).status !== "stopped"; i++) await Bun.sleep(20);
    const deleted = md(root, ["delete", id]);
    expect(logged(deleted.stderr)).toBe("");
    expect(read(`${dir}/order`)).toBe(`${KINDS.join("\n")}\n`);

    const expected: Record<Kind, string> = {
      prestart: "creating", createRuntime: "creating", createContainer: "creating",
      startContainer: "created", poststart: "running", poststop: "stopped",
    };
    for (const kind of KINDS) {
      const s = JSON.parse(read(`${dir}/${kind}.json`));
      expect(`${kind} ${s.status}`).toBe(`${kind} ${expected[kind]}`);
      expect(s.id).toBe(id);
      expect(s.pid).toBe(pid); // the host's view of the container's pid (runc gives startContainer its in-namespace pid)
      expect(s.bundle).toBe(bundle);
      expect(s.ociVersion).toBeString();
      expect(read(`${dir}/${kind}.args`)).toBe("first-arg second-arg\n");
      expect(read(`${dir}/${kind}.argv0`)).toBe(`${kind === "startContainer" ? "sh" : "hook-argv0"}\n`);
      const env = read(`${dir}/${kind}.env`);
      expect(env).toContain(`KIND=${kind}\n`);
      expect(env).not.toContain("_MINIDOCKER"); // only the hook's env
      const mnt = read(`${dir}/${kind}.mnt`).trim();
      const inContainer = kind === "createContainer" || kind === "startContainer";
      expect(`${kind} ${mnt}`).toBe(`${kind} ${inContainer ? containerMnt : hostMnt}`);
      const pidNs = read(`${dir}/${kind}.pidns`).trim();
      expect(`${kind} ${pidNs}`).toBe(`${kind} ${inContainer ? containerPidNs : readlinkSync("/proc/self/ns/pid")}`);
    }
    expect(leftovers(root, id)).toEqual([]);
  });
  test("a hook without env inherits the runtime's environment, not init's internals", () => {
    const { bundle, dir } = hookedBundle((h, d) => {
      const dump = (kind: string, to: string) => ({ path: "/bin/sh", args: ["sh", "-c", `env > ${to}/${kind}.inherited`] });
      h.createRuntime = [dump("createRuntime", d)];
      h.createContainer = [dump("createContainer", d)];
      h.startContainer = [dump("startContainer", "/hooks")];
    });
    const id = uniqueId("inherit");
    expect(md(root, ["create", "-b", bundle, id], { env: { FROM_CALLER: "yes" } }).code).toBe(0);
    expect(md(root, ["start", id]).code).toBe(0);
    expect(read(`${dir}/createRuntime.inherited`)).toContain("FROM_CALLER=yes");
    for (const kind of ["createRuntime", "createContainer", "startContainer"]) {
      const env = read(`${dir}/${kind}.inherited`);
      expect(env).toContain("PATH=");
      expect(env).not.toContain("_MINIDOCKER");
    }
    expect(md(root, ["delete", "--force", id]).code).toBe(0);
  });
});

describe("hooks' working directory", () => {
  test("as runc: the bundle for the CLI's hooks, the rootfs for createContainer, / for startContainer", async () => {
    // runc's hooks.bats: a createContainer hook touches ./lib/... (relative to the rootfs) then runs ldconfig
    const { bundle, dir } = hookedBundle((h, d) => {
      for (const kind of KINDS) {
        const to = kind === "startContainer" ? "/hooks" : d;
        h[kind] = [{ path: "/bin/sh", args: ["sh", "-c", `pwd > ${to}/${kind}.cwd`] }];
      }
    });
    const id = uniqueId("cwd");
    // called from the test's directory: the hooks must not inherit it
    const opts = {};
    expect(logged(md(root, ["create", "-b", bundle, id], opts).stderr)).toBe("");
    expect(md(root, ["start", id], opts).code).toBe(0);
    expect(md(root, ["kill", id, "KILL"], opts).code).toBe(0);
    for (let i = 0; i < 100 && state(id).status !== "stopped"; i++) await Bun.sleep(20);
    expect(md(root, ["delete", id], opts).code).toBe(0);
    const cwds = Object.fromEntries(KINDS.map((k) => [k, read(`${dir}/${k}.cwd`).trim()]));
    expect(cwds).toEqual({
      prestart: bundle, createRuntime: bundle, createContainer: `${bundle}/rootfs`,
      startContainer: "/", poststart: bundle, poststop: bundle,
    });
  });
});

describe("failing hooks", () => {
  for (const kind of ["prestart", "createRuntime", "createContainer"] as const) {
    test(`${kind} exits 3: create fails naming the hook, nothing left behind`, () => {
      const { bundle, dir } = hookedBundle((h, d) => { h[kind] = [recordingHook(kind, d, "echo hook-says; echo hook-complains >&2; exit 3")]; });
      const id = uniqueId(`fail-${kind}`);
      const r = md(root, ["create", "-b", bundle, id]);
      expect(r.code).toBe(1);
      expect(logged(r.stderr)).toContain(`hook ${kind}[0] "/bin/sh": exit status 3`);
      expect(logged(r.stderr)).toContain("stdout: hook-says, stderr: hook-complains");
      expect(r.stdout).toBe(""); // a hook's output never reaches the runtime's (the container's) stdout
      expect(leftovers(root, id)).toEqual([]);
      expect(md(root, ["state", id]).code).toBe(1);
      expect(read(`${dir}/order`)).not.toContain("startContainer");
      expect(existsSync(`${dir}/poststop.json`)).toBe(false); // poststop is for deleted containers that were created
    });
  }

  test("startContainer exits 3: start fails with the hook's error, the process never runs", () => {
    const { bundle, dir } = hookedBundle((h) => {
      h.startContainer = [{ path: "/bin/sh", args: ["sh", "-c", "echo from-start >&2; exit 3"] }];
    }, ["sh", "-c", "touch /process-ran; sleep 30"]);
    const id = uniqueId("fail-start");
    expect(md(root, ["create", "-b", bundle, id]).code).toBe(0);
    const r = md(root, ["start", id]);
    expect(r.code).toBe(1);
    expect(logged(r.stderr)).toContain('hook startContainer[0] "/bin/sh": exit status 3');
    expect(logged(r.stderr)).toContain("from-start");
    Bun.sleepSync(100);
    expect(existsSync(`${bundle}/rootfs/process-ran`)).toBe(false);
    expect(existsSync(`${dir}/poststart.json`)).toBe(false);
    expect(state(id).status).toBe("stopped");
    expect(md(root, ["delete", id]).code).toBe(0);
    expect(leftovers(root, id)).toEqual([]);
  });

  test("startContainer fails under `run`: run fails and removes the container", () => {
    const { bundle } = hookedBundle((h) => { h.startContainer = [{ path: "/bin/false" }]; }, ["true"]);
    const id = uniqueId("fail-run");
    const r = md(root, ["run", "-b", bundle, id]);
    expect(r.code).toBe(1);
    expect(logged(r.stderr)).toContain("hook startContainer[0]");
    expect(leftovers(root, id)).toEqual([]);
  });

  test("poststart fails: a warning, the next poststart hook still runs, the container runs", () => {
    const { bundle, dir } = hookedBundle((h, d) => {
      h.poststart = [{ path: "/bin/sh", args: ["sh", "-c", "exit 7"] }, recordingHook("poststart", d)];
    });
    const id = uniqueId("poststart");
    expect(md(root, ["create", "-b", bundle, id]).code).toBe(0);
    const r = md(root, ["start", id]);
    expect(logged(r.stderr)).toContain("warning: ");
    expect(r.code).toBe(0);
    expect(logged(r.stderr)).toContain('hook poststart[0] "/bin/sh": exit status 7');
    expect(existsSync(`${dir}/poststart.json`)).toBe(true);
    expect(state(id).status).toBe("running");
    expect(md(root, ["delete", "--force", id]).code).toBe(0);
  });

  test("poststop fails: a warning, delete succeeds and removes everything", () => {
    const { bundle, dir } = hookedBundle((h, d) => {
      h.poststop = [{ path: "/bin/sh", args: ["sh", "-c", "exit 9"] }, recordingHook("poststop", d)];
    }, ["true"]);
    const id = uniqueId("poststop");
    expect(md(root, ["create", "-b", bundle, id]).code).toBe(0);
    const r = md(root, ["delete", "--force", id]);
    expect(r.code).toBe(0);
    expect(logged(r.stderr)).toContain('hook poststop[0] "/bin/sh": exit status 9');
    expect(existsSync(`${dir}/poststop.json`)).toBe(true);
    expect(leftovers(root, id)).toEqual([]);
  });
});

describe("timeouts and bad paths", () => {
  for (const kind of ["createRuntime", "createContainer"] as const) {
    test(`a ${kind} hook sleeping past its timeout fails create; nothing left, the hook is killed`, () => {
      const { bundle } = hookedBundle((h) => {
        h[kind] = [{ path: "/bin/sleep", args: ["sleep", "60.25"], timeout: 1 }];
      });
      const id = uniqueId(`timeout-${kind}`);
      const t0 = Date.now();
      const r = md(root, ["create", "-b", bundle, id], { timeoutMs: 90_000 });
      // far below the hook's 60 s, far above what a loaded 2-core CI machine adds: create did not wait for it
      expect(Date.now() - t0).toBeLessThan(45_000);
      expect(r.code).toBe(1);
      expect(logged(r.stderr)).toContain(`hook ${kind}[0] "/bin/sleep": timed out after 1s`);
      expect(leftovers(root, id)).toEqual([]);
      expect(processesMentioning("sleep\x0060.25")).toEqual([]); // the hook was killed
    });
  }

  test("a hook within its timeout succeeds", () => {
    const { bundle } = hookedBundle((h) => { h.prestart = [{ path: "/bin/sleep", args: ["sleep", "0.2"], timeout: 5 }]; });
    const id = uniqueId("in-time");
    const r = md(root, ["create", "-b", bundle, id]);
    expect(logged(r.stderr)).toBe("");
    expect(r.code).toBe(0);
    expect(md(root, ["delete", "--force", id]).code).toBe(0);
  });

  for (const kind of ["prestart", "createContainer"] as const) {
    test(`a ${kind} hook path that does not exist: clear error naming it, nothing left`, () => {
      const { bundle } = hookedBundle((h) => { h[kind] = [{ path: "/no/such/hook" }]; });
      const id = uniqueId("nohook");
      const r = md(root, ["create", "-b", bundle, id]);
      expect(r.code).toBe(1);
      expect(logged(r.stderr)).toContain(`hook ${kind}[0] "/no/such/hook"`);
      expect(logged(r.stderr)).toMatch(/ENOENT|no such file/i);
      expect(leftovers(root, id)).toEqual([]);
    });
  }
});
