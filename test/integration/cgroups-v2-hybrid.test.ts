// The cgroup v2 manager on this HYBRID host's controller-less cgroup2 mount (/sys/fs/cgroup/unified):
// no resource controllers there, but the v2 freezer, cgroup.kill and the eBPF device filter are real,
// so this checks them against the host kernel (6.x). Full v2 enforcement: cgroups-v2.test.ts in the VM.
import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { deviceFilterCount } from "../../src/sys/bpf.ts";
import { deviceScenario, freezeScenario, newCgroup, spawnIn, withCgroup } from "./cgroups-scenarios.ts";

const UNIFIED = "/sys/fs/cgroup/unified";
if (!existsSync(`${UNIFIED}/cgroup.controllers`))
  throw new Error(`cgroups-v2-hybrid.test.ts needs a hybrid host with cgroup2 at ${UNIFIED}`);

describe("cgroup v2 manager on the hybrid unified hierarchy", () => {
  test("version 2 is detected from the mount root", () => {
    const cg = newCgroup([], UNIFIED);
    try {
      expect(cg.version).toBe(2);
      expect(cg.paths[""]).toStartWith(`${UNIFIED}/minidocker-test/`);
    } finally {
      cg.destroy();
    }
  });

  test("freeze stops progress and thaw resumes it", () => freezeScenario(UNIFIED));

  test("eBPF device filter: an allowed node opens, a disallowed one is refused", () => deviceScenario(UNIFIED));

  test("updating device rules replaces the filter (one program attached)", async () => {
    await withCgroup((cg) => {
      cg.apply({ devices: [{ allow: false, access: "rwm" }] });
      cg.apply({ devices: [{ allow: false, access: "rwm" }, { allow: true, type: "c", major: 1, minor: 3, access: "rwm" }] });
      expect(deviceFilterCount(cg.paths[""]!)).toBe(1);
    }, UNIFIED);
  });

  test("killAll(SIGKILL) empties the cgroup; destroy removes it", async () => {
    const cg = newCgroup([], UNIFIED);
    const sleeper = spawnIn(cg, ["sleep", "60"]);
    await Bun.sleep(20);
    expect(cg.pids()).toEqual([sleeper.pid]);
    cg.killAll(9);
    await sleeper.exited;
    expect(sleeper.signalCode).toBe("SIGKILL");
    cg.destroy();
    expect(cg.exists()).toBe(false);
  });

  test("a setting whose controller is missing is a clear error naming it", () => {
    const cg = newCgroup([], UNIFIED);
    try {
      expect(() => cg.apply({ memory: { limit: 1 << 26 } }))
        .toThrow(/^cgroup: linux\.resources\.memory: controller "memory" is not available in \/sys\/fs\/cgroup\/unified\//);
      expect(() => cg.apply({ unified: { "memory.max": "1" } })).toThrow(/controller "memory" not available/);
    } finally {
      cg.destroy();
    }
  });
});
