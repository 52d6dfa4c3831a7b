import { describe, expect, test } from "bun:test";
import { envWithHome, findHome, homeOfUser, mergeEnv, switchUser } from "../../../src/linux/user.ts";
import { FakeProcessSys } from "./fake-process-sys.ts";

describe("switchUser", () => {
  test("groups, then gid, then uid", () => {
    const sys = new FakeProcessSys();
    expect(switchUser(sys, { uid: 1000, gid: 100, additionalGids: [10, 20] })).toEqual([]);
    expect(sys.calls).toEqual([["setgroups", [10, 20]], ["setresgid", 100], ["setresuid", 1000]]);
  });

  test("no additionalGids clears the inherited groups; no user is root", () => {
    const sys = new FakeProcessSys();
    switchUser(sys, undefined);
    expect(sys.calls).toEqual([["setgroups", []], ["setresgid", 0], ["setresuid", 0]]);
  });

  test("setgroups denied in a user namespace: skipped, a warning only when gids were asked for", () => {
    const sys = new FakeProcessSys();
    sys.files.set("/proc/self/setgroups", "deny\n");
    expect(switchUser(sys, { uid: 1, gid: 1 })).toEqual([]);
    expect(switchUser(sys, { uid: 1, gid: 1, additionalGids: [5] })).toEqual([
      "ignoring additionalGids 5: setgroups is denied in this user namespace",
    ]);
    expect(sys.of("setgroups")).toEqual([]);
  });

  test("EINVAL means the id is not mapped", () => {
    const sys = new FakeProcessSys();
    sys.failures.set("setresuid", 22);
    expect(() => switchUser(sys, { uid: 5000, gid: 0 })).toThrow(
      'setresuid "5000: uid is not mapped in the container\'s user namespace": EINVAL');
    sys.failures.set("setresgid", 1);
    expect(() => switchUser(sys, { uid: 5000, gid: 7 })).toThrow('setresgid "7": EPERM');
  });
});

describe("HOME from /etc/passwd", () => {
  const passwd = [
    "# comment",
    "root:x:0:0:root:/root:/bin/sh",
    "broken:line",
    "app:x:1000:1000::/home/app:/bin/sh",
    "dup:x:1000:1000::/elsewhere:/bin/sh",
    "",
  ].join("\n");

  test("first entry for the uid", () => {
    expect(findHome(passwd, 0)).toBe("/root");
    expect(findHome(passwd, 1000)).toBe("/home/app");
    expect(findHome(passwd, 1)).toBeUndefined();
    expect(findHome("", 0)).toBeUndefined();
  });

  test("/ when the uid or the file is missing", () => {
    const sys = new FakeProcessSys();
    expect(homeOfUser(sys, 0)).toBe("/");
    sys.files.set("/etc/passwd", passwd);
    expect(homeOfUser(sys, 1000)).toBe("/home/app");
    expect(homeOfUser(sys, 4242)).toBe("/");
  });

  test("envWithHome adds HOME only when missing or empty", () => {
    const sys = new FakeProcessSys();
    sys.files.set("/etc/passwd", passwd);
    expect(envWithHome(sys, ["PATH=/bin", "HOME=/x"], 0)).toEqual(["PATH=/bin", "HOME=/x"]);
    expect(envWithHome(sys, ["PATH=/bin"], 1000)).toEqual(["PATH=/bin", "HOME=/home/app"]);
    expect(envWithHome(sys, ["HOME=", "A=1"], 0)).toEqual(["HOME=/root", "A=1"]); // replaced where it stands (Go's os.Setenv)
  });
});

describe("mergeEnv (runc's os.Setenv per entry)", () => {
  test("one entry per name, where it first appears, with its last value", () => {
    expect(mergeEnv(["PATH=/bin", "A=1", "PATH=/usr/bin", "B=", "A=2", "B=3"])).toEqual(["PATH=/usr/bin", "A=2", "B=3"]);
    expect(mergeEnv(["A=x=y", "A=z"])).toEqual(["A=z"]); // the name ends at the first "="
    expect(mergeEnv([])).toEqual([]);
  });

  test("envWithHome merges too: a later HOME wins, an empty one is replaced", () => {
    const sys = new FakeProcessSys();
    sys.files.set("/etc/passwd", "app:x:1000:1000::/home/app:/bin/sh\n");
    expect(envWithHome(sys, ["HOME=/a", "PATH=/bin", "HOME=/b"], 0)).toEqual(["HOME=/b", "PATH=/bin"]);
    expect(envWithHome(sys, ["HOME=/a", "HOME="], 1000)).toEqual(["HOME=/home/app"]);
  });
});
