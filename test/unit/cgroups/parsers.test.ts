import { describe, expect, test } from "bun:test";
import { parseCgroupNumber, parseCpuList, parseFlatKeyed } from "../../../src/cgroups/files.ts";
import { cleanCgroupPath, innerCgroupPath, parentCgroupPath, parseProcCgroup } from "../../../src/cgroups/paths.ts";
import { parseBlkioEntries } from "../../../src/cgroups/v1/blkio.ts";
import { parseIoStat } from "../../../src/cgroups/v2/io.ts";

describe("cgroup file parsers", () => {
  test("numbers, max, bad input", () => {
    expect(parseCgroupNumber("42\n")).toBe(42);
    expect(parseCgroupNumber("max")).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => parseCgroupNumber("12abc", "pids.max")).toThrow('cgroup: pids.max: not a number: "12abc"');
  });

  test("flat keyed files", () => {
    expect(parseFlatKeyed("oom 1\noom_kill 2\n")).toEqual({ oom: 1, oom_kill: 2 });
    expect(() => parseFlatKeyed("a 1 2\n", "memory.events")).toThrow('memory.events: bad line "a 1 2"');
    expect(() => parseFlatKeyed("lonely\n")).toThrow("bad line");
  });

  test("cpu lists", () => {
    expect(parseCpuList("0-3,5\n")).toEqual([0, 1, 2, 3, 5]);
    expect(parseCpuList("")).toEqual([]);
    expect(() => parseCpuList("3-1")).toThrow('bad cpu list "3-1"');
    expect(() => parseCpuList("a")).toThrow("bad cpu list");
  });

  test("blkio and io.stat", () => {
    expect(parseBlkioEntries("8:0 Read 4096\n8:0 Write 0\nTotal 4096\n")).toEqual([
      { major: 8, minor: 0, op: "Read", value: 4096 }, { major: 8, minor: 0, op: "Write", value: 0 }]);
    const io = parseIoStat("8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\ngarbage\n");
    expect(io.ioServiceBytesRecursive).toEqual([
      { major: 8, minor: 0, op: "Read", value: 10 }, { major: 8, minor: 0, op: "Write", value: 20 }]);
    expect(io.ioServicedRecursive[1]).toEqual({ major: 8, minor: 0, op: "Write", value: 2 });
  });
});

describe("cgroup paths (runc fs/fs2 semantics)", () => {
  test("clean keeps absolute/relative, refuses escapes", () => {
    expect(cleanCgroupPath("/a//b/./c/../d")).toBe("/a/b/d");
    expect(cleanCgroupPath("a/b")).toBe("a/b");
    expect(() => cleanCgroupPath("/a/../../etc")).toThrow('config.json: linux.cgroupsPath: "/a/../../etc" escapes the cgroup root');
    expect(() => cleanCgroupPath("../x")).toThrow("escapes");
  });

  test("empty path → the relative <id> (runc); bad ids refused", () => {
    expect(innerCgroupPath(undefined, "abc")).toBe("abc");
    expect(innerCgroupPath("", "abc")).toBe("abc");
    expect(innerCgroupPath("/", "abc")).toBe("abc");
    expect(innerCgroupPath("/custom/x", "abc")).toBe("/custom/x");
    expect(() => innerCgroupPath(undefined, "a/b")).toThrow("bad container id");
  });

  test("exec --cgroup arguments (runc getSubCgroupPaths)", async () => {
    const { parseSubCgroupArgs } = await import("../../../src/cgroups/manager.ts");
    expect([...parseSubCgroupArgs(["s1"])]).toEqual([["", "s1"]]);
    expect([...parseSubCgroupArgs(["memory,pids:a", "cpu:b"])]).toEqual([["memory", "a"], ["pids", "a"], ["cpu", "b"]]);
    expect(() => parseSubCgroupArgs(["a", "b"])).toThrow("missing <controller>: prefix");
    expect(() => parseSubCgroupArgs([":a"])).toThrow("empty <controller> prefix");
    expect(() => parseSubCgroupArgs(["x:y:z"])).toThrow("invalid --cgroup argument: x:y:z");
    expect(() => parseSubCgroupArgs(["m:a", "m:b"])).toThrow("controller m specified multiple times");
  });

  test("/proc/self/cgroup", () => {
    const own = parseProcCgroup("9:name=systemd:/\n4:memory:/process_api/x\n2:cpu,cpuacct:/c\n0::/user.slice/s\n");
    expect(own.get("memory")).toBe("/process_api/x");
    expect(own.get("cpuacct")).toBe("/c");
    expect(own.get("")).toBe("/user.slice/s");
    expect(() => parseProcCgroup("garbage\n")).toThrow("bad /proc/self/cgroup line");
    expect(parentCgroupPath("/a/b")).toBe("/a");
    expect(parentCgroupPath("/a")).toBe("/");
  });
});
