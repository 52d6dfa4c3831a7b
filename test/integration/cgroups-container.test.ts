// cgroups with REAL containers on this host (cgroup v1, or hybrid: v1 controllers + an empty
// unified mount): limits enforced inside a container, and the commands around them — events,
// pause/resume, update, ps, kill --all, delete — plus refused limits that leave nothing behind.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { cgroupVersion } from "../../src/cgroups/manager.ts";
import { joinCgroupPath, parseProcCgroup } from "../../src/cgroups/paths.ts";
import { parseMountinfo } from "../../src/sys/mountinfo.ts";
import type { Spec } from "../../src/spec/types.ts";
import { defineExistingCgroupTests } from "./cgroups-existing.ts";
import { BIN, leftovers, makeBundle, makeRoot, md, REPO, removeBundle, uniqueId } from "./lib.ts";

const MiB = 1024 * 1024;
const root = makeRoot();
const cleanups: Array<() => void> = [];
const bundle = (...a: Parameters<typeof makeBundle>) => {
  const b = makeBundle(...a);
  cleanups.push(() => removeBundle(b));
  return b;
};
afterAll(() => {
  // a test that failed half-way leaves its container running: never leave it (or its cgroup) behind
  for (const id of md(root, ["list", "-q"]).stdout.split("\n").filter(Boolean)) md(root, ["delete", "--force", id]);
  for (const undo of cleanups) undo();
  rmSync(root, { recursive: true, force: true });
});

const V1 = cgroupVersion() === 1;
/** Our own cgroups: without cgroupsPath a container lands in "<id>" below the caller's cgroup, per hierarchy (runc). */
const ownCgroup = parseProcCgroup(readFileSync("/proc/self/cgroup", "utf8"));
const defaultCgroupPath = (controller: string, id: string) => joinCgroupPath(ownCgroup.get(controller) ?? "/", id);
/** A container's directory in one v1 hierarchy, for a container without cgroupsPath. */
const cgroupDir = (controller: string, id: string) => `/sys/fs/cgroup/${controller}${defaultCgroupPath(controller, id)}`;
/** A /proc/PID/cgroup line "N:controllers:path" of a container without cgroupsPath started by us. */
const expectDefaultCgroupLine = (line: string, id: string) => {
  const [, controllers, path] = line.split(":");
  expect(path).toBe(defaultCgroupPath(controllers!.split(",")[0] || "", id));
};
const cgroupFileAt = (controller: string, path: string, file: string) => readFileSync(`/sys/fs/cgroup/${controller}/${path}/${file}`, "utf8").trim();
const cgroupFile = (controller: string, id: string, file: string) => readFileSync(`${cgroupDir(controller, id)}/${file}`, "utf8").trim();
const flatKeyed = (text: string) => Object.fromEntries(text.split("\n").filter(Boolean).map((l) => l.split(/\s+/)).map(([k, v]) => [k, Number(v)]));

/** stderr with logrus' `msg="…"` quoting undone, so messages can be matched as written. */
const errorText = (r: { stderr: string }) =>
  r.stderr.replace(/msg="((?:[^"\\]|\\.)*)"/g, (_, quoted: string) => JSON.parse(`"${quoted}"`));
const status = (id: string) => JSON.parse(md(root, ["state", id]).stdout).status as string;
async function until(cond: () => boolean, ms = 10_000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await Bun.sleep(25);
  }
  return true;
}

/** The lab bundle (bundles/lab: 64M memory limit, read-only busybox root, ro cgroup mount) with other args. */
function labBundle(args: string[], edit: (spec: Spec) => void = () => {}): string {
  const dir = mkdtempSync(`${tmpdir()}/md-lab-`);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const spec = JSON.parse(readFileSync(`${REPO}/bundles/lab/config.json`, "utf8")) as Spec;
  spec.root!.path = `${REPO}/bundles/busybox/rootfs`;
  spec.process!.args = args;
  edit(spec);
  writeFileSync(`${dir}/config.json`, JSON.stringify(spec));
  return dir;
}

/** `create` with the container's stdout/stderr kept in a file (read it with `output()`). */
function createKeepingOutput(b: string, id: string) {
  const file = `${tmpdir()}/md-cg-out-${id}`;
  cleanups.push(() => rmSync(file, { force: true }));
  const p = Bun.spawnSync([BIN, "--root", root, "create", "-b", b, id], { stdout: Bun.file(file), stderr: Bun.file(file), stdin: "ignore" });
  expect(p.exitCode).toBe(0);
  return { output: () => readFileSync(file, "utf8") };
}

/** A background `events` process; `lines()` once it ended (it ends when the container stops). */
function eventsProcess(id: string, interval = "1s") {
  const p = Bun.spawn([BIN, "--root", root, "events", "--interval", interval, id], { stdout: "pipe", stderr: "pipe" });
  return {
    async lines() {
      const timer = setTimeout(() => p.kill(9), 60_000);
      const text = await new Response(p.stdout).text();
      await p.exited;
      clearTimeout(timer);
      return text.split("\n").filter(Boolean).map((l) => JSON.parse(l));
    },
  };
}

function removeContainer(id: string) {
  const r = md(root, ["delete", "--force", id]);
  expect(r.stderr).toBe("");
  expect(leftovers(root, id)).toEqual([]);
}

