// cgroup v2 enforcement and placement. Needs a pure cgroup v2 host with systemd as PID 1; on cgroup
// v1/hybrid hosts run it in the VM (as scripts/test does):
//   ../shared/vm/run-in-vm --systemd --timeout 600 node_modules/.bin/bun test test/integration/cgroups-v2.test.ts
// (the VM: 1 CPU, controllers cpu io memory pids; no cpuset, hugetlb, rdma, io.weight).
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, rmdirSync, rmSync } from "node:fs";
import { cgroupVersion } from "../../src/cgroups/manager.ts";
import { deviceFilterCount } from "../../src/sys/bpf.ts";
import { defineExistingCgroupTests } from "./cgroups-existing.ts";
import { defineEnforcementTests, newCgroup, withCgroup } from "./cgroups-scenarios.ts";
import { leftovers, makeBundle, makeRoot, md, removeBundle, uniqueId, BIN } from "./lib.ts";

// Fail loudly, never skip: a host without cgroup v2 controllers must run this through run-in-vm.
const controllers = cgroupVersion() === 2 ? readFileSync("/sys/fs/cgroup/cgroup.controllers", "utf8") : "";
if (!/\bmemory\b/.test(controllers) || !/\bpids\b/.test(controllers) || !/\bcpu\b/.test(controllers))
  throw new Error("cgroups-v2.test.ts needs a cgroup v2 host with cpu, memory and pids controllers; on this host run:\n" +
    "  ../shared/vm/run-in-vm --systemd --timeout 600 node_modules/.bin/bun test test/integration/cgroups-v2.test.ts");

describe("cgroup v2", () => {
  defineEnforcementTests(2);

  test("controllers are enabled down the path; the leaf has what apply needs", () => {
    const cg = newCgroup();
    try {
      const parent = cg.paths[""]!.replace(/\/[^/]+$/, "");
      const enabled = readFileSync(`${parent}/cgroup.subtree_control`, "utf8");
      for (const c of ["cpu", "memory", "pids"]) expect(enabled).toContain(c);
      expect(cg.path).toStartWith("/minidocker-test/");
    } finally {
      cg.destroy();
    }
  });

  test("cpu.weight and cpu.max get runc's conversions; swap goes to memory.swap.max", () => {
    const cg = newCgroup();
    try {
      const dir = cg.paths[""]!;
      cg.apply({ cpu: { shares: 512, quota: 50_000, period: 100_000 }, memory: { limit: 64 << 20, swap: 96 << 20 } });
      expect(readFileSync(`${dir}/cpu.weight`, "utf8").trim()).toBe("20");
      expect(readFileSync(`${dir}/cpu.max`, "utf8").trim()).toBe("50000 100000");
      expect(readFileSync(`${dir}/memory.max`, "utf8").trim()).toBe(String(64 << 20));
      let swapMax = "";
      try { swapMax = readFileSync(`${dir}/memory.swap.max`, "utf8").trim(); } catch { /* no swap accounting */ }
      if (swapMax) expect(swapMax).toBe(String(32 << 20));
      cg.apply({ unified: { "memory.high": String(48 << 20) } });
      expect(readFileSync(`${dir}/memory.high`, "utf8").trim()).toBe(String(48 << 20));
    } finally {
      cg.destroy();
    }
  });

  test("a missing controller is a clear error naming it", () => {
    const cg = newCgroup();
    try {
      expect(() => cg.apply({ cpu: { cpus: "0" } })).toThrow(/controller "cpuset" is not available/);
      expect(() => cg.apply({ unified: { "hugetlb.2MB.max": "0" } })).toThrow(/controller "hugetlb" not available/);
      expect(() => cg.apply({ cpu: { realtimeRuntime: 1000 } })).toThrow(/linux\.resources\.cpu\.realtimeRuntime/);
    } finally {
      cg.destroy();
    }
  });

  test("updating device rules replaces the filter (one program attached)", async () => {
    await withCgroup((cg) => {
      cg.apply({ devices: [{ allow: false, access: "rwm" }] });
      cg.apply({ devices: [{ allow: false, access: "rwm" }, { allow: true, type: "c", major: 1, minor: 3, access: "rwm" }] });
      expect(deviceFilterCount(cg.paths[""]!)).toBe(1);
    });
  });

  test("killAll(SIGKILL) uses cgroup.kill", async () => {
    await withCgroup(async (cg) => {
      const child = Bun.spawn(["sh", "-c", "read _ && exec sleep 60"], { stdin: "pipe" });
      cg.addProcess(child.pid);
      child.stdin.write("\n");
      child.stdin.flush();
      cg.killAll(9);
      await child.exited;
      expect(child.signalCode).toBe("SIGKILL");
      expect(cg.pids()).toEqual([]);
    });
  });
});

