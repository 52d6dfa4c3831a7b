// The compiled-seccomp cache: a hit returns the same program without compiling; another profile
// or backend misses; a cache that cannot be written is no error.
import { afterAll, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";

const dir = mkdtempSync(`${tmpdir()}/md-seccomp-cache-`);
process.env.MINIDOCKER_SECCOMP_CACHE = `${dir}/cache`;
const { cachedCompile } = await import("../../../src/container/seccomp.ts");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const result = (n: number) => ({
  program: new Uint8Array([n, 0, 0, 0, 0, 0, 0, 0]), flags: 1, backend: "builtin" as const,
  warnings: [`w${n}`], unknownSyscalls: [], notify: false,
});

test("a hit returns the stored program without compiling", () => {
  let compiles = 0;
  const profile = { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["mkdir"], action: "SCMP_ACT_ERRNO" }] };
  const first = cachedCompile(profile, () => (compiles++, result(7)));
  const second = cachedCompile(profile, () => (compiles++, result(9)));
  expect(compiles).toBe(1);
  expect(second).toEqual(first);
  expect(second.program).toBeInstanceOf(Uint8Array);
  expect(readdirSync(`${dir}/cache`).length).toBe(1);
});

test("another profile or another backend is compiled", () => {
  let compiles = 0;
  cachedCompile({ defaultAction: "SCMP_ACT_KILL" }, () => (compiles++, result(1)));
  process.env.MINIDOCKER_SECCOMP = "libseccomp";
  try {
    cachedCompile({ defaultAction: "SCMP_ACT_KILL" }, () => (compiles++, result(2)));
  } finally {
    delete process.env.MINIDOCKER_SECCOMP;
  }
  expect(compiles).toBe(2);
});

test("an unwritable cache only means compiling every time", () => {
  rmSync(`${dir}/cache`, { recursive: true, force: true });
  // a file where the directory should be: neither read nor write can work
  Bun.write(`${dir}/cache`, "");
  chmodSync(`${dir}/cache`, 0o400);
  let compiles = 0;
  cachedCompile({ defaultAction: "SCMP_ACT_LOG" }, () => (compiles++, result(3)));
  cachedCompile({ defaultAction: "SCMP_ACT_LOG" }, () => (compiles++, result(3)));
  expect(compiles).toBe(2);
});
