// Destinations inside the rootfs when a symlink is swapped in AFTER secureJoin resolved them:
// the fd walk refuses instead of following it out (deterministic: the swap is done up front).
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { mkdirAllInRoot, secureJoin, withProcfd } from "../../../src/linux/rootfs.ts";

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
