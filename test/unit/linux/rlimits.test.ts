import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { applyRlimits, parseProcLimits, raiseHardRlimits, RLIM_INFINITY, RLIMITS, resolveRlimits, toLimit } from "../../../src/linux/rlimits.ts";
import { ConfigError } from "../../../src/sys/errors.ts";
import { FakeProcessSys } from "./fake-process-sys.ts";

describe("resolveRlimits", () => {
  test("all sixteen RLIMIT_* names, numbered as the kernel", () => {
    const names = ["CPU", "FSIZE", "DATA", "STACK", "CORE", "RSS", "NPROC", "NOFILE", "MEMLOCK", "AS", "LOCKS",
      "SIGPENDING", "MSGQUEUE", "NICE", "RTPRIO", "RTTIME"];
    const resolved = resolveRlimits(names.map((name) => ({ type: `RLIMIT_${name}`, soft: 1, hard: 2 })));
    expect(resolved.map((r) => r.resource)).toEqual(names.map((_, i) => i));
    expect(Object.keys(RLIMITS).length).toBe(16);
    expect(resolved[7]).toEqual({ type: "RLIMIT_NOFILE", resource: 7, soft: 1n, hard: 2n });
  });

  test("unknown type is a ConfigError with the JSON path", () => {
    expect(() => resolveRlimits([{ type: "RLIMIT_NOFILE", soft: 1, hard: 1 }, { type: "RLIMIT_BOGUS", soft: 1, hard: 1 }]))
      .toThrow('config.json: process.rlimits[1].type: unknown rlimit "RLIMIT_BOGUS"');
    expect(() => resolveRlimits([{ type: "NOFILE", soft: 1, hard: 1 }])).toThrow(ConfigError);
  });

  test("soft above hard, negative and fractional values are rejected", () => {
    expect(() => resolveRlimits([{ type: "RLIMIT_CORE", soft: 10, hard: 5 }]))
      .toThrow("process.rlimits[0]: RLIMIT_CORE: soft limit 10 is above hard limit 5");
    expect(() => resolveRlimits([{ type: "RLIMIT_CORE", soft: -1, hard: 5 }])).toThrow("process.rlimits[0].soft");
    expect(() => resolveRlimits([{ type: "RLIMIT_CORE", soft: 1, hard: 1.5 }])).toThrow("process.rlimits[0].hard");
    expect(() => resolveRlimits([{ type: "RLIMIT_CORE", soft: "1" as unknown as number, hard: 1 }])).toThrow(ConfigError);
  });

  test("2^64-1 (as JSON parses it) and bigints", () => {
    const { soft, hard } = JSON.parse('{"soft": 18446744073709551615, "hard": 18446744073709551615}');
    expect(toLimit(soft, "x")).toBe(RLIM_INFINITY);
    expect(resolveRlimits([{ type: "RLIMIT_AS", soft, hard }])[0]!.hard).toBe(RLIM_INFINITY);
    expect(toLimit(2n ** 70n, "x")).toBe(RLIM_INFINITY);
    expect(toLimit(4096n, "x")).toBe(4096n);
    expect(() => toLimit(-1n, "x")).toThrow("must not be negative");
  });

  test("none is nothing", () => {
    expect(resolveRlimits(undefined)).toEqual([]);
  });
});

describe("applyRlimits", () => {
  test("one prlimit per entry on the given pid", () => {
    const sys = new FakeProcessSys();
    applyRlimits(sys, [{ type: "RLIMIT_NOFILE", soft: 1024, hard: 4096 }, { type: "RLIMIT_CORE", soft: 0, hard: 0 }], 42);
    expect(sys.of("prlimit")).toEqual([[42, 7, 1024n, 4096n], [42, 4, 0n, 0n]]);
  });

  test("errors name the rlimit and values", () => {
    const sys = new FakeProcessSys();
    sys.failures.set("prlimit", 1);
    expect(() => applyRlimits(sys, [{ type: "RLIMIT_NOFILE", soft: 1024, hard: 2 ** 64 }])).toThrow(
      'set rlimit prlimit "RLIMIT_NOFILE soft=1024 hard=unlimited": EPERM (Operation not permitted) (raising a hard limit needs CAP_SYS_RESOURCE');
  });
});

describe("raiseHardRlimits (the parent, before init runs)", () => {
  const LIMITS = readFileSync(`${import.meta.dir}/../../fixtures/proc-limits.txt`, "utf8");

  test("/proc/PID/limits rows by resource number", () => {
    const limits = parseProcLimits(LIMITS);
    expect(limits.size).toBe(16);
    expect(limits.get(7)).toEqual({ soft: 1024n, hard: 20000n });
    expect(limits.get(0)).toEqual({ soft: RLIM_INFINITY, hard: RLIM_INFINITY });
    expect(limits.get(13)).toEqual({ soft: 0n, hard: 0n });
  });

  test("only hard limits above the current ones, keeping the current soft limit; init sets the rest", () => {
    const sys = new FakeProcessSys();
    raiseHardRlimits(sys, [
      { type: "RLIMIT_NOFILE", soft: 8, hard: 30000 }, // raised: hard above 20000, soft stays 1024
      { type: "RLIMIT_NPROC", soft: 1, hard: 1 }, // lowered: left to init
      { type: "RLIMIT_CPU", soft: 5, hard: 2 ** 64 }, // already unlimited
    ], 42, LIMITS);
    expect(sys.of("prlimit")).toEqual([[42, 7, 1024n, 30000n]]);
  });
});
