import { describe, expect, test } from "bun:test";
import { parseByteSize, resourcesFromFlags, UPDATE_FLAGS } from "../../../src/cgroups/update-flags.ts";

describe("runc update flags", () => {
  test("byte sizes in binary units (go-units RAMInBytes)", () => {
    expect(parseByteSize("100")).toBe(100);
    expect(parseByteSize("64m")).toBe(64 * 1024 * 1024);
    expect(parseByteSize("1G")).toBe(1024 ** 3);
    expect(parseByteSize("512KiB")).toBe(512 * 1024);
    expect(parseByteSize("1.5g")).toBe(1.5 * 1024 ** 3);
    expect(parseByteSize("2 mb")).toBe(2 * 1024 * 1024);
    expect(() => parseByteSize("12x", "memory")).toThrow('cgroup: invalid value for --memory: invalid size: "12x"');
    expect(() => parseByteSize("-5")).toThrow("invalid size");
  });

  test("flags → linux.resources, only what is given", () => {
    expect(resourcesFromFlags({})).toEqual({});
    expect(resourcesFromFlags({
      "memory": "64m", "memory-swap": "-1", "memory-reservation": "32m", "kernel-memory": "1m",
      "cpu-quota": "-1", "cpu-period": "100000", "cpu-shares": "512", "cpu-rt-period": "1000", "cpu-rt-runtime": "950",
      "cpuset-cpus": "0-1", "cpuset-mems": "0", "pids-limit": "100", "blkio-weight": "300",
    })).toEqual({
      memory: { limit: 64 << 20, swap: -1, reservation: 32 << 20, kernel: 1 << 20 },
      cpu: { quota: -1, period: 100000, shares: 512, realtimePeriod: 1000, realtimeRuntime: 950, cpus: "0-1", mems: "0" },
      pids: { limit: 100 },
      blockIO: { weight: 300 },
    });
  });

  test("camelCase keys (citty) and runc's --cpu-share spelling", () => {
    expect(resourcesFromFlags({ memorySwap: "1g", cpuShare: "1024" })).toEqual({ memory: { swap: 1 << 30 }, cpu: { shares: 1024 } });
  });

  test("bad numbers are named by flag", () => {
    expect(() => resourcesFromFlags({ "cpu-period": "-5" })).toThrow('invalid value for --cpu-period: "-5" is not an unsigned integer');
    expect(() => resourcesFromFlags({ "pids-limit": "ten" })).toThrow("invalid value for --pids-limit");
    expect(() => resourcesFromFlags({ "blkio-weight": "5" })).toThrow("valid range is 10-1000");
  });

  test("every flag is declared as a string argument", () => {
    for (const name of ["memory", "memory-swap", "memory-reservation", "kernel-memory", "cpu-quota", "cpu-period", "cpu-shares",
      "cpu-share", "cpu-rt-period", "cpu-rt-runtime", "cpuset-cpus", "cpuset-mems", "pids-limit", "blkio-weight"])
      expect(UPDATE_FLAGS[name]?.type).toBe("string");
  });
});
