// The compiled-seccomp cache (MINIDOCKER_SECCOMP_CACHE, /run/minidocker-cache/seccomp by default)
// decides every container's filter: an entry replaced by "allow everything" that anyone but root
// could have written must be ignored. Each test stores the real program, poisons the entry, makes
// it (or its directory) writable by someone else, and asks the container whether mkdir is denied.
import { expect, test } from "bun:test";
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { leftovers, md, uniqueId } from "./lib.ts";
import { testScope } from "./scope.ts";

const scope = testScope("seccomp-cache");
const PROBE = ["sh", "-c", "mkdir /dev/shm/d 2>/dev/null && echo mkdir-allowed || echo mkdir-denied"];
const bundle = scope.bundle((s) => {
  s.linux!.seccomp = { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 28 }] } as never;
}, PROBE);
// BPF_RET | BPF_K, SECCOMP_RET_ALLOW: the attacker's program
const ALLOW_ALL = Buffer.from([0x06, 0, 0, 0, 0, 0, 0xff, 0x7f]).toString("base64");

let cases = 0;
function run(cache: string) {
  const id = uniqueId("scc");
  const r = md(scope.root, ["run", "-b", bundle, id], { env: { MINIDOCKER_SECCOMP_CACHE: cache, MINIDOCKER_SECCOMP: "builtin" } });
  expect(leftovers(scope.root, id)).toEqual([]);
  return r;
}

/** A fresh cache holding the compiled program, its entry then poisoned; `tamper` does the rest. */
function poisoned(tamper: (cache: string, entry: string) => void) {
  const cache = `${scope.scratch}/${++cases}/seccomp`;
  const first = run(cache);
  expect(first.stdout.trim()).toBe("mkdir-denied");
  const entries = readdirSync(cache);
  expect(entries).toHaveLength(1);
  const entry = `${cache}/${entries[0]}`;
  writeFileSync(entry, readFileSync(entry, "utf8").replace(/"program":"[^"]*"/, `"program":"${ALLOW_ALL}"`));
  tamper(cache, entry);
  return run(cache);
}

test("a poisoned entry only root could have written is used (so the tests below can fail)", () => {
  expect(poisoned(() => {}).stdout.trim()).toBe("mkdir-allowed");
});

for (const [name, tamper, reason] of [
  ["group-writable", (_: string, entry: string) => chmodSync(entry, 0o660), /writable by group/],
  ["owned by another uid", (_: string, entry: string) => chownSync(entry, 1000, 1000), /owned by uid 1000/],
  ["a symlink to a root-owned file", (cache: string, entry: string) => {
    renameSync(entry, `${cache}/../planted.json`);
    symlinkSync(`${cache}/../planted.json`, entry);
  }, /a symlink/],
  ["in a directory owned by another uid", (cache: string) => chownSync(cache, 1000, 1000), /seccomp\\?": not trusted: owned by uid 1000/],
  ["in a directory writable by others", (cache: string) => chmodSync(cache, 0o703), /seccomp\\?": not trusted: writable by others/],
  ["reached through a symlinked directory", (cache: string) => {
    renameSync(cache, `${cache}.real`);
    symlinkSync(`${cache}.real`, cache);
  }, /seccomp\\?": not trusted: a symlink/],
] as const) {
  test(`a poisoned cache entry ${name} is ignored: the container's mkdir is still denied`, () => {
    const r = poisoned(tamper);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe("mkdir-denied");
    expect(r.stderr).toMatch(/seccomp cache ignored: /);
    expect(r.stderr).toMatch(reason);
  });
}

test("a cache entry is written only into a directory that passes the checks", () => {
  const cache = `${scope.scratch}/open/seccomp`;
  mkdirSync(cache, { recursive: true, mode: 0o700 });
  chmodSync(cache, 0o777);
  expect(run(cache).stdout.trim()).toBe("mkdir-denied");
  expect(readdirSync(cache)).toEqual([]);
});
