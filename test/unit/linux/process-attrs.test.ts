import { describe, expect, test } from "bun:test";
import {
  applyNoNewPrivileges, applyOomScoreAdj, applyPersonality, applyUmask, parseIoPriority, parsePersonality,
  parseScheduler,
} from "../../../src/linux/process-attrs.ts";
import { ConfigError } from "../../../src/sys/errors.ts";
import { FakeProcessSys } from "./fake-process-sys.ts";

describe("personality", () => {
  test("LINUX and LINUX32 domains", () => {
    expect(parsePersonality({ domain: "LINUX" })).toEqual({ persona: 0, warnings: [] });
    expect(parsePersonality({ domain: "LINUX32" })).toEqual({ persona: 8, warnings: [] });
    expect(parsePersonality({})).toEqual({ persona: 0, warnings: [] });
  });
  test("flags are warned about and ignored (the spec defines none)", () => {
    expect(parsePersonality({ domain: "LINUX", flags: ["ADDR_NO_RANDOMIZE"] }).warnings[0]).toContain("ADDR_NO_RANDOMIZE");
  });
  test("an unknown domain is a ConfigError", () => {
    expect(() => parsePersonality({ domain: "WINDOWS" })).toThrow('linux.personality.domain: unknown domain "WINDOWS"');
  });
  test("applied only when set", () => {
    const sys = new FakeProcessSys();
    applyPersonality(sys, undefined);
    applyPersonality(sys, { domain: "LINUX32" });
    expect(sys.calls).toEqual([["personality", 8]]);
  });
});

describe("ioPriority", () => {
  test("class << 13 | priority", () => {
    expect(parseIoPriority({ class: "IOPRIO_CLASS_RT", priority: 0 })).toBe(1 << 13);
    expect(parseIoPriority({ class: "IOPRIO_CLASS_BE", priority: 4 })).toBe((2 << 13) | 4);
    expect(parseIoPriority({ class: "IOPRIO_CLASS_IDLE" })).toBe(3 << 13);
  });
  test("bad class or priority", () => {
    expect(() => parseIoPriority({ class: "BE" })).toThrow("process.ioPriority.class");
    expect(() => parseIoPriority({ class: "IOPRIO_CLASS_BE", priority: 8 })).toThrow("process.ioPriority.priority: must be 0 to 7, got 8");
    expect(() => parseIoPriority({ class: "IOPRIO_CLASS_BE", priority: -1 })).toThrow(ConfigError);
  });
});

describe("scheduler", () => {
  test("policy, flags, nice, priority and deadline times", () => {
    expect(parseScheduler({
      policy: "SCHED_DEADLINE", flags: ["SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_DL_OVERRUN"],
      runtime: 10_000_000, deadline: 20_000_000, period: 30_000_000,
    })).toEqual({ policy: 6, flags: 0x05n, nice: 0, priority: 0, runtime: 10_000_000n, deadline: 20_000_000n, period: 30_000_000n });
    expect(parseScheduler({ policy: "SCHED_BATCH", nice: 5 })).toMatchObject({ policy: 3, nice: 5, flags: 0n });
    expect(parseScheduler({ policy: "SCHED_FIFO", priority: 50 })).toMatchObject({ policy: 1, priority: 50 });
    expect(parseScheduler({ policy: "SCHED_OTHER" }).policy).toBe(0);
    expect(parseScheduler({ policy: "SCHED_IDLE" }).policy).toBe(5);
  });
  test("bad policy, flag, nice or time", () => {
    expect(() => parseScheduler({ policy: "SCHED_FAST" })).toThrow('process.scheduler.policy: unknown policy "SCHED_FAST"');
    expect(() => parseScheduler({ policy: "SCHED_OTHER", flags: ["SCHED_FLAG_RECLAIM", "X"] }))
      .toThrow('process.scheduler.flags[1]: unknown flag "X"');
    expect(() => parseScheduler({ policy: "SCHED_OTHER", nice: 20 })).toThrow("process.scheduler.nice");
    expect(() => parseScheduler({ policy: "SCHED_RR", priority: -1 })).toThrow("process.scheduler.priority");
    expect(() => parseScheduler({ policy: "SCHED_DEADLINE", runtime: -5 })).toThrow("process.scheduler.runtime");
  });
});

describe("oomScoreAdj, noNewPrivileges, umask", () => {
  test("oom_score_adj written when set, range checked", () => {
    const sys = new FakeProcessSys();
    applyOomScoreAdj(sys, undefined);
    applyOomScoreAdj(sys, -1000);
    expect(sys.calls).toEqual([["writeFile", "/proc/self/oom_score_adj", "-1000"]]);
    expect(() => applyOomScoreAdj(sys, 1001)).toThrow("process.oomScoreAdj: must be -1000 to 1000, got 1001");
  });
  test("no_new_privs only when true", () => {
    const sys = new FakeProcessSys();
    applyNoNewPrivileges(sys, false);
    applyNoNewPrivileges(sys, undefined);
    applyNoNewPrivileges(sys, true);
    expect(sys.calls).toEqual([["prctl", 38, 1, 0, "PR_SET_NO_NEW_PRIVS"]]);
  });
  test("umask defaults to 0022 like runc", () => {
    const sys = new FakeProcessSys();
    applyUmask(sys, undefined);
    applyUmask(sys, 0o027);
    expect(sys.of("umask")).toEqual([[0o022], [0o027]]);
    expect(() => applyUmask(sys, -1)).toThrow("process.user.umask");
  });
});
