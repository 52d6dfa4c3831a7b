// cgroup v1 enforcement on this hybrid host (root, v1 controllers under /sys/fs/cgroup/<controller>).
import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { cgroupVersion } from "../../src/cgroups/manager.ts";
import { defineEnforcementTests, newCgroup } from "./cgroups-scenarios.ts";

// Fail loudly, never skip: a pure v2 host has its own file (cgroups-v2.test.ts).
if (cgroupVersion() !== 1 || !existsSync("/sys/fs/cgroup/memory"))
  throw new Error("cgroups-v1.test.ts needs a cgroup v1 (or hybrid) host with the memory hierarchy at /sys/fs/cgroup/memory");

describe("cgroup v1", () => {
  defineEnforcementTests(1);

  test("a value the kernel refuses names field, file and value", () => {
    const cg = newCgroup();
    try {
      expect(() => cg.apply({ cpu: { cpus: "99" } }))
        .toThrow(/^cgroup: linux\.resources\.cpu\.cpus: write "cpuset\.cpus" "99": (ERANGE|EINVAL) \(/);
      expect(() => cg.apply({ unified: { "memory.high": "1" } })).toThrow("linux.resources.unified: requires cgroup v2");
    } finally {
      cg.destroy();
    }
  });

  test("a new cpuset cgroup inherits cpus and mems (else no process could join)", () => {
    const cg = newCgroup();
    try {
      const stats = cg.stats();
      expect(stats.cpuset.cpus?.length).toBeGreaterThan(0);
      expect(stats.cpuset.mems?.length).toBeGreaterThan(0);
      cg.apply({ cpu: { cpus: "0", shares: 512 } });
      expect(cg.stats().cpuset.cpus).toEqual([0]);
    } finally {
      cg.destroy();
    }
  });
});
