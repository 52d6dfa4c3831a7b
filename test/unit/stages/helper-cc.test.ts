// MINIDOCKER_HELPER=cc compiles ffi/helper.c from a temporary source file. As root, in /tmp: a
// predictable name would let anyone plant a symlink there and have root overwrite its target.
import { afterAll, expect, test } from "bun:test";
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";

const scratch = mkdtempSync("/tmp/md-helper-cc-");
const planted = `/tmp/minidocker-helper-${process.pid}.c`;
afterAll(() => { rmSync(scratch, { recursive: true, force: true }); rmSync(planted, { force: true }); });

test("the helper source goes to a private new directory, never through a planted symlink", async () => {
  const victim = `${scratch}/victim`;
  writeFileSync(victim, "precious\n");
  symlinkSync(victim, planted); // the name the old code wrote to, following symlinks
  const before = new Set(readdirSync("/tmp"));
  process.env.MINIDOCKER_HELPER = "cc";
  try {
    const { loadHelper } = await import("../../../src/stages/spawn.ts");
    expect(typeof loadHelper()).toBe("function");
  } finally {
    delete process.env.MINIDOCKER_HELPER;
  }
  expect(readFileSync(victim, "utf8")).toBe("precious\n");
  expect(lstatSync(planted).isSymbolicLink()).toBe(true);
  // and the private directory is gone again
  expect(readdirSync("/tmp").filter((n) => !before.has(n) && n.startsWith("minidocker-helper"))).toEqual([]);
  expect(existsSync(victim)).toBe(true);
});
