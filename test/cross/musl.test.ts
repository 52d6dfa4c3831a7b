// What the musl builds rely on, checked here without Bun's musl runtime (it needs a musl
// libstdc++, which Debian does not ship): musl's loader serves ffi/libc.ts's dlopen("libc.so.6")
// and every symbol it binds, and the helper, built for musl as scripts/release builds it, runs
// its md_nsenter constructor when preloaded into a musl process (musl calls constructors
// without glibc's argc/argv/envp). The glibc build is run the same way beside it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { helperCompileCommand } from "../../scripts/lib/helper.ts";

const root = join(import.meta.dir, "../..");
const dir = mkdtempSync(join(tmpdir(), "md-musl-"));
const CLONE_NEWPID = 0x20000000;
const MSG_PID = 2;

function run(cmd: string[], env?: Record<string, string>, fds: number[] = []) {
  const r = Bun.spawnSync(cmd, { cwd: dir, env, stdio: ["ignore", "pipe", "pipe", ...fds] });
  return { code: r.exitCode, signal: r.signalCode, out: r.stdout.toString(), err: r.stderr.toString() };
}

function mustRun(cmd: string[]) {
  const r = run(cmd);
  if (r.code !== 0) throw new Error(`${cmd.join(" ")}: ${r.err}`);
}

const LIBCS = [
  { libc: "musl", cc: "musl-gcc" },
  { libc: "glibc", cc: "gcc" },
] as const;

beforeAll(() => {
  writeFileSync(join(dir, "main.c"), "int main(void) { return 0; }\n");
  writeFileSync(
    join(dir, "dlsym.c"),
    `#include <dlfcn.h>
#include <stdio.h>
int main(int argc, char **argv) {
  void *libc = dlopen("libc.so.6", RTLD_NOW);
  if (!libc) { printf("dlopen: %s\\n", dlerror()); return 2; }
  for (int i = 1; i < argc; i++) if (!dlsym(libc, argv[i])) printf("missing %s\\n", argv[i]);
  return 0;
}
`,
  );
  for (const { libc, cc } of LIBCS) {
    mustRun([cc, "-o", `main-${libc}`, "main.c"]);
    mustRun([cc, "-o", `dlsym-${libc}`, "dlsym.c"]);
    mustRun(helperCompileCommand("gcc", join(dir, `helper-${libc}.so`), libc));
  }
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("musl: dlopen(\"libc.so.6\") yields musl itself, with every symbol ffi/libc.ts binds", () => {
  const symbols = [...readFileSync(join(root, "ffi/libc.ts"), "utf8").matchAll(/^ {2}(\w+): \{ args:/gm)].map((m) => m[1]!);
  expect(symbols).toContain("__errno_location");
  expect(symbols.length).toBeGreaterThan(30);
  const r = run([join(dir, "dlsym-musl"), ...symbols]);
  expect(r.out).toBe("");
  expect(r.code).toBe(0);
});

for (const { libc } of LIBCS) {
  describe(`the helper preloaded into a ${libc} process`, () => {
    /** Run main-<libc> with the helper preloaded and md_nsenter's spec; returns init's records. */
    function preload(lastArgument: string, cloneFlags: number) {
      const records = join(dir, `records-${libc}`);
      const fd = openSync(records, "w");
      try {
        const r = run([join(dir, `main-${libc}`), lastArgument], {
          LD_PRELOAD: join(dir, `helper-${libc}.so`),
          _MINIDOCKER_NSENTER: `3 -1 ${cloneFlags} 0`,
        }, [fd]);
        return { ...r, records: readFileSync(records) };
      } finally {
        closeSync(fd);
      }
    }

    test("reports init's pid for the `init` stage", () => {
      const r = preload("init", 0);
      expect(r.signal).toBeFalsy();
      expect(r.code).toBe(0);
      expect(r.records.length).toBe(64);
      expect(r.records.readInt32LE(0)).toBe(MSG_PID);
      expect(r.records.readInt32LE(4)).toBeGreaterThan(1);
    });

    test("forks init into a new pid namespace and reports the child", () => {
      const r = preload("init", CLONE_NEWPID);
      expect(r.signal).toBeFalsy();
      expect(r.code).toBe(0);
      expect(r.records.readInt32LE(0)).toBe(MSG_PID);
      expect(r.records.readInt32LE(4)).toBeGreaterThan(1);
    });

    test("does nothing for any other command", () => {
      const r = preload("initx", 0);
      expect(r.signal).toBeFalsy();
      expect(r.code).toBe(0);
      expect(r.records.length).toBe(0);
    });
  });
}
