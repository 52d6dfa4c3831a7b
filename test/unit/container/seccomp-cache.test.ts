// The compiled-seccomp cache: a hit returns the same program without compiling; another profile
// or backend misses; a cache that cannot be written is no error.
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
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

// Whoever can write the cache chooses every container's filter: an entry or a directory that
// anyone but root could have written is ignored (compiled again), and a good entry replaces it.
describe("an entry someone else could have written is not used", () => {
  const profile = { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["chdir"], action: "SCMP_ACT_ERRNO" }] };
  /** The cache made fresh, the good program stored, then `tamper(cacheDir, entryPath)` applied. */
  function tampered(tamper: (cache: string, entry: string) => void): { compiles: number; got: Uint8Array; warnings: string[] } {
    rmSync(`${dir}/cache`, { recursive: true, force: true });
    cachedCompile(profile, () => result(5));
    const entry = `${dir}/cache/${readdirSync(`${dir}/cache`)[0]}`;
    // the attacker's program: "allow everything"
    writeFileSync(entry, readFileSync(entry, "utf8").replace(/"program":"[^"]*"/, `"program":"${Buffer.from(result(66).program).toString("base64")}"`));
    tamper(`${dir}/cache`, entry);
    let compiles = 0;
    const warnings: string[] = [];
    const got = cachedCompile(profile, () => (compiles++, result(5)), (m) => warnings.push(m)).program;
    return { compiles, got, warnings };
  }

  test("an untouched entry is used (the tampering below is what makes the difference)", () => {
    const { compiles, got, warnings } = tampered(() => {});
    expect(compiles).toBe(0);
    expect(got[0]).toBe(66);
    expect(warnings).toEqual([]);
  });

  for (const [name, tamper, reason] of [
    ["a group-writable entry", (_: string, entry: string) => chmodSync(entry, 0o620), /writable by group/],
    ["an other-writable entry", (_: string, entry: string) => chmodSync(entry, 0o602), /writable by others/],
    ["an entry owned by another uid", (_: string, entry: string) => chownSync(entry, 1000, 0), /owned by uid 1000/],
    ["an entry that is a symlink", (cache: string, entry: string) => {
      renameSync(entry, `${cache}/../elsewhere.json`);
      symlinkSync(`${cache}/../elsewhere.json`, entry);
    }, /a symlink/],
    ["a group-writable cache directory", (cache: string) => chmodSync(cache, 0o770), /cache": not trusted: writable by group/],
    ["a cache directory owned by another uid", (cache: string) => chownSync(cache, 1000, 1000), /owned by uid 1000/],
    ["a parent directory writable by others without the sticky bit", () => chmodSync(dir, 0o707), /md-seccomp-cache-[^"]*": not trusted: writable by others/],
  ] as const) {
    test(`${name} is ignored and compiled again`, () => {
      try {
        const { compiles, got, warnings } = tampered(tamper);
        expect(compiles).toBe(1);
        expect(got[0]).toBe(5);
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toMatch(reason);
      } finally {
        chmodSync(dir, 0o700);
      }
    });
  }

  test("a bad entry in a trusted directory is replaced by the compiled one", () => {
    tampered((_, entry) => chmodSync(entry, 0o666));
    let compiles = 0;
    expect(cachedCompile(profile, () => (compiles++, result(9))).program[0]).toBe(5);
    expect(compiles).toBe(0);
  });

  test("MINIDOCKER_SECCOMP_CACHE through a symlink is not used", () => {
    const saved = process.env.MINIDOCKER_SECCOMP_CACHE;
    rmSync(`${dir}/cache`, { recursive: true, force: true });
    mkdirSync(`${dir}/real`, { mode: 0o700 });
    symlinkSync(`${dir}/real`, `${dir}/link`);
    process.env.MINIDOCKER_SECCOMP_CACHE = `${dir}/link/cache`;
    try {
      let compiles = 0;
      const warnings: string[] = [];
      cachedCompile(profile, () => (compiles++, result(5)), (m) => warnings.push(m));
      cachedCompile(profile, () => (compiles++, result(5)), (m) => warnings.push(m));
      expect(compiles).toBe(2);
      expect(warnings[1]).toMatch(/link": not trusted: a symlink/);
      expect(readdirSync(`${dir}/real`)).toEqual(["cache"]); // made by mkdirp, never written into
      expect(readdirSync(`${dir}/real/cache`)).toEqual([]);
    } finally {
      process.env.MINIDOCKER_SECCOMP_CACHE = saved;
    }
  });
});
