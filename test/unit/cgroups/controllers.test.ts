// Controllers against a fake cgroup tree (plain files in a temp dir): what is written where.
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cgroupManager, cgroupManagerFromState } from "../../../src/cgroups/manager.ts";
import { cpu as cpuV1 } from "../../../src/cgroups/v1/cpu.ts";
import { devices as devicesV1 } from "../../../src/cgroups/v1/devices.ts";
import { memory as memoryV1 } from "../../../src/cgroups/v1/memory.ts";
import { blkio } from "../../../src/cgroups/v1/blkio.ts";
import { cpu as cpuV2 } from "../../../src/cgroups/v2/cpu.ts";
import { io } from "../../../src/cgroups/v2/io.ts";
import { memory as memoryV2 } from "../../../src/cgroups/v2/memory.ts";
import { pids } from "../../../src/cgroups/v2/pids.ts";
import { rdma } from "../../../src/cgroups/v2/rdma.ts";
import { unified } from "../../../src/cgroups/v2/unified.ts";

const temps: string[] = [];
afterEach(() => { for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true }); });

/** A directory holding `files` (name → content); appends are not modelled: each write replaces. */
function fakeDir(files: Record<string, string>): string {
  const dir = mkdtempSync("/tmp/cgroup-unit-");
  temps.push(dir);
  for (const [name, content] of Object.entries(files)) writeFileSync(`${dir}/${name}`, content);
  return dir;
}
/** Hierarchy directories under `root` (each with cgroup.procs, as the kernel makes it) and the mountinfo lines mounting them. */
function fakeV1Mounts(root: string, hierarchies: string[], mountRoot = "/"): string {
  return hierarchies.map((h, i) => {
    mkdirSync(`${root}/${h}`);
    writeFileSync(`${root}/${h}/cgroup.procs`, "");
    return `${40 + i} 30 0:${30 + i} ${mountRoot} ${root}/${h} rw,relatime - cgroup cgroup rw,${h}\n`;
  }).join("");
}
const read = (dir: string, file: string) => readFileSync(`${dir}/${file}`, "utf8");
const warnings: string[] = [];
const context = { warn: (m: string) => warnings.push(m) };

describe("v1 controllers", () => {
  test("memory: growing writes memsw first; swappiness range", () => {
    const dir = fakeDir({ "memory.limit_in_bytes": "1000", "memory.memsw.limit_in_bytes": "", "memory.swappiness": "", "memory.soft_limit_in_bytes": "" });
    memoryV1.apply(dir, { memory: { limit: 4096, swap: 8192, reservation: 2048, swappiness: 10 } }, context);
    expect(read(dir, "memory.limit_in_bytes")).toBe("4096");
    expect(read(dir, "memory.memsw.limit_in_bytes")).toBe("8192");
    expect(read(dir, "memory.soft_limit_in_bytes")).toBe("2048");
    expect(read(dir, "memory.swappiness")).toBe("10");
    expect(() => memoryV1.apply(dir, { memory: { swappiness: 101 } }, context))
      .toThrow("cgroup: linux.resources.memory.swappiness: invalid memory swappiness value: 101 (valid range is 0-100)");
  });

  test("memory: a missing file names field and file", () => {
    const dir = fakeDir({});
    expect(() => memoryV1.apply(dir, { memory: { limit: 4096 } }, context))
      .toThrow(/^cgroup: linux\.resources\.memory\.limit: open ".*\/memory\.limit_in_bytes": ENOENT/);
  });

  test("cpu: shares read back, quota, period, rt", () => {
    const dir = fakeDir({ "cpu.shares": "", "cpu.cfs_quota_us": "", "cpu.cfs_period_us": "", "cpu.rt_runtime_us": "", "cpu.rt_period_us": "" });
    cpuV1.apply(dir, { cpu: { shares: 512, quota: 20000, period: 100000, realtimeRuntime: 950, realtimePeriod: 1000 } }, context);
    expect(["cpu.shares", "cpu.cfs_quota_us", "cpu.cfs_period_us", "cpu.rt_runtime_us", "cpu.rt_period_us"].map((f) => read(dir, f)))
      .toEqual(["512", "20000", "100000", "950", "1000"]);
  });

  test("devices: deny all, then each rule in order", () => {
    const dir = fakeDir({ "devices.allow": "", "devices.deny": "" });
    devicesV1.apply(dir, { devices: [{ allow: false, access: "rwm" }, { allow: true, type: "c", major: 1, minor: 3, access: "rwm" }] }, context);
    expect(read(dir, "devices.allow")).toBe("c 1:3 rwm"); // the last write; the kernel keeps each
    expect(read(dir, "devices.deny")).toBe("a");
  });

  test("blkio: weights and throttles as major:minor lines", () => {
    const dir = fakeDir({ "blkio.weight": "", "blkio.weight_device": "", "blkio.throttle.read_bps_device": "" });
    blkio.apply(dir, { blockIO: { weight: 300, weightDevice: [{ major: 8, minor: 0, weight: 500 }], throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }] } }, context);
    expect(read(dir, "blkio.weight")).toBe("300");
    expect(read(dir, "blkio.weight_device")).toBe("8:0 500");
    expect(read(dir, "blkio.throttle.read_bps_device")).toBe("8:0 1048576");
  });
});

