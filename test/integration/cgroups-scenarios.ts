// Enforcement scenarios shared by cgroups-v1.test.ts (this hybrid host) and cgroups-v2.test.ts
// (the pure v2 VM): plain processes moved into a fresh cgroup, no containers needed.
import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cgroupManager, type CgroupManager } from "../../src/cgroups/manager.ts";
import type { LinuxResources } from "../../src/cgroups/types.ts";

const MiB = 1024 * 1024;

export function newCgroup(warnings: string[] = [], root?: string): CgroupManager {
  const id = `t${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const cg = cgroupManager({ cgroupsPath: `/minidocker-test/${id}`, id, root, warn: (m) => warnings.push(m) });
  cg.create();
  return cg;
}

/** Start `argv` paused, move it into `cg`, then let it run (so it never runs outside the cgroup). */
export function spawnIn(cg: CgroupManager, argv: string[]) {
  const child = Bun.spawn(["sh", "-c", 'read _ && exec "$@"', "sh", ...argv], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  cg.addProcess(child.pid);
  child.stdin.write("\n");
  child.stdin.flush();
  return child;
}

export async function runIn(cg: CgroupManager, argv: string[]) {
  const child = spawnIn(cg, argv);
  const [stdout, stderr] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
  await child.exited;
  return { code: child.exitCode, signal: child.signalCode, stdout, stderr };
}

const cpuTicks = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "").split(" ");
  return Number(fields[11]) + Number(fields[12]); // utime + stime
};

/** Run `body` with a fresh cgroup, always destroyed (killing leftovers) afterwards. */
export async function withCgroup(body: (cg: CgroupManager, warnings: string[]) => Promise<void> | void, root?: string) {
  const warnings: string[] = [];
  const cg = newCgroup(warnings, root);
  try {
    await body(cg, warnings);
  } finally {
    if (cg.exists()) {
      if (cg.frozen()) cg.thaw();
      cg.killAll(9);
      cg.destroy();
    }
  }
}

/** A busy loop stops using CPU while frozen and resumes after thaw. */
export async function freezeScenario(root?: string) {
  await withCgroup(async (cg) => {
    const busy = spawnIn(cg, ["sh", "-c", "while :; do :; done"]);
    await Bun.sleep(100);
    cg.freeze();
    expect(cg.frozen()).toBe(true);
    const before = cpuTicks(busy.pid);
    await Bun.sleep(400);
    expect(cpuTicks(busy.pid)).toBe(before);
    cg.thaw();
    expect(cg.frozen()).toBe(false);
    await Bun.sleep(400);
    expect(cpuTicks(busy.pid)).toBeGreaterThan(before);
    busy.kill(9);
    await busy.exited;
  }, root);
}

/**
 * mknod'ed c 1:5 and c 1:3; rules allow only 1:3, so only it opens from inside. The nodes live on a
 * tmpfs of their own: /tmp may be mounted nodev (it is in the v2 guest), where every device node
 * fails with EACCES whatever the cgroup says. The cgroup's refusal is EPERM.
 */
export async function deviceScenario(root?: string) {
  const dir = mkdtempSync("/tmp/cgroup-devices-");
  try {
    expect(Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=64k,mode=755", "tmpfs", dir]).exitCode).toBe(0);
    expect(Bun.spawnSync(["mknod", `${dir}/zero`, "c", "1", "5"]).exitCode).toBe(0);
    expect(Bun.spawnSync(["mknod", `${dir}/null`, "c", "1", "3"]).exitCode).toBe(0);
    const script = `head -c 1 ${dir}/zero >/dev/null && echo zero-opened; head -c 1 ${dir}/null >/dev/null && echo null-opened; true`;
    // outside any device rules both open (so a refusal inside comes from the rules)
    expect(Bun.spawnSync(["sh", "-c", script]).stdout.toString()).toBe("zero-opened\nnull-opened\n");
    await withCgroup(async (cg) => {
      cg.apply({ devices: [{ allow: false, access: "rwm" }, { allow: true, type: "c", major: 1, minor: 3, access: "rw" }] });
      const r = await runIn(cg, ["sh", "-c", script]);
      expect(r.stdout).toBe("null-opened\n");
      expect(r.stderr).toContain("Operation not permitted");
      expect(r.stderr).not.toContain("Permission denied");
    }, root);
  } finally {
    Bun.spawnSync(["umount", dir]);
    rmSync(dir, { recursive: true, force: true });
  }
}

export function defineEnforcementTests(version: 1 | 2) {
  test("a process over the memory limit is OOM-killed and oomCount() sees it", async () => {
    await withCgroup(async (cg) => {
      cg.apply({ memory: { limit: 32 * MiB, swap: 32 * MiB } });
      expect(cg.oomCount()).toBe(0);
      const r = await runIn(cg, ["dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"]);
      expect(r.signal).toBe("SIGKILL");
      expect(cg.oomCount()).toBeGreaterThanOrEqual(1);
      expect(cg.stats().memory.usage.limit).toBe(32 * MiB);
    });
  });

  test("pids limit refuses a fork, and raising it live lets the fork through", async () => {
    await withCgroup(async (cg) => {
      cg.apply({ pids: { limit: 1 } });
      const forkAndReport = ["sh", "-c", "/bin/true && echo forked"];
      const refused = await runIn(cg, forkAndReport);
      expect(refused.stdout).not.toContain("forked");
      expect(refused.stderr.toLowerCase()).toContain("fork");
      cg.apply({ pids: { limit: 10 } });
      const allowed = await runIn(cg, forkAndReport);
      expect(allowed.stdout).toBe("forked\n");
      expect(cg.stats().pids.limit).toBe(10);
    });
  });

  test("cpu quota throttles a busy loop (nr_throttled grows)", async () => {
    await withCgroup(async (cg) => {
      cg.apply({ cpu: { quota: 10_000, period: 100_000 } });
      const busy = spawnIn(cg, ["sh", "-c", "while :; do :; done"]);
      await Bun.sleep(700);
      const throttling = cg.stats().cpu.throttling;
      busy.kill(9);
      await busy.exited;
      expect(throttling.throttledPeriods ?? 0).toBeGreaterThan(0);
      expect(throttling.periods ?? 0).toBeGreaterThanOrEqual(throttling.throttledPeriods ?? 0);
    });
  });

  test("freeze stops progress and thaw resumes it", () => freezeScenario());

  test("device allow-list: an allowed node opens, a disallowed one is refused", () => deviceScenario());

  test("updating a memory limit live is visible in stats", async () => {
    await withCgroup(async (cg) => {
      const sleeper = spawnIn(cg, ["sleep", "30"]);
      cg.apply({ memory: { limit: 64 * MiB } });
      expect(cg.stats().memory.usage.limit).toBe(64 * MiB);
      cg.apply({ memory: { limit: 128 * MiB } });
      expect(cg.stats().memory.usage.limit).toBe(128 * MiB);
      // pages are charged once the process runs (exec) inside: wait for some usage
      for (let i = 0; i < 100 && (cg.stats().memory.usage.usage ?? 0) <= 4096; i++) await Bun.sleep(20);
      expect(() => cg.apply({ memory: { limit: 4096, checkBeforeUpdate: true } })).toThrow(/rejecting memory limit 4096 below current usage/);
      sleeper.kill(9);
      await sleeper.exited;
    });
  });

  test("killAll signals every process; destroy leaves no directory", async () => {
    const cg = newCgroup();
    const sleepers = [spawnIn(cg, ["sleep", "60"]), spawnIn(cg, ["sleep", "60"])];
    await Bun.sleep(50);
    expect(cg.pids().sort()).toEqual(sleepers.map((s) => s.pid).sort());
    cg.killAll(9);
    await Promise.all(sleepers.map((s) => s.exited));
    expect(sleepers.map((s) => s.signalCode)).toEqual(["SIGKILL", "SIGKILL"]);
    cg.destroy();
    expect(cg.exists()).toBe(false);
    for (const dir of Object.values(cg.paths)) expect(() => readFileSync(`${dir}/cgroup.procs`)).toThrow();
  });

  test("apply errors name the field; version is detected", () => {
    const cg = newCgroup();
    try {
      expect(cg.version).toBe(version);
      expect(() => cg.apply({ pids: { limit: 5 }, hugepageLimits: [{ pageSize: "2XB", limit: 1 }] }))
        .toThrow(/linux\.resources\.hugepageLimits/);
    } finally {
      cg.destroy();
    }
  });
}

export type { LinuxResources };
