// Real kernel, no container: test/fixtures/apply-process-security.ts applies a Process spec to a
// multi-threaded Bun process on its JS thread and execve's busybox from it, which reports what
// it got. Needs root with CAP_SETPCAP, CAP_SETUID, CAP_SETGID (not CAP_SYS_RESOURCE) and
// /bin/busybox (Debian: busybox-static).
import { describe, expect, test } from "bun:test";

const DRIVER = `${import.meta.dir}/../fixtures/apply-process-security.ts`;
const BUSYBOX = "/bin/busybox";
const REPORT = [
  `${BUSYBOX} grep -E '^(Cap|NoNewPrivs|Groups|Uid|Gid)' /proc/self/status`,
  "ulimit -n; ulimit -Hn; ulimit -c",
  "echo umask=$(umask)",
  `echo oom=$(${BUSYBOX} cat /proc/self/oom_score_adj)`,
  "echo HOME=$HOME",
  `echo stat=$(${BUSYBOX} cut -d' ' -f19,41 /proc/self/stat)`, // nice, policy
  `echo ionice=$(${BUSYBOX} ionice)`,
  `echo machine=$(${BUSYBOX} uname -m)`,
].join("; ");

async function run(process: object, personality?: object) {
  const spec = { process: { args: [BUSYBOX, "sh", "-c", REPORT], env: ["PATH=/nonexistent"], ...process }, personality };
  // pipes for stdio: the driver chowns fds 0-2 to the container user, as runc does
  const child = Bun.spawn([globalThis.process.execPath, DRIVER, JSON.stringify(spec)], {
    stdin: "pipe", stdout: "pipe", stderr: "pipe",
  });
  child.stdin.end();
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited,
  ]);
  const fields = new Map<string, string>();
  for (const line of stdout.split("\n")) {
    const m = /^([A-Za-z]+)[:=]\s*(.*)$/.exec(line);
    if (m) fields.set(m[1]!, m[2]!.trim().replace(/\s+/g, " "));
  }
  const limits = stdout.split("\n").filter((line) => /^(\d+|unlimited)$/.test(line));
  return { exitCode, stdout, stderr, fields, limits };
}

const NET_BIND_SERVICE = ["CAP_NET_BIND_SERVICE"];
const allSets = (names: string[]) =>
  ({ bounding: names, effective: names, permitted: names, inheritable: names, ambient: names });