describe("v2 controllers", () => {
  test("memory: swap converted, 'no swap' written as 0, reservation → memory.low", () => {
    const dir = fakeDir({ "memory.max": "", "memory.swap.max": "", "memory.low": "" });
    memoryV2.apply(dir, { memory: { limit: 100, swap: 100, reservation: 50 } }, context);
    expect([read(dir, "memory.max"), read(dir, "memory.swap.max"), read(dir, "memory.low")]).toEqual(["100", "0", "50"]);
    memoryV2.apply(dir, { memory: { limit: -1 } }, context);
    expect([read(dir, "memory.max"), read(dir, "memory.swap.max")]).toEqual(["max", "max"]);
  });

  test("memory: no memory.swap.max (no swap accounting) is fine for max/0, v1-only knobs warn", () => {
    const dir = fakeDir({ "memory.max": "" });
    warnings.length = 0;
    memoryV2.apply(dir, { memory: { limit: 100, swap: 100, swappiness: 5, kernel: 10 } }, context);
    expect(read(dir, "memory.max")).toBe("100");
    expect(warnings.join("\n")).toContain("swappiness");
    expect(() => memoryV2.apply(dir, { memory: { limit: 100, swap: 300 } }, context)).toThrow(/linux\.resources\.memory\.swap: open/);
  });

  test("cpu: weight from shares, cpu.max, burst; realtime refused", () => {
    const dir = fakeDir({ "cpu.weight": "", "cpu.max": "", "cpu.max.burst": "", "cpu.idle": "" });
    cpuV2.apply(dir, { cpu: { shares: 1024, quota: 50000, period: 100000, burst: 1000, idle: 1 } }, context);
    expect(["cpu.weight", "cpu.max", "cpu.max.burst", "cpu.idle"].map((f) => read(dir, f))).toEqual(["39", "50000 100000", "1000", "1"]);
    expect(() => cpuV2.apply(dir, { cpu: { realtimePeriod: 1000 } }, context)).toThrow("linux.resources.cpu.realtimePeriod");
  });

  test("io: converted weight without BFQ, throttles in io.max; BFQ takes blkio's scale", () => {
    const dir = fakeDir({ "io.weight": "", "io.max": "" });
    io.apply(dir, { blockIO: { weight: 500, throttleWriteIOPSDevice: [{ major: 8, minor: 16, rate: 100 }] } }, context);
    expect(read(dir, "io.weight")).toBe("4950");
    expect(read(dir, "io.max")).toBe("8:16 wiops=100");
    expect(() => io.apply(dir, { blockIO: { weightDevice: [{ major: 8, minor: 0, weight: 10 }] } }, context)).toThrow("BFQ");
    const bfq = fakeDir({ "io.bfq.weight": "" });
    io.apply(bfq, { blockIO: { weight: 500 } }, context);
    expect(read(bfq, "io.bfq.weight")).toBe("500");
  });

  test("pids: 0 unset, negative max; rdma lines", () => {
    const dir = fakeDir({ "pids.max": "untouched", "rdma.max": "" });
    pids.apply(dir, { pids: { limit: 0 } }, context);
    expect(read(dir, "pids.max")).toBe("untouched");
    pids.apply(dir, { pids: { limit: -1 } }, context);
    expect(read(dir, "pids.max")).toBe("max");
    rdma.apply(dir, { rdma: { mlx5_0: { hcaHandles: 3, hcaObjects: 1000 } } }, context);
    expect(read(dir, "rdma.max")).toBe("mlx5_0 hca_handle=3 hca_object=1000");
  });

  test("unified: keys are file names; a missing controller is named", () => {
    const dir = fakeDir({ "cgroup.controllers": "cpu memory", "memory.high": "" });
    unified.apply(dir, { unified: { "memory.high": "1000" } }, context);
    expect(read(dir, "memory.high")).toBe("1000");
    expect(() => unified.apply(dir, { unified: { "../x": "1" } }, context)).toThrow("must be a file name");
    expect(() => unified.apply(dir, { unified: { nodot: "1" } }, context)).toThrow("CONTROLLER.PARAMETER");
    expect(() => unified.apply(dir, { unified: { "io.max": "1" } }, context))
      .toThrow('cgroup: linux.resources.unified.io.max: can\'t write "io.max": controller "io" not available');
  });
});

