import { describe, expect, test } from "bun:test";
import { blkioWeightToIoWeight, cpuMax, cpuSharesToWeight, hugepageSizeName, limitToV2, memorySwapToV2 } from "../../../src/cgroups/convert.ts";

describe("runc's v1 → v2 conversions", () => {
  test("cpu shares → cpu.weight: 1 + ((shares-2)*9999)/262142", () => {
    expect(cpuSharesToWeight(0)).toBe(0);
    expect(cpuSharesToWeight(2)).toBe(1);
    expect(cpuSharesToWeight(512)).toBe(20);
    expect(cpuSharesToWeight(1024)).toBe(39);
    expect(cpuSharesToWeight(262144)).toBe(10000);
  });

  test("blkio weight → io.weight: 1 + (weight-10)*9999/990", () => {
    expect(blkioWeightToIoWeight(0)).toBe(0);
    expect(blkioWeightToIoWeight(10)).toBe(1);
    expect(blkioWeightToIoWeight(500)).toBe(4950);
    expect(blkioWeightToIoWeight(1000)).toBe(10000);
  });

  test("memory+swap → memory.swap.max", () => {
    expect(memorySwapToV2(0, -1)).toBe(-1);          // unlimited memory, unset swap: both unlimited
    expect(memorySwapToV2(0, 100)).toBe(0);          // unset
    expect(memorySwapToV2(-1, 100)).toBe(-1);        // max
    expect(memorySwapToV2(300, 100)).toBe(200);
    expect(memorySwapToV2(100, 100)).toBe(0);        // no swap
    expect(() => memorySwapToV2(50, 100)).toThrow("cgroup: linux.resources.memory.swap: memory+swap limit should be >= memory limit");
    expect(() => memorySwapToV2(100, 0)).toThrow("unable to set swap limit without memory limit");
    expect(() => memorySwapToV2(100, -5)).toThrow("invalid memory value: -5");
  });

  test("limits: 0 unset, negative max", () => {
    expect(limitToV2(undefined)).toBeUndefined();
    expect(limitToV2(0)).toBeUndefined();
    expect(limitToV2(-1)).toBe("max");
    expect(limitToV2(4096)).toBe("4096");
  });

  test("quota/period → cpu.max", () => {
    expect(cpuMax(undefined, undefined)).toBeUndefined();
    expect(cpuMax(50000, 100000)).toBe("50000 100000");
    expect(cpuMax(-1, 100000)).toBe("max 100000");
    expect(cpuMax(50000, undefined)).toBe("50000");
    expect(cpuMax(undefined, 20000)).toBe("max 20000");
  });

  test("hugepage sizes: the spec's pattern, bad input named", () => {
    expect(hugepageSizeName("2MB", "f")).toBe("2MB");
    expect(() => hugepageSizeName("2mb", "linux.resources.hugepageLimits[0].pageSize"))
      .toThrow('cgroup: linux.resources.hugepageLimits[0].pageSize: bad page size "2mb"');
  });
});
