// cgroup v2 enforcement. Needs a pure cgroup v2 host; on cgroup v1/hybrid hosts run it in the VM:
//   /work/shared/vm/run-in-vm --timeout 300 /work/main/node_modules/.bin/bun test test/integration/cgroups-v2.test.ts
// (the VM: 1 CPU, controllers cpu io memory pids; no cpuset, hugetlb, rdma, io.weight).
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { cgroupVersion } from "../../src/cgroups/manager.ts";
import { deviceFilterCount } from "../../src/sys/bpf.ts";
import { defineExistingCgroupTests } from "./cgroups-existing.ts";
import { defineEnforcementTests, newCgroup, withCgroup } from "./cgroups-scenarios.ts";
import { makeRoot, md } from "./lib.ts";

// Fail loudly, never skip: a host without cgroup v2 controllers must run this through run-in-vm.
const controllers = cgroupVersion() === 2 ? readFileSync("/sys/fs/cgroup/cgroup.controllers", "utf8") : "";
if (!/\bmemory\b/.test(controllers) || !/\bpids\b/.test(controllers) || !/\bcpu\b/.test(controllers))
  throw new Error("cgroups-v2.test.ts needs a cgroup v2 host with cpu, memory and pids controllers; on this host run:\n" +
    "  /work/shared/vm/run-in-vm --timeout 300 /work/main/node_modules/.bin/bun test test/integration/cgroups-v2.test.ts");

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

describe("cgroup v2: real containers", () => {
  defineExistingCgroupTests(root);
});