const root = makeRoot();
afterAll(() => {
  for (const id of md(root, ["list", "-q"]).stdout.split("\n").filter(Boolean)) md(root, ["delete", "--force", id]);
  rmSync(root, { recursive: true, force: true });
});

const state = (id: string) => JSON.parse(md(root, ["state", id]).stdout || "{}");
async function until(cond: () => boolean, ms = 20_000) {
  for (const end = Date.now() + ms; !cond();) {
    if (Date.now() > end) return false;
    await Bun.sleep(50);
  }
  return true;
}
const cgroupOf = (pid: number) => readFileSync(`/proc/${pid}/cgroup`, "utf8").trim().replace(/^0::/, "");
const procsOf = (path: string) => readFileSync(`/sys/fs/cgroup${path}/cgroup.procs`, "utf8").split("\n").filter(Boolean).map(Number);

describe("cgroup v2: real containers", () => {
  defineExistingCgroupTests(root);

  test("without cgroupsPath: beside the caller's cgroup (runc 1.1); inside it when it is delegated (its processes move to supervisor)", async () => {
    const top = `/md-caller-${process.pid}`;
    const b = makeBundle(() => {}, ["sleep", "1000"]);
    const ids: string[] = [];
    try {
      for (const delegated of [false, true]) {
        const caller = `${top}/${delegated ? "delegated" : "plain"}`;
        const id = uniqueId("caller");
        ids.push(id);
        // the caller: a shell in a cgroup of its own (marked as systemd marks Delegate=yes units), then `run -d`
        const script = `mkdir -p /sys/fs/cgroup${caller} || exit 99
          ${delegated ? `setfattr -n trusted.delegate -v 1 /sys/fs/cgroup${caller} || exit 98` : ""}
          echo $$ > /sys/fs/cgroup${caller}/cgroup.procs || exit 97
          exec "$0" --root "$1" run -d -b "$2" "$3"`;
        const err = `${b}/err-${id}`;
        const p = Bun.spawnSync(["sh", "-c", script, BIN, root, b, id], { stdin: "ignore", stdout: "ignore", stderr: Bun.file(err), timeout: 60_000 });
        expect({ code: p.exitCode, stderr: readFileSync(err, "utf8") }).toEqual({ code: 0, stderr: "" });
        const pid = state(id).pid as number;
        expect(cgroupOf(pid)).toBe(delegated ? `${caller}/${id}` : `${top}/${id}`);
        if (delegated) {
          // the unit's cgroup now only has children; its controllers reach the container
          expect(procsOf(caller)).toEqual([]);
          expect(readFileSync(`/sys/fs/cgroup${caller}/cgroup.subtree_control`, "utf8")).toContain("memory");
          expect(readFileSync(`/sys/fs/cgroup${caller}/${id}/cgroup.controllers`, "utf8")).toContain("memory");
        }
        expect(md(root, ["delete", "--force", id]).code).toBe(0);
        expect(leftovers(root, id)).toEqual([]);
      }
    } finally {
      for (const id of ids) md(root, ["delete", "--force", id]);
      for (const dir of [`${top}/delegated/supervisor`, `${top}/delegated`, `${top}/plain`, top])
        try { rmdirSync(`/sys/fs/cgroup${dir}`); } catch { /* the test's own checks report leftovers */ }
      removeBundle(b);
    }
  }, 300_000);
});

