// `events` output against runc's types/events.go as encoding/json writes it.
import { describe, expect, test } from "bun:test";
import { runcEventLine, runcStatsData } from "../../../src/cgroups/events-json.ts";
import { emptyStats } from "../../../src/cgroups/types.ts";
import { parseInterval } from "../../../src/cli/events.ts";

describe("runc events JSON", () => {
  test("empty stats: structs present, omitempty fields gone, intel_rdt and network_interfaces as runc prints them", () => {
    expect(runcStatsData(emptyStats())).toEqual({
      cpu: { usage: { kernel: 0, user: 0 }, throttling: {} },
      cpuset: {
        cpu_exclusive: 0, mem_hardwall: 0, mem_exclusive: 0, memory_migrate: 0, memory_spread_page: 0,
        memory_spread_slab: 0, memory_pressure: 0, sched_load_balance: 0, sched_relax_domain_level: 0,
      },
      memory: {
        usage: { limit: 0, failcnt: 0 }, swap: { limit: 0, failcnt: 0 },
        kernel: { limit: 0, failcnt: 0 }, kernelTCP: { limit: 0, failcnt: 0 },
      },
      pids: {}, blkio: {}, hugetlb: {}, intel_rdt: {}, network_interfaces: null,
    });
  });

  test("Go field order and zero values dropped where runc drops them", () => {
    const s = emptyStats();
    s.cpu.usage = { kernel: 5, user: 7, total: 12, percpu: [12, 0], percpu_user: [7, 0], percpu_kernel: [5, 0] };
    s.cpu.throttling = { periods: 3, throttledPeriods: 0, throttledTime: 0 };
    s.memory.kernelTCP = { limit: 9, usage: 0, max: 0, failcnt: 0 };
    s.memory.raw = {};
    s.pids = { current: 0, limit: 50 };
    s.blkio = { ioServiceBytesRecursive: [], ioServicedRecursive: [{ major: 8, minor: 0, op: "Read", value: 0 }] };
    s.hugetlb = { "2MB": { usage: 0, max: 0, failcnt: 1 } };
    const data = runcStatsData(s) as any;
    expect(Object.keys(data)).toEqual(["cpu", "cpuset", "memory", "pids", "blkio", "hugetlb", "intel_rdt", "network_interfaces"]);
    expect(Object.keys(data.cpu.usage)).toEqual(["total", "percpu", "percpu_kernel", "percpu_user", "kernel", "user"]);
    expect(data.cpu.throttling).toEqual({ periods: 3 });
    expect(data.memory.kernelTCP).toEqual({ limit: 9, failcnt: 0 });
    expect("raw" in data.memory).toBe(false);
    expect(data.pids).toEqual({ limit: 50 });
    expect(data.blkio).toEqual({ ioServicedRecursive: [{ major: 8, op: "Read" }] });
    expect(data.hugetlb).toEqual({ "2MB": { failcnt: 1 } });
  });

  test("event lines: stats with data, oom without", () => {
    expect(runcEventLine({ type: "oom", id: "c1" })).toBe('{"type":"oom","id":"c1"}\n');
    expect(JSON.parse(runcEventLine({ type: "stats", id: "c1", data: { pids: {} } }))).toEqual({ type: "stats", id: "c1", data: { pids: {} } });
  });
});

describe("events --interval (Go durations)", () => {
  test("valid", () => {
    expect(parseInterval("5s")).toBe(5000);
    expect(parseInterval("500ms")).toBe(500);
    expect(parseInterval("1m30s")).toBe(90_000);
    expect(parseInterval("1.5s")).toBe(1500);
  });
  test("invalid or not positive", () => {
    for (const bad of ["", "5", "s", "5x", "-1s", "5s garbage"]) expect(() => parseInterval(bad)).toThrow("invalid duration");
    expect(() => parseInterval("0s")).toThrow("greater than 0");
  });
});
