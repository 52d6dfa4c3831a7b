// Destinations inside the rootfs when a symlink is swapped in AFTER secureJoin resolved them:
// the fd walk refuses instead of following it out (deterministic: the swap is done up front).
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { mkdirAllInRoot, refuseRedirectIntoProcOrSys, secureJoin, withProcfd } from "../../../src/linux/rootfs.ts";

let dirs: string[] = [];
afterEach(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); dirs = []; });
const temp = (name: string) => { const d = mkdtempSync(`${tmpdir()}/md-${name}-`); dirs.push(d); return d; };

describe("secureJoin", () => {
  test("absolute, relative and .. links resolve inside the root; missing parts are kept", () => {
    const root = temp("root");
    mkdirSync(`${root}/etc`);
    symlinkSync("/../../../etc", `${root}/up`);
    symlinkSync("../../..", `${root}/etc/rel`);
    symlinkSync("/made/by/link", `${root}/dangling`);
    expect(secureJoin(root, "/up/passwd")).toBe(`${root}/etc/passwd`);
    expect(secureJoin(root, "/etc/rel/tmp/x")).toBe(`${root}/tmp/x`);
    expect(secureJoin(root, "/dangling/sub")).toBe(`${root}/made/by/link/sub`);
    expect(secureJoin(root, "/../../x")).toBe(`${root}/x`);
  });
});

describe("refuseRedirectIntoProcOrSys (CVE-2025-52881)", () => {
  const refuse = (root: string, destination: string, resolved: string) => () => refuseRedirectIntoProcOrSys(root, destination, resolved);
  test("a destination the config puts in /proc or /sys, or a link that stays out of them: allowed", () => {
    expect(refuse("/r", "/proc", "/r/proc")).not.toThrow();
    expect(refuse("/r", "/sys/fs/cgroup/", "/r/sys/fs/cgroup")).not.toThrow();
    expect(refuse("/r", "/var/run/x", "/r/run/x")).not.toThrow();
    expect(refuse("/", "/proc/kcore", "/proc/kcore")).not.toThrow(); // after pivot_root
    expect(refuse("/r", "/processes", "/r/processes")).not.toThrow();
    expect(refuse("/", "/proc/self/attr", "/proc/42/attr")).not.toThrow(); // the kernel's links inside /proc and /sys
    expect(refuse("/r", "/sys/class/net/lo", "/r/sys/devices/virtual/net/lo")).not.toThrow();
  });
  test("a link of the image that leads into /proc or /sys: refused, naming both paths", () => {
    expect(refuse("/r", "/data", "/r/proc/sys")).toThrow(`"/data" leads to "/proc/sys" through a symlink; refusing to mount inside /proc or /sys`);
    expect(refuse("/r", "/vol", "/r/sys")).toThrow(`leads to "/sys"`);
    expect(refuse("/", "/etc/secret", "/proc/sys/kernel/core_pattern")).toThrow(`leads to "/proc/sys/kernel/core_pattern"`);
  });
});

describe("after the resolution, a component became a symlink to the host", () => {
  test("mkdirAllInRoot refuses and creates nothing outside", () => {
    const root = temp("root"), host = temp("host");
    const resolved = secureJoin(root, "/a/b/c"); // "a" is missing: resolved as a plain directory
    symlinkSync(host, `${root}/a`); // the swap
    expect(() => mkdirAllInRoot(root, resolved)).toThrow(/component "a" is not a directory/);
    expect(readdirSync(host)).toEqual([]);
  });

  test("withProcfd never hands out a path outside the root", () => {
    const root = temp("root"), host = temp("host");
    mkdirSync(`${host}/b`);
    mkdirSync(`${root}/a`);
    const resolved = secureJoin(root, "/a/b");
    rmSync(`${root}/a`, { recursive: true });
    symlinkSync(host, `${root}/a`);
    let called = false;
    expect(() => withProcfd(root, resolved, () => { called = true; })).toThrow();
    expect(called).toBe(false);
  });

  test("mkdirAllInRoot creates the missing directories inside, and accepts existing ones", () => {
    const root = temp("root");
    mkdirAllInRoot(root, `${root}/x/y/z`);
    mkdirAllInRoot(root, `${root}/x/y`);
    expect(existsSync(`${root}/x/y/z`)).toBe(true);
    expect(() => mkdirAllInRoot(root, "/elsewhere/x")).toThrow(/not inside the rootfs/);
  });
});