describe("process security applied on the JS thread, then execve", () => {
  test("uid 1000 keeps CAP_NET_BIND_SERVICE through ambient; NNP, groups, rlimits, umask, oom", async () => {
    const r = await run({
      user: { uid: 1000, gid: 1001, additionalGids: [10, 20], umask: 0o027 },
      capabilities: allSets(NET_BIND_SERVICE),
      rlimits: [{ type: "RLIMIT_NOFILE", soft: 1024, hard: 4096 }, { type: "RLIMIT_CORE", soft: 0, hard: 0 }],
      noNewPrivileges: true,
      oomScoreAdj: 500,
    });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    for (const set of ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"])
      expect(`${set} ${r.fields.get(set)}`).toBe(`${set} 0000000000000400`);
    expect(r.fields.get("Uid")).toBe("1000 1000 1000 1000");
    expect(r.fields.get("Gid")).toBe("1001 1001 1001 1001");
    expect(r.fields.get("Groups")).toBe("10 20");
    expect(r.fields.get("NoNewPrivs")).toBe("1");
    expect(r.limits).toEqual(["1024", "4096", "0"]);
    expect(r.fields.get("umask")).toBe("0027");
    expect(r.fields.get("oom")).toBe("500");
  });

  test("root with runc's default caps: bounding = permitted = effective, no ambient, groups cleared", async () => {
    const defaults = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"];
    const r = await run({
      user: { uid: 0, gid: 0 },
      capabilities: { bounding: defaults, effective: defaults, permitted: defaults },
    });
    expect(r.exitCode).toBe(0);
    const mask = ((1n << 29n) | (1n << 5n) | (1n << 10n)).toString(16).padStart(16, "0");
    expect(r.fields.get("CapBnd")).toBe(mask);
    expect(r.fields.get("CapPrm")).toBe(mask);
    expect(r.fields.get("CapEff")).toBe(mask);
    expect(r.fields.get("CapInh")).toBe("0000000000000000");
    expect(r.fields.get("CapAmb")).toBe("0000000000000000");
    expect(r.fields.get("Uid")).toBe("0 0 0 0");
    expect(r.fields.get("Groups")).toBe("");
    expect(r.fields.get("NoNewPrivs")).toBe("0");
    expect(r.fields.get("umask")).toBe("0022"); // runc's default
    expect(r.fields.get("HOME")).toBe("/root"); // from /etc/passwd
  });

  test("no capabilities object: everything dropped, HOME / for a uid without passwd entry", async () => {
    const r = await run({ user: { uid: 54321, gid: 54321 } });
    expect(r.exitCode).toBe(0);
    for (const set of ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"])
      expect(`${set} ${r.fields.get(set)}`).toBe(`${set} 0000000000000000`);
    expect(r.fields.get("HOME")).toBe("/");
  });

  test("unknown capability names warn and are skipped", async () => {
    const r = await run({ user: { uid: 0, gid: 0 }, capabilities: allSets(["CAP_KILL", "CAP_FLY"]) });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe("warning: ignoring unknown or unavailable capabilities: CAP_FLY\n");
    expect(r.fields.get("CapBnd")).toBe("0000000000000020");
    expect(r.fields.get("CapAmb")).toBe("0000000000000020");
  });

  test("scheduler, I/O priority and personality", async () => {
    const r = await run(
      { user: { uid: 0, gid: 0 }, scheduler: { policy: "SCHED_BATCH", nice: 7 }, ioPriority: { class: "IOPRIO_CLASS_BE", priority: 6 } },
      { domain: "LINUX32" },
    );
    expect(r.stderr).toBe("");
    expect(r.fields.get("stat")).toBe("7 3"); // nice 7, SCHED_BATCH
    expect(r.fields.get("ionice")).toBe("best-effort: prio 6");
    expect(r.fields.get("machine")).toMatch(/^(i686|armv8l)$/);
  });

  test("an rlimit above the hard limit fails, naming the rlimit and values", async () => {
    const r = await run({ rlimits: [{ type: "RLIMIT_NOFILE", soft: 1024, hard: 1_000_000_000 }] });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('"RLIMIT_NOFILE soft=1024 hard=1000000000": EPERM');
    expect(r.stdout).toBe("");
  });
});

// The same Process under runc (1.1.5 here: no scheduler/ioPriority yet), line by line.
// Needs `runc` on PATH (Debian: apt install runc).
describe("same result as runc", () => {
  test("uid 1000, ambient CAP_NET_BIND_SERVICE, NNP, rlimits, umask, oom_score_adj", async () => {
    const { mkdtempSync, mkdirSync, copyFileSync, writeFileSync, rmSync } = await import("node:fs");
    const processSpec = {
      user: { uid: 1000, gid: 1001, additionalGids: [10, 20], umask: 0o027 },
      capabilities: allSets(NET_BIND_SERVICE),
      rlimits: [{ type: "RLIMIT_NOFILE", soft: 1024, hard: 4096 }, { type: "RLIMIT_CORE", soft: 0, hard: 0 }],
      noNewPrivileges: true,
      oomScoreAdj: 500,
    };
    const ours = await run(processSpec);

    const dir = mkdtempSync("/tmp/minidocker-procsec-");
    try {
      mkdirSync(`${dir}/bundle/rootfs/bin`, { recursive: true });
      for (const d of ["proc", "dev", "sys", "etc", "tmp"]) mkdirSync(`${dir}/bundle/rootfs/${d}`);
      copyFileSync(BUSYBOX, `${dir}/bundle/rootfs/bin/busybox`);
      writeFileSync(`${dir}/bundle/rootfs/etc/passwd`, "root:x:0:0:root:/root:/bin/sh\n");
      const spec = Bun.spawnSync(["runc", "spec", "--bundle", `${dir}/bundle`]);
      expect(spec.exitCode).toBe(0);
      const config = JSON.parse(await Bun.file(`${dir}/bundle/config.json`).text());
      config.process = { ...config.process, ...processSpec, terminal: false, cwd: "/",
        args: [BUSYBOX, "sh", "-c", REPORT], env: ["PATH=/nonexistent"] };
      config.root.readonly = false;
      writeFileSync(`${dir}/bundle/config.json`, JSON.stringify(config));
      const runc = Bun.spawnSync(["runc", "--root", `${dir}/state`, "run", "--bundle", `${dir}/bundle`, `procsec-${process.pid}`],
        { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
      expect(runc.stderr.toString()).toBe("");
      const theirs = runc.stdout.toString().split("\n");
      const compared = /^(Cap|NoNewPrivs|Groups|Uid|Gid|umask|oom|\d+$|unlimited$)/;
      const oursCompared = ours.stdout.split("\n").filter((l) => compared.test(l));
      expect(oursCompared.length).toBe(14); // 5 Cap, NoNewPrivs, Groups, Uid, Gid, 3 limits, umask, oom
      expect(oursCompared).toEqual(theirs.filter((l) => compared.test(l)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