describe("managers on a fake tree", () => {
  test("v2: create enables parents' controllers; apply refuses a missing controller", () => {
    const root = fakeDir({ "cgroup.controllers": "cpu memory pids", "cgroup.subtree_control": "" });
    const cg = cgroupManager({ id: "abc", cgroupsPath: "/minidocker/abc", root });
    expect(cg.version).toBe(2);
    expect(cg.path).toBe("/minidocker/abc");
    // a fake tree has no kernel to make files in new directories: give the middle level its own
    mkdirSync(`${root}/minidocker`);
    writeFileSync(`${root}/minidocker/cgroup.controllers`, "cpu memory");
    writeFileSync(`${root}/minidocker/cgroup.subtree_control`, "");
    cg.create();
    expect(read(root, "cgroup.subtree_control")).toBe("+cpu +memory +pids");
    expect(read(`${root}/minidocker`, "cgroup.subtree_control")).toBe("+cpu +memory");
    writeFileSync(`${root}/minidocker/abc/cgroup.controllers`, "cpu memory");
    expect(() => cg.apply({ pids: { limit: 5 } }))
      .toThrow('cgroup: linux.resources.pids: controller "pids" is not available');
    const again = cgroupManagerFromState(cg.paths, root);
    expect(again.path).toBe("/minidocker/abc");
    expect(cgroupManagerFromState("/minidocker/abc", root).paths[""]).toBe(`${root}/minidocker/abc`);
  });

  test("v2: relative cgroupsPath goes under our own cgroup's parent", () => {
    const root = fakeDir({ "cgroup.controllers": "" });
    const cg = cgroupManager({ id: "x", cgroupsPath: "pods/x", root, procSelfCgroup: "0::/user.slice/session-1.scope\n" });
    expect(cg.path).toBe("/user.slice/pods/x");
    // no cgroupsPath: "<id>", beside the caller (runc 1.1) — or inside a delegated unit (trusted.delegate)
    const unit = "/system.slice/app.service";
    mkdirSync(`${root}${unit}`, { recursive: true });
    const procSelfCgroup = `0::${unit}\n`;
    expect(cgroupManager({ id: "c1", root, procSelfCgroup }).path).toBe("/system.slice/c1");
    expect(Bun.spawnSync(["setfattr", "-n", "trusted.delegate", "-v", "1", `${root}${unit}`]).exitCode).toBe(0);
    expect(cgroupManager({ id: "c1", root, procSelfCgroup }).path).toBe(`${unit}/c1`);
    expect(cgroupManager({ id: "c1", root, procSelfCgroup: "0::/\n" }).path).toBe("/c1");
  });

  test("v1: one directory per hierarchy; a failed create removes what it made", () => {
    const root = fakeDir({});
    const mountinfo = fakeV1Mounts(root, ["cpu,cpuacct", "memory", "pids"]);
    mkdirSync(`${root}/unified`); // a directory, no cgroup2 mounted there: not joined
    const cg = cgroupManager({ id: "abc", cgroupsPath: "/minidocker/abc", root, mountinfo });
    expect(cg.version).toBe(1);
    expect(cg.paths).toEqual({
      cpu: `${root}/cpu,cpuacct/minidocker/abc`, cpuacct: `${root}/cpu,cpuacct/minidocker/abc`,
      memory: `${root}/memory/minidocker/abc`, pids: `${root}/pids/minidocker/abc`,
    });
    // no cgroupsPath: "<id>" below the caller's own cgroup in each hierarchy (runc fs)
    expect(cgroupManager({ id: "abc", root, mountinfo, procSelfCgroup: "5:memory:/unit.service\n2:cpu,cpuacct:/\n1:pids:/p\n0::/\n" }).paths).toEqual({
      cpu: `${root}/cpu,cpuacct/abc`, cpuacct: `${root}/cpu,cpuacct/abc`,
      memory: `${root}/memory/unit.service/abc`, pids: `${root}/pids/p/abc`,
    });
    writeFileSync(`${root}/pids/minidocker`, "a file where a directory must go");
    expect(() => cg.create()).toThrow(/"\/.*\/pids\/minidocker" is not a cgroup directory/);
    expect(existsSync(`${root}/memory/minidocker`)).toBe(false);
    expect(existsSync(`${root}/cpu,cpuacct/minidocker`)).toBe(false);
    expect(() => cg.apply({ hugepageLimits: [{ pageSize: "2MB", limit: 1 }] }))
      .toThrow('cgroup: controller "hugetlb" is not mounted (needed for linux.resources.hugepageLimits)');
    expect(() => cg.apply({ unified: { "a.b": "1" } })).toThrow("requires cgroup v2");
  });

  test("v1: hierarchies come from mountinfo: a stray directory is no hierarchy and gets nothing made in it", () => {
    const root = fakeDir({});
    const mountinfo = fakeV1Mounts(root, ["memory", "pids"]) +
      `50 30 0:40 / ${root}/unified rw,relatime - cgroup2 cgroup2 rw\n` +
      `51 30 0:41 / /elsewhere/cpu rw,relatime - cgroup cgroup rw,cpu\n`; // not under root: not ours
    for (const stray of ["hugetlb", "net_cls,net_prio", "systemd"]) mkdirSync(`${root}/${stray}`);
    mkdirSync(`${root}/unified`);
    writeFileSync(`${root}/unified/cgroup.procs`, "");
    const cg = cgroupManager({ id: "abc", cgroupsPath: "/minidocker/abc", root, mountinfo });
    expect(Object.keys(cg.paths).sort()).toEqual(["memory", "pids", "unified"]);
    cg.create();
    expect(existsSync(`${root}/memory/minidocker/abc`)).toBe(true);
    expect(existsSync(`${root}/hugetlb/minidocker`)).toBe(false);
    // a hierarchy whose mount point is gone (unmounted since): refused, never made on the tmpfs
    const gone = cgroupManager({ id: "abc", cgroupsPath: "/minidocker/abc", root, mountinfo: fakeV1Mounts(root, ["freezer"]) });
    rmSync(`${root}/freezer`, { recursive: true });
    expect(() => gone.create()).toThrow(/mkdir ".*\/freezer": ".*" is not a cgroup directory/);
    expect(existsSync(`${root}/freezer`)).toBe(false);
  });

  test("v1: a hierarchy mounted with a non-root root (nested): relative paths are taken from the mount root", () => {
    const root = fakeDir({});
    const mountinfo = fakeV1Mounts(root, ["memory"], "/docker/c1");
    const cg = cgroupManager({ id: "x", cgroupsPath: "sub/x", root, mountinfo, procSelfCgroup: "4:memory:/docker/c1\n0::/\n" });
    expect(cg.paths).toEqual({ memory: `${root}/memory/sub/x` });
  });

  test("v1: relative cgroupsPath is under our own cgroup, per hierarchy", () => {
    const root = fakeDir({});
    const mountinfo = fakeV1Mounts(root, ["memory", "pids"]);
    const cg = cgroupManager({ id: "x", cgroupsPath: "sub/x", root, mountinfo, procSelfCgroup: "4:memory:/m\n3:pids:/\n0::/\n" });
    expect(cg.paths).toEqual({ memory: `${root}/memory/m/sub/x`, pids: `${root}/pids/sub/x` });
    expect(cgroupManagerFromState(cg.paths, root).paths).toEqual(cg.paths);
  });
});