const diskWithoutBfq = (() => { try { return !readFileSync("/sys/dev/block/254:0/queue/scheduler", "utf8").includes("[bfq]"); } catch { return false; } })();
const hog = "head -c 100m /dev/zero | tail >/dev/null; echo tail=$?";

describe.if(V1)("cgroups in real containers (v1 host)", () => {
  defineExistingCgroupTests(root);

  test("lab bundle: 100M allocated under the 64M limit is OOM-killed and `events` reports the oom", async () => {
    const id = uniqueId("oom");
    const c = createKeepingOutput(labBundle(["sh", "-c", `sleep 0.5; ${hog}`]), id);
    expect(cgroupFile("memory", id, "memory.limit_in_bytes")).toBe(String(64 * MiB));
    const events = eventsProcess(id);
    expect(md(root, ["start", id]).code).toBe(0);
    const lines = await events.lines(); // ends when the container stops
    expect(c.output()).toContain("tail=137"); // SIGKILL
    expect(lines.filter((l) => l.type === "oom")).toEqual([{ type: "oom", id }]);
    const stats = lines.find((l) => l.type === "stats");
    expect(stats.id).toBe(id);
    expect(Object.keys(stats.data)).toEqual(["cpu", "cpuset", "memory", "pids", "blkio", "hugetlb", "intel_rdt", "network_interfaces"]);
    expect(stats.data.memory.usage.limit).toBe(64 * MiB);
    // the kernel's own count, on the host
    expect(flatKeyed(cgroupFile("memory", id, "memory.oom_control")).oom_kill).toBe(1);
    expect(Number(cgroupFile("memory", id, "memory.failcnt"))).toBeGreaterThan(0);
    expect(status(id)).toBe("stopped");
    removeContainer(id);
  });

  test("the same pipeline really allocates 100M: it completes under a 256M limit, peak usage >= 100M", async () => {
    const id = uniqueId("fits");
    const c = createKeepingOutput(labBundle(["sh", "-c", hog], (s) => { s.linux!.resources!.memory = { limit: 256 * MiB }; }), id);
    expect(md(root, ["start", id]).code).toBe(0);
    expect(await until(() => status(id) === "stopped", 60_000)).toBe(true); // 100M through a pipe: slow on a loaded host
    expect(c.output()).toContain("tail=0");
    expect(Number(cgroupFile("memory", id, "memory.max_usage_in_bytes"))).toBeGreaterThanOrEqual(100 * MiB);
    expect(flatKeyed(cgroupFile("memory", id, "memory.oom_control")).oom_kill).toBe(0);
    removeContainer(id);
  });

  test("`events --stats` reports the oom in the memory failcnt of a running container", async () => {
    const id = uniqueId("oomstat");
    const b = labBundle(["sh", "-c", `${hog}; sleep 30`]);
    expect(md(root, ["run", "-d", "-b", b, id]).code).toBe(0);
    expect(await until(() => flatKeyed(cgroupFile("memory", id, "memory.oom_control")).oom_kill === 1, 60_000)).toBe(true);
    const r = md(root, ["events", "--stats", id]);
    expect(r.code).toBe(0);
    const event = JSON.parse(r.stdout);
    expect(event.type).toBe("stats");
    expect(event.data.memory.usage.failcnt).toBeGreaterThan(0);
    expect(event.data.memory.usage.max).toBeGreaterThanOrEqual(60 * MiB);
    removeContainer(id);
  });

  test("inside: /sys/fs/cgroup shows the container's own cgroup (64M), with and without a cgroup namespace", () => {
    const script = "cat /sys/fs/cgroup/memory/memory.limit_in_bytes; grep memory /proc/self/cgroup";
    const plainId = uniqueId("cgmnt");
    const plain = md(root, ["run", "-b", labBundle(["sh", "-c", script]), plainId]);
    expect(plain.stderr).toBe("");
    expect(plain.stdout).toMatch(new RegExp(`^67108864\\n\\d+:memory:${defaultCgroupPath("memory", plainId)}\\n$`));
    const id = uniqueId("cgns");
    const ns = md(root, ["run", "-b", labBundle(["sh", "-c", `${script}; cat /proc/self/cgroup`], (s) => {
      s.linux!.namespaces!.push({ type: "cgroup" });
    }), id]);
    expect(ns.stderr).toBe("");
    const [limit, ...cgroupLines] = ns.stdout.trim().split("\n");
    expect(limit).toBe("67108864");
    // every hierarchy the container joined is its root inside the namespace
    for (const line of cgroupLines) if (/:(memory|pids|cpu|freezer|devices|blkio|cpuset|cpuacct):/.test(line)) expect(line).toMatch(/:\/$/);
    expect(leftovers(root, id)).toEqual([]);
  });

  test("a stray plain directory under /sys/fs/cgroup (no hierarchy mounted) is no hierarchy: run works, nothing is made in it", () => {
    // In a private mount namespace, so the host's /sys/fs/cgroup is never touched: a fresh tmpfs with
    // binds of the real hierarchies and two stray directories, moved over /sys/fs/cgroup.
    const id = uniqueId("stray");
    const b = bundle(() => {}, ["sh", "-c", "cat /proc/self/cgroup"]);
    // binds of the mounted hierarchies only (the host may have stray dirs of its own: podman's cgroupfs manager makes them)
    const hierarchies = parseMountinfo(readFileSync("/proc/self/mountinfo", "utf8"))
      .filter((m) => /^cgroup2?$/.test(m.fstype) && /^\/sys\/fs\/cgroup\/[^/]+$/.test(m.mountPoint)).map((m) => m.mountPoint);
    const script = `
      T=$(mktemp -d) && mount -t tmpfs -o mode=755 tmpfs "$T" || exit 99
      for d in ${hierarchies.map((h) => `'${h}'`).join(" ")}; do n=\${d##*/}; mkdir "$T/$n" && mount --bind "$d" "$T/$n" || exit 99; done
      for d in /sys/fs/cgroup/*; do [ -L "$d" ] && cp -P "$d" "$T/\${d##*/}"; done
      mkdir "$T/hugetlb" "$T/net_cls,net_prio" && mount --move "$T" /sys/fs/cgroup || exit 99
      "$0" --root "$1" run -b "$2" "$3"; echo "rc=$?"
      find /sys/fs/cgroup/hugetlb "/sys/fs/cgroup/net_cls,net_prio"`;
    const p = Bun.spawnSync(["unshare", "-m", "--propagation", "private", "sh", "-c", script, BIN, root, b, id],
      { stdin: "ignore", timeout: 30_000 });
    const out = p.stdout.toString();
    expect(p.stderr.toString()).toBe("");
    expect(out).toContain(`:memory:${defaultCgroupPath("memory", id)}\n`);
    expect(out).toEndWith("rc=0\n/sys/fs/cgroup/hugetlb\n/sys/fs/cgroup/net_cls,net_prio\n"); // still empty
    expect(leftovers(root, id)).toEqual([]);
  });

  test("exec --cgroup joins a sub-cgroup of the container's: PATH for all, CONTROLLER:PATH for some; bad ones refused (runc 1.1)", () => {
    const id = uniqueId("subcg");
    expect(md(root, ["run", "-d", "-b", bundle(() => {}, ["sleep", "100"]), id]).code).toBe(0);
    try {
      const dirs = [...new Set(Object.values(JSON.parse(readFileSync(`${root}/${id}/state.json`, "utf8")).cgroupPaths as Record<string, string>))];
      for (const dir of dirs) {
        mkdirSync(`${dir}/s1`);
        // a new cpuset cgroup has no cpus: nothing could join it (runc leaves that to the caller too)
        if (existsSync(`${dir}/cpuset.cpus`)) for (const f of ["cpuset.cpus", "cpuset.mems"]) writeFileSync(`${dir}/s1/${f}`, readFileSync(`${dir}/${f}`));
      }
      mkdirSync(`${cgroupDir("memory", id)}/s2`);
      const all = md(root, ["exec", "--cgroup", "s1", id, "cat", "/proc/self/cgroup"]);
      expect(all.stderr).toBe("");
      for (const line of all.stdout.trim().split("\n")) expect(line).toEndWith(`/${id}/s1`);
      const some = md(root, ["exec", "--cgroup", "memory:s2", "--cgroup", "pids,freezer:s1", id, "cat", "/proc/self/cgroup"]);
      expect(some.stderr).toBe("");
      const lines = some.stdout.trim().split("\n");
      expect(lines.find((l) => l.includes(":memory:"))).toEndWith(`/${id}/s2`);
      expect(lines.find((l) => l.includes(":pids:"))).toEndWith(`/${id}/s1`);
      expect(lines.find((l) => l.includes(":freezer:"))).toEndWith(`/${id}/s1`);
      expect(lines.find((l) => l.includes(":cpu:"))).toEndWith(`/${id}`);
      for (const [arg, message] of [["nosuch", 'sub-cgroup "nosuch" does not exist'], ["../x", "climbs out"],
        ["a:b:c", "invalid --cgroup argument: a:b:c"], ["nosuchcontroller:s1", 'controller "nosuchcontroller" is not one of the container\'s']]) {
        const r = md(root, ["exec", "--cgroup", arg!, id, "true"]);
        expect({ code: r.code, message: errorText(r).includes(message!) }).toEqual({ code: 255, message: true });
      }
      expect(md(root, ["delete", "--force", id]).code).toBe(0); // sub-cgroups go with it
      expect(leftovers(root, id)).toEqual([]);
    } finally {
      md(root, ["delete", "--force", id]);
    }
  });

  test("create: init is in the container's cgroup in every hierarchy, with and without a user namespace", () => {
    for (const userns of [false, true]) {
      const id = uniqueId(userns ? "cg-join-userns" : "cg-join");
      const b = bundle((s) => {
        s.mounts = s.mounts!.filter((m) => !m.destination.startsWith("/sys"));
        if (userns) {
          s.linux!.namespaces!.push({ type: "user" });
          s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
          s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        }
      }, ["sh", "-c", "cat /proc/self/cgroup"]);
      const created = createKeepingOutput(b, id);
      const state = JSON.parse(readFileSync(`${root}/${id}/state.json`, "utf8"));
      // before start: the pid (init, cloned into the unified part, its own thread moved into the v1 ones)
      const dirs = [...new Set(Object.values(state.cgroupPaths as Record<string, string>))];
      expect(dirs.length).toBeGreaterThan(3);
      for (const dir of dirs) expect(readFileSync(`${dir}/cgroup.procs`, "utf8").split("\n")).toContain(String(state.pid));
      const initView = readFileSync(`/proc/${state.pid}/cgroup`, "utf8").trim().split("\n");
      expect(initView.length).toBeGreaterThan(3);
      for (const line of initView) expectDefaultCgroupLine(line, id);
      expect(md(root, ["start", id]).code).toBe(0);
      for (let i = 0; i < 300 && status(id) !== "stopped"; i++) Bun.sleepSync(10);
      expect(md(root, ["delete", id]).code).toBe(0);
      // what the process saw: the same cgroup everywhere
      const seen = created.output().trim().split("\n");
      expect(seen.length).toBe(initView.length);
      for (const line of seen) expectDefaultCgroupLine(line, id);
      expect(leftovers(root, id)).toEqual([]);
    }
  });

  test("the pids limit refuses a fork inside the container", () => {
    const id = uniqueId("pids");
    const b = bundle((s) => { s.linux!.resources = { pids: { limit: 4 } }; },
      ["sh", "-c", "for i in 1 2 3 4 5 6; do sleep 2 & done; echo forked"]);
    const r = md(root, ["run", "-b", b, id]);
    expect({ ...r, stderr: r.stderr.slice(0, 300) }).toMatchObject({ code: 2, stdout: "", stderr: expect.stringContaining("can't fork: Resource temporarily unavailable") });
    expect(leftovers(root, id)).toEqual([]);
  });

  test("exec works in a container whose pids limit is nearly used up (init joins the cgroup at its execve)", () => {
    const id = uniqueId("pidsexec");
    const b = bundle((s) => { s.linux!.resources = { pids: { limit: 3 } }; }, ["sleep", "100"]);
    expect(md(root, ["run", "-d", "-b", b, id]).code).toBe(0);
    try {
      const r = md(root, ["exec", id, "sh", "-c", "cat /sys/fs/cgroup/pids/pids.current"]);
      expect({ code: r.code, stdout: r.stdout.trim(), stderr: r.stderr }).toEqual({ code: 0, stdout: "2", stderr: "" });
    } finally {
      md(root, ["delete", "--force", id]);
    }
    expect(leftovers(root, id)).toEqual([]);
  });

  test("a CPU quota throttles a busy loop (nr_throttled grows; events --stats says so); kill --all stops it", async () => {
    const id = uniqueId("cpu");
    const b = bundle((s) => { s.linux!.resources = { cpu: { quota: 20_000, period: 100_000 } }; }, ["sh", "-c", "while :; do :; done"]);
    expect(md(root, ["run", "-d", "-b", b, id]).code).toBe(0);
    const used = () => Number(cgroupFile("cpuacct", id, "cpuacct.usage"));
    const start = used(), t0 = Date.now();
    await Bun.sleep(1500);
    const share = (used() - start) / 1e6 / (Date.now() - t0);
    expect(share).toBeLessThan(0.3); // 20 % allowed
    expect(share).toBeGreaterThan(0.01); // it runs (on a loaded 2-core host it may get less than its 20 %)
    // throttled once it used its 20 ms in a period: on a busy host that may take more periods
    expect(await until(() => flatKeyed(cgroupFile("cpu", id, "cpu.stat")).nr_throttled > 5, 20_000)).toBe(true);
    const stats = JSON.parse(md(root, ["events", "--stats", id]).stdout).data;
    expect(stats.cpu.throttling.throttledPeriods).toBeGreaterThan(5);
    expect(md(root, ["kill", "--all", id, "KILL"]).code).toBe(0);
    expect(await until(() => status(id) === "stopped")).toBe(true);
    expect(md(root, ["delete", id]).code).toBe(0);
    expect(leftovers(root, id)).toEqual([]);
  });

  test("pause: status paused and no progress; resume: running and progress again", async () => {
    const id = uniqueId("pause");
    const b = bundle((s) => { s.root!.readonly = false; },
      ["sh", "-c", "i=0; while :; do i=$((i+1)); echo $i > /count; sleep 0.02; done"]);
    const count = () => Number(readFileSync(`${b}/rootfs/count`, "utf8").trim() || 0);
    expect(md(root, ["run", "-d", "-b", b, id]).code).toBe(0);
    expect(await until(() => existsSync(`${b}/rootfs/count`) && count() > 3)).toBe(true);
    expect(md(root, ["pause", id]).code).toBe(0);
    expect(status(id)).toBe("paused");
    expect(cgroupFile("freezer", id, "freezer.state")).toBe("FROZEN");
    const frozenAt = count();
    await Bun.sleep(500);
    expect(count()).toBe(frozenAt);
    expect(md(root, ["pause", id]).stderr).toContain("container not running");
    expect(md(root, ["resume", id]).code).toBe(0);
    expect(status(id)).toBe("running");
    expect(await until(() => count() > frozenAt + 3)).toBe(true);
    expect(md(root, ["resume", id]).stderr).toContain("container not paused");
    // delete --force of a paused container thaws and kills it
    expect(md(root, ["pause", id]).code).toBe(0);
    removeContainer(id);
  });

  test("update changes limits live: flags, --resources FILE, --resources=FILE, -r -; the new pids limit is enforced", async () => {
    const id = uniqueId("upd");
    const b = bundle((s) => {
      s.root!.readonly = false;
      s.linux!.resources = { memory: { limit: 64 * MiB }, pids: { limit: 20 } };
    }, ["sh", "-c", "exec 2>/err; while [ ! -e /go ]; do sleep 0.05; done; (for i in 1 2 3 4; do sleep 1 & done; : > /forked); while :; do sleep 0.1; done"]);
    expect(md(root, ["run", "-d", "-b", b, id]).code).toBe(0);
    expect(md(root, ["update", "--memory", "128m", "--cpu-quota", "30000", "--cpu-period", "100000", id]).stderr).toBe("");
    expect(cgroupFile("memory", id, "memory.limit_in_bytes")).toBe(String(128 * MiB));
    expect(cgroupFile("cpu", id, "cpu.cfs_quota_us")).toBe("30000");

    const file = `${b}/resources.json`;
    writeFileSync(file, JSON.stringify({ memory: { limit: 96 * MiB }, cpu: { shares: 512 }, pids: { limit: 42 } }));
    expect(md(root, ["update", "--resources", file, id]).stderr).toBe("");
    expect(cgroupFile("memory", id, "memory.limit_in_bytes")).toBe(String(96 * MiB));
    expect(cgroupFile("cpu", id, "cpu.shares")).toBe("512");
    expect(cgroupFile("pids", id, "pids.max")).toBe("42");

    writeFileSync(file, JSON.stringify({ pids: { limit: 3 } }));
    expect(md(root, ["update", `--resources=${file}`, id]).stderr).toBe(""); // podman's spelling
    expect(cgroupFile("pids", id, "pids.max")).toBe("3");
    writeFileSync(`${b}/rootfs/go`, ""); // the container now forks 4 sleeps under the new limit
    // busybox sh gives up at the first refused fork: the subshell ends, the container goes on
    expect(await until(() => readFileSync(`${b}/rootfs/err`, "utf8").includes("can't fork: Resource temporarily unavailable"))).toBe(true);
    expect(existsSync(`${b}/rootfs/forked`)).toBe(false);

    expect(status(id)).toBe("running");
    expect(md(root, ["update", "-r", "-", id], { stdin: JSON.stringify({ cpu: { cpus: "0" }, pids: { limit: 20 } }) }).stderr).toBe("");
    expect(cgroupFile("cpuset", id, "cpuset.cpus")).toBe("0");

    // refused updates name the field and the file and change nothing
    const low = md(root, ["update", "--memory", "4k", id]);
    expect(low.code).not.toBe(0);
    expect(low.stderr).toContain("linux.resources.memory.limit");
    expect(cgroupFile("memory", id, "memory.limit_in_bytes")).toBe(String(96 * MiB));
    const shares = md(root, ["update", "--cpu-shares", "1", id]);
    expect(shares.code).not.toBe(0);
    expect(shares.stderr).toContain("linux.resources.cpu.shares");
    expect(shares.stderr).toContain("cpu-shares is 2");
    const bad = md(root, ["update", "--memory", "lots", id]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("--memory");
    removeContainer(id);
  });

  test("the device allow-list: a node in linux.devices (not in resources.devices) and a mknod'ed disk cannot be opened", () => {
    const id = uniqueId("dev");
    const b = bundle((s) => {
      s.root!.readonly = false;
      s.linux!.devices = [{ path: "/dev/fuse", type: "c", major: 10, minor: 229, fileMode: 0o666 }];
      for (const set of ["bounding", "effective", "permitted"] as const) s.process!.capabilities![set]!.push("CAP_MKNOD");
    }, ["sh", "-c", "cat /dev/fuse; mknod /disk b 254 0 && echo made; head -c1 /disk >/dev/null; head -c1 /dev/zero | wc -c"]);
    const r = md(root, ["run", "-b", b, id]);
    expect(r.stderr).toContain("can't open '/dev/fuse': Operation not permitted");
    expect(r.stderr).toContain("head: /disk: Operation not permitted");
    expect(r.stdout).toBe("made\n1\n"); // mknod itself is allowed (runc's "b *:* m"), /dev/zero too
    expect(leftovers(root, id)).toEqual([]);

    const allowed = bundle((s) => {
      s.linux!.devices = [{ path: "/dev/fuse", type: "c", major: 10, minor: 229, fileMode: 0o666 }];
      s.linux!.resources = { devices: [{ allow: false, access: "rwm" }, { allow: true, type: "c", major: 10, minor: 229, access: "rw" }] };
    }, ["sh", "-c", "cat /dev/fuse"]);
    const r2 = md(root, ["run", "-b", allowed, uniqueId("dev")]);
    expect(r2.stderr).not.toContain("can't open"); // opened (reading an unmounted fuse device fails later)
  });

  test("ps lists the container's host pids (table and json); kill --all reaches processes init does not own", async () => {
    const id = uniqueId("ps");
    // no pid namespace: the sleeps would outlive a signal to init alone
    const b = bundle((s) => { s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== "pid"); },
      ["sh", "-c", "sleep 101 & sleep 102 & wait"]);
    expect(md(root, ["run", "-d", "-b", b, id]).code).toBe(0);
    const inCgroup = () => cgroupFile("pids", id, "cgroup.procs").split("\n").filter(Boolean).map(Number).sort((x, y) => x - y);
    expect(await until(() => inCgroup().length === 3)).toBe(true);
    const json = md(root, ["ps", "--format", "json", id]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(inCgroup());
    const table = md(root, ["ps", id]).stdout.trim().split("\n");
    expect(table[0]).toMatch(/^UID\s+PID\s+PPID/);
    expect(table.slice(1).map((l) => Number(l.trim().split(/\s+/)[1])).sort((x, y) => x - y)).toEqual(inCgroup());
    expect(table.filter((l) => /sleep 10[12]$/.test(l))).toHaveLength(2);
    const custom = md(root, ["ps", id, "-o", "pid,comm"]).stdout.trim().split("\n");
    expect(custom[0]).toMatch(/PID\s+COMMAND/);
    expect(custom).toHaveLength(4);
    const pids = inCgroup();
    expect(md(root, ["kill", "--all", id, "TERM"]).code).toBe(0);
    expect(await until(() => pids.every((p) => !existsSync(`/proc/${p}`) || readFileSync(`/proc/${p}/stat`, "utf8").includes(") Z ")))).toBe(true);
    expect(await until(() => status(id) === "stopped")).toBe(true);
    expect(md(root, ["delete", id]).code).toBe(0);
    expect(leftovers(root, id)).toEqual([]);
  });

  test("every other linux.resources field lands in its v1 file of a running container", () => {
    const id = uniqueId("fields");
    const vda = { major: 254, minor: 0 }; // the host's disk (throttles need a real device)
    const hasDisk = existsSync("/sys/dev/block/254:0");
    const b = bundle((s) => {
      s.linux!.resources = {
        memory: { limit: 64 * MiB, reservation: 32 * MiB, swap: 96 * MiB, kernelTCP: 16 * MiB, swappiness: 10 },
        cpu: { shares: 512, quota: 50_000, period: 200_000, burst: 10_000, idle: 0, realtimePeriod: 900_000, cpus: "1", mems: "0" },
        pids: { limit: 30 },
        blockIO: {
          weight: 300,
          ...(hasDisk ? {
            throttleReadBpsDevice: [{ ...vda, rate: MiB }], throttleWriteBpsDevice: [{ ...vda, rate: 2 * MiB }],
            throttleReadIOPSDevice: [{ ...vda, rate: 100 }], throttleWriteIOPSDevice: [{ ...vda, rate: 200 }],
          } : {}),
        },
        devices: [{ allow: false, access: "rwm" }, { allow: true, type: "c", major: 10, minor: 229, access: "r" }],
      };
    }, ["sleep", "60"]);
    const r = md(root, ["run", "-d", "-b", b, id]);
    expect(r.stderr).toBe("");
    const expected: Array<[string, string, string]> = [
      ["memory", "memory.limit_in_bytes", String(64 * MiB)], ["memory", "memory.soft_limit_in_bytes", String(32 * MiB)],
      ["memory", "memory.memsw.limit_in_bytes", String(96 * MiB)], ["memory", "memory.kmem.tcp.limit_in_bytes", String(16 * MiB)],
      ["memory", "memory.swappiness", "10"],
      ["cpu", "cpu.shares", "512"], ["cpu", "cpu.cfs_quota_us", "50000"], ["cpu", "cpu.cfs_period_us", "200000"],
      ["cpu", "cpu.cfs_burst_us", "10000"], ["cpu", "cpu.idle", "0"], ["cpu", "cpu.rt_period_us", "900000"],
      ["cpuset", "cpuset.cpus", "1"], ["cpuset", "cpuset.mems", "0"], ["pids", "pids.max", "30"],
      ["blkio", "blkio.bfq.weight", "300"],
      ...(hasDisk ? [
        ["blkio", "blkio.throttle.read_bps_device", `254:0 ${MiB}`], ["blkio", "blkio.throttle.write_bps_device", `254:0 ${2 * MiB}`],
        ["blkio", "blkio.throttle.read_iops_device", "254:0 100"], ["blkio", "blkio.throttle.write_iops_device", "254:0 200"],
      ] as Array<[string, string, string]> : []),
    ];
    for (const [controller, file, value] of expected) expect(`${file}=${cgroupFile(controller, id, file)}`).toBe(`${file}=${value}`);
    expect(cgroupFile("devices", id, "devices.list").split("\n")).toContain("c 10:229 r");
    // the container runs where cpuset put it
    const pid = JSON.parse(md(root, ["state", id]).stdout).pid;
    expect(readFileSync(`/proc/${pid}/status`, "utf8")).toMatch(/Cpus_allowed_list:\s+1\n/);
    removeContainer(id);
  });

  test("realtime runtime below parents that do not exist yet: the ones we make get the budget, SCHED_FIFO works", () => {
    const top = `md-rt-new-${process.pid}`;
    const id = uniqueId("rtnew");
    try {
      const b = bundle((s) => {
        s.linux!.cgroupsPath = `/${top}/sub/${id}`;
        s.linux!.resources = { cpu: { realtimeRuntime: 10_000, realtimePeriod: 1_000_000 } };
        s.process!.scheduler = { policy: "SCHED_FIFO", priority: 1 }; // refused (EPERM) without an RT budget
      }, ["sh", "-c", "grep :cpu: /proc/self/cgroup; cat /sys/fs/cgroup/cpu/cpu.rt_runtime_us"]);
      const r = md(root, ["run", "-b", b, id]);
      expect(r.stderr).toBe("");
      expect(r.stdout).toMatch(new RegExp(`:cpu(,cpuacct)?:/${top}/sub/${id}\n10000\n$`));
      expect(cgroupFileAt("cpu", `${top}/sub`, "cpu.rt_runtime_us")).toBe("10000");
      expect(leftovers(root, id)).toEqual([]);
    } finally {
      for (const c of readdirSync("/sys/fs/cgroup")) {
        try { rmdirSync(`/sys/fs/cgroup/${c}/${top}/sub`); } catch {}
        try { rmdirSync(`/sys/fs/cgroup/${c}/${top}`); } catch {}
      }
    }
  });

  test("a pod cgroup made empty by someone else (mkdir in every hierarchy): its cpuset gets cpus and mems, the container joins", () => {
    // runc's update.bats "pod cgroup": mkdir -p /sys/fs/cgroup/<each>/<pod>, then run with cgroupsPath /<pod>/<id>
    const pod = `md-pod-${process.pid}`;
    const id = uniqueId("pod");
    const podCpuset = `/sys/fs/cgroup/cpuset/${pod}`;
    try {
      mkdirSync(podCpuset);
      expect(readFileSync(`${podCpuset}/cpuset.cpus`, "utf8").trim()).toBe(""); // a new v1 cpuset is empty
      const b = bundle((s) => { s.linux!.cgroupsPath = `/${pod}/${id}`; }, ["sh", "-c", "grep :cpuset: /proc/self/cgroup"]);
      const r = md(root, ["run", "-b", b, id]);
      expect(errorText(r)).toBe("");
      expect(r.stdout).toBe(`${readFileSync("/proc/self/cgroup", "utf8").match(/^\d+:cpuset:/m)![0]}/${pod}/${id}\n`);
      expect(r.code).toBe(0);
      expect(cgroupFileAt("cpuset", pod, "cpuset.cpus")).toBe(cgroupFileAt("cpuset", "", "cpuset.cpus"));
      expect(cgroupFileAt("cpuset", pod, "cpuset.mems")).toBe(cgroupFileAt("cpuset", "", "cpuset.mems"));
      expect(leftovers(root, id)).toEqual([]);
    } finally {
      try { rmdirSync(podCpuset); } catch {}
    }
  });

  test("realtime runtime: without cgroupsPath it works like runc (below our own cpu cgroup, the root here); a parent we did not make is left as it is", () => {
    expect(ownCgroup.get("cpu")).toBe("/"); // this host: the root cpu cgroup has the whole RT budget
    const rt = { cpu: { realtimeRuntime: 10_000, realtimePeriod: 1_000_000 } };
    const id = uniqueId("rt");
    const r = md(root, ["run", "-b", bundle((s) => { s.linux!.resources = rt; }, ["sh", "-c", "grep :cpu: /proc/self/cgroup"]), id]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(new RegExp(`^\\d+:cpu:/${id}\\n$`));
    expect(leftovers(root, id)).toEqual([]);
    // an existing parent without a budget is not ours to change: the kernel refuses, field and file named (runc: the same EINVAL)
    const parent = `md-rt-${process.pid}`;
    mkdirSync(`/sys/fs/cgroup/cpu/${parent}`);
    try {
      const refusedId = uniqueId("rt");
      const refused = md(root, ["run", "-b", bundle((s) => { s.linux!.cgroupsPath = `/${parent}/${refusedId}`; s.linux!.resources = rt; }), refusedId]);
      expect(refused.code).not.toBe(0);
      expect(errorText(refused)).toContain('linux.resources.cpu.realtimeRuntime: write "cpu.rt_runtime_us"');
      expect(readFileSync(`/sys/fs/cgroup/cpu/${parent}/cpu.rt_runtime_us`, "utf8").trim()).toBe("0");
      expect(leftovers(root, refusedId)).toEqual([]);
    } finally {
      for (const c of readdirSync("/sys/fs/cgroup")) try { rmdirSync(`/sys/fs/cgroup/${c}/${parent}`); } catch {}
    }
  });

  test("without cgroupsPath the container lands below the caller's own cgroup in every hierarchy, and dies with it (a unit's KillMode=control-group)", async () => {
    // the caller: a shell moved into a fresh cgroup of its own in every hierarchy, as a systemd unit's ExecStart is
    const caller = `md-caller-${process.pid}`;
    const id = uniqueId("unit");
    const b = bundle(() => {}, ["sleep", "100"]);
    // the mounted hierarchies (mountinfo): podman's cgroupfs manager leaves plain dirs like hugetlb/ on the tmpfs
    const hierarchies = parseMountinfo(readFileSync("/proc/self/mountinfo", "utf8"))
      .filter((m) => /^cgroup2?$/.test(m.fstype) && /^\/sys\/fs\/cgroup\/[^/]+$/.test(m.mountPoint)).map((m) => m.mountPoint);
    const script = `for h in ${hierarchies.join(" ")}; do mkdir "$h/${caller}" || exit 99
        [ -f "$h/cpuset.cpus" ] && cat "$h/cpuset.cpus" > "$h/${caller}/cpuset.cpus" && cat "$h/cpuset.mems" > "$h/${caller}/cpuset.mems"
        echo $$ > "$h/${caller}/cgroup.procs" || exit 98; done
      exec "$0" --root "$1" run -d -b "$2" "$3"`;
    try {
      // output to a file: the detached container keeps what it inherited open (a pipe would never end)
      const errFile = `${b}/run.err`;
      const p = Bun.spawnSync(["sh", "-c", script, BIN, root, b, id], { stdin: "ignore", stdout: "ignore", stderr: Bun.file(errFile), timeout: 30_000 });
      expect({ code: p.exitCode, stderr: readFileSync(errFile, "utf8") }).toEqual({ code: 0, stderr: "" });
      const pid = JSON.parse(md(root, ["state", id]).stdout).pid as number;
      const lines = readFileSync(`/proc/${pid}/cgroup`, "utf8").trim().split("\n");
      expect(lines.length).toBeGreaterThan(3);
      for (const line of lines) expect(line.split(":")[2]).toBe(`/${caller}/${id}`);
      // "systemctl stop": kill everything in the caller's cgroup, subtree included (systemd tracks units in the unified/name=systemd tree)
      const tracking = hierarchies.find((h) => h.endsWith("/unified")) ?? hierarchies.find((h) => h.endsWith("/systemd"))!;
      const subtree = (dir: string): number[] => [
        ...readFileSync(`${dir}/cgroup.procs`, "utf8").split("\n").filter(Boolean).map(Number),
        ...readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).flatMap((e) => subtree(`${dir}/${e.name}`)),
      ];
      const unitPids = subtree(`${tracking}/${caller}`);
      expect(unitPids).toContain(pid);
      for (const unitPid of unitPids) process.kill(unitPid, "SIGKILL");
      expect(await until(() => status(id) === "stopped")).toBe(true);
      expect(md(root, ["delete", id]).code).toBe(0);
      expect(leftovers(root, id)).toEqual([]);
    } finally {
      md(root, ["delete", "--force", id]);
      for (const h of hierarchies) {
        try { rmdirSync(`${h}/${caller}/${id}`); } catch {}
        try { rmdirSync(`${h}/${caller}`); } catch {}
      }
    }
  });

  test("disableOOMKiller: nothing is OOM-killed at the limit (the hog waits under_oom or its allocation fails)", async () => {
    const id = uniqueId("nooom");
    const c = createKeepingOutput(labBundle(["sh", "-c", hog], (s) => { s.linux!.resources!.memory = { limit: 64 * MiB, disableOOMKiller: true }; }), id);
    expect(md(root, ["start", id]).code).toBe(0);
    const oomControl = () => flatKeyed(cgroupFile("memory", id, "memory.oom_control"));
    expect(await until(() => oomControl().under_oom === 1 || status(id) === "stopped", 60_000)).toBe(true);
    expect(oomControl().oom_kill).toBe(0);
    expect(Number(cgroupFile("memory", id, "memory.failcnt"))).toBeGreaterThan(0);
    expect(c.output()).not.toContain("tail=137");
    removeContainer(id);
  });

  describe("refused limits name the field and the cgroup file, exit non-zero, leave nothing", () => {
    const cases: Array<[string, Spec["linux"] extends infer L ? NonNullable<L>["resources"] : never, string[]]> = [
      ["a cpuset outside the machine", { cpu: { cpus: "0-63" } }, ["linux.resources.cpu.cpus", 'write "cpuset.cpus" "0-63"']],
      ["memory nodes that do not exist", { cpu: { mems: "7" } }, ["linux.resources.cpu.mems", "cpuset.mems"]],
      ["a cpu weight the kernel clamps", { cpu: { shares: 1 } }, ["linux.resources.cpu.shares", "cpu.shares"]],
      ["an invalid cpu.idle", { cpu: { idle: 7 } }, ["linux.resources.cpu.idle", "cpu.idle"]],
      ["a negative blkio weight", { blockIO: { weight: -5 } }, ["linux.resources.blockIO.weight"]],
      ["a blkio weight BFQ refuses", { blockIO: { weight: 2000 } }, ["linux.resources.blockIO.weight", "blkio.bfq.weight"]],
      ["an unknown unified key on v1", { unified: { "memory.bogus": "1" } }, ["linux.resources.unified", '"memory.bogus"', "requires cgroup v2"]],
      ["a swappiness out of range", { memory: { limit: 64 * MiB, swappiness: 200 } }, ["linux.resources.memory.swappiness"]],
      ["hugepage limits without a hugetlb hierarchy", { hugepageLimits: [{ pageSize: "2MB", limit: 0 }] }, ['controller "hugetlb" is not mounted', "linux.resources.hugepageLimits"]],
      ["a net_cls class id without net_cls", { network: { classID: 5 } }, ['controller "net_cls" is not mounted', "linux.resources.network.classID"]],
      ["rdma limits without an rdma hierarchy", { rdma: { mlx5_0: { hcaHandles: 1 } } }, ['controller "rdma" is not mounted', "linux.resources.rdma"]],
      ...(diskWithoutBfq ? [["a per-device weight on a disk without BFQ", { blockIO: { weightDevice: [{ major: 254, minor: 0, weight: 200 }] } },
        ["linux.resources.blockIO.weightDevice[0].weight", "blkio.bfq.weight_device"]]] as typeof cases : []),
      ["swap below memory", { memory: { limit: 64 * MiB, swap: 32 * MiB } }, ["linux.resources.memory.swap"]],
    ];
    for (const [what, resources, wanted] of cases) {
      test(what, () => {
        const id = uniqueId("bad");
        const r = md(root, ["run", "-b", bundle((s) => { s.linux!.resources = resources; }), id]);
        expect(r.code).not.toBe(0);
        for (const w of wanted) expect(errorText(r)).toContain(w);
        expect(leftovers(root, id)).toEqual([]);
      });
    }
  });
});