const MiB = 1024 * 1024;
const cgroupDirOf = (id: string) => JSON.parse(readFileSync(`${root}/${id}/state.json`, "utf8")).cgroupPaths[""] as string;
const cgroupFile = (id: string, file: string) => readFileSync(`${cgroupDirOf(id)}/${file}`, "utf8").trim();

describe("cgroup v2: linux.resources in real containers", () => {
  test("each field lands in its v2 file; update, pause/resume, events --stats, kill --all (cgroup.kill), delete leaves nothing", async () => {
    const id = uniqueId("fields");
    const b = makeBundle((s) => {
      s.linux!.resources = {
        memory: { limit: 64 * MiB, reservation: 32 * MiB },
        cpu: { shares: 512, quota: 50_000, period: 100_000, burst: 10_000, idle: 0 },
        pids: { limit: 50 },
        unified: { "memory.high": String(48 * MiB) },
      };
    }, ["sh", "-c", "cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max; while :; do sleep 0.2; done"]);
    try {
      expect(md(root, ["run", "-d", "-b", b, id]).code).toBe(0);
      const expected: Array<[string, string]> = [["memory.max", String(64 * MiB)], ["memory.low", String(32 * MiB)],
        ["memory.high", String(48 * MiB)], ["cpu.weight", "20"], ["cpu.max", "50000 100000"], ["cpu.max.burst", "10000"],
        ["cpu.idle", "0"], ["pids.max", "50"]];
      for (const [file, value] of expected) expect(`${file}=${cgroupFile(id, file)}`).toBe(`${file}=${value}`);
      // update: flags and --resources
      expect(md(root, ["update", "--memory", "96m", "--pids-limit", "42", "--cpu-quota", "30000", id])).toEqual({ code: 0, stdout: "", stderr: "" });
      expect([cgroupFile(id, "memory.max"), cgroupFile(id, "pids.max"), cgroupFile(id, "cpu.max")]).toEqual([String(96 * MiB), "42", "30000 100000"]);
      expect(md(root, ["update", "--resources", "-", id], { stdin: JSON.stringify({ pids: { limit: 7 } }) }).code).toBe(0);
      expect(cgroupFile(id, "pids.max")).toBe("7");
      // pause/resume: cgroup.freeze, and the state says so
      expect(md(root, ["pause", id]).code).toBe(0);
      expect(cgroupFile(id, "cgroup.freeze")).toBe("1");
      expect(state(id).status).toBe("paused");
      expect(md(root, ["resume", id]).code).toBe(0);
      expect(cgroupFile(id, "cgroup.freeze")).toBe("0");
      // events --stats: v2 files read back
      const stats = JSON.parse(md(root, ["events", "--stats", id]).stdout).data;
      expect(stats.memory.usage.limit).toBe(96 * MiB);
      expect(stats.pids.limit).toBe(7);
      expect(stats.pids.current).toBeGreaterThan(0);
      // kill --all KILL goes through cgroup.kill: everything dies
      expect(md(root, ["kill", "--all", id, "KILL"]).code).toBe(0);
      expect(await until(() => state(id).status === "stopped")).toBe(true);
      const dir = cgroupDirOf(id);
      expect(md(root, ["delete", id]).code).toBe(0);
      expect(existsSync(dir)).toBe(false);
      expect(leftovers(root, id)).toEqual([]);
    } finally {
      md(root, ["delete", "--force", id]);
      removeBundle(b);
    }
  }, 300_000);

  test("memory: over the limit the container's process is OOM-killed; memory.events counts it; events --stats sees it", async () => {
    const id = uniqueId("oom");
    const b = makeBundle((s) => { s.linux!.resources = { memory: { limit: 32 * MiB, swap: 32 * MiB } }; },
      ["sh", "-c", "head -c 100m /dev/zero | tail >/dev/null; echo tail=$?; sleep 100"]);
    try {
      expect(md(root, ["run", "-d", "-b", b, id]).code).toBe(0);
      expect(await until(() => Number(/oom_kill (\d+)/.exec(cgroupFile(id, "memory.events"))?.[1] ?? 0) >= 1, 60_000)).toBe(true);
      const stats = JSON.parse(md(root, ["events", "--stats", id]).stdout).data;
      expect(stats.memory.usage.failcnt).toBeGreaterThan(0); // runc reports memory.events "max" as failcnt
      expect(md(root, ["delete", "--force", id]).code).toBe(0);
      expect(leftovers(root, id)).toEqual([]);
    } finally {
      md(root, ["delete", "--force", id]);
      removeBundle(b);
    }
  }, 300_000);

  test("devices: partial access (r without w, m) is enforced by the eBPF filter in a container", () => {
    const id = uniqueId("dev");
    const b = makeBundle((s) => {
      for (const set of ["bounding", "effective", "permitted"] as const) s.process!.capabilities![set]!.push("CAP_MKNOD");
      s.linux!.resources = { devices: [{ allow: true, type: "c", major: 240, minor: 0, access: "r" }] };
    }, ["sh", "-c", "mknod /dev/x c 240 0; head -c1 /dev/x; echo hi > /dev/x; mknod /dev/y b 7 200 && echo mknod-b-ok; true"]);
    try {
      const r = md(root, ["run", "-b", b, id]);
      // read open allowed (ENXIO: no driver), write refused (EPERM); mknod of anything allowed (runc's default list)
      expect(r.stderr).toContain("No such device or address");
      expect(r.stderr).toContain("can't create /dev/x: Operation not permitted");
      expect(r.stdout).toBe("mknod-b-ok\n");
      expect(leftovers(root, id)).toEqual([]);
    } finally {
      removeBundle(b);
    }
  }, 300_000);
});

// Under a real systemd (run-in-vm --systemd, as scripts/test runs this file): units from systemd-run.
const underSystemd = existsSync("/run/systemd/system");
describe("cgroup v2 under systemd", () => {
  test("a container started from a Delegate=yes unit stays in the unit and dies with `systemctl stop`; without Delegate it lands beside it (runc 1.1)", async () => {
    if (!underSystemd) throw new Error("needs systemd as PID 1: run this file with run-in-vm --systemd (scripts/test does)");
    // PID 1 of a pid namespace ignores SIGTERM without a handler: give it one, or stop waits TimeoutStopSec
    const b = makeBundle(() => {}, ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.2; done"]);
    const units: string[] = [];
    try {
      for (const delegate of [true, false]) {
        const id = uniqueId(delegate ? "deleg" : "nodeleg");
        const unit = `md-${id}.service`;
        units.push(unit);
        const started = Bun.spawnSync(["systemd-run", "--unit", unit, "-p", "TimeoutStopSec=20", ...(delegate ? ["-p", "Delegate=yes"] : []),
          "sh", "-c", `"$0" --root "$1" run -d -b "$2" "$3" && exec sleep 1000`, BIN, root, b, id]);
        expect(started.exitCode).toBe(0);
        expect(await until(() => state(id).status === "running", 60_000)).toBe(true);
        const pid = state(id).pid as number;
        expect(cgroupOf(pid)).toBe(delegate ? `/system.slice/${unit}/${id}` : `/system.slice/${id}`);
        expect(Bun.spawnSync(["systemctl", "stop", unit]).exitCode).toBe(0);
        if (delegate) {
          expect(await until(() => state(id).status === "stopped")).toBe(true); // stopped with its unit
          expect(md(root, ["delete", id]).code).toBe(0);
        } else {
          expect(state(id).status).toBe("running"); // beside the unit: systemd does not see it (as with runc)
          expect(md(root, ["delete", "--force", id]).code).toBe(0);
        }
        expect(leftovers(root, id)).toEqual([]);
      }
    } finally {
      for (const unit of units) Bun.spawnSync(["systemctl", "stop", unit]);
      removeBundle(b);
    }
  }, 300_000);
});
