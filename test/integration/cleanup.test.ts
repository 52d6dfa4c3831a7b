// A failed create or exec kills the init it started exactly once, through a pidfd: a second
// kill by bare pid (as before) could hit whatever process took the pid meanwhile. strace shows
// the runtime's own signals (its main thread, where create and exec run).
import { expect, test } from "bun:test";
import { BIN, leftovers, md, uniqueId } from "./lib.ts";
import { testScope } from "./scope.ts";

const scope = testScope("cleanup");

/** The signals the runtime sent while running `args`: its kill and pidfd_send_signal calls. */
function signalsSent(args: string[]): { code: number; calls: string[]; stderr: string } {
  const trace = `${scope.scratch}/trace-${uniqueId("t")}`;
  const p = Bun.spawnSync(["strace", "-qq", "-e", "trace=kill,tgkill,pidfd_send_signal", "-e", "signal=none", "-o", trace, BIN, "--root", scope.root, ...args], {
    stdin: "ignore", env: { PATH: process.env.PATH ?? "/usr/bin:/bin" }, timeout: 30_000,
  });
  const calls = (Bun.spawnSync(["cat", trace]).stdout.toString()).split("\n").filter(Boolean);
  return { code: p.exitCode ?? -1, calls, stderr: p.stderr.toString() };
}

const KILLED_ONCE_BY_PIDFD = [expect.stringMatching(/^pidfd_send_signal\(\d+, SIGKILL, NULL, 0\) = 0$/)];

test("a create failing in a createRuntime hook kills init once, through its pidfd", () => {
  const bundle = scope.bundle((s) => { s.hooks = { createRuntime: [{ path: "/bin/false" }] }; });
  const id = uniqueId("hookfail");
  const r = signalsSent(["run", "-b", bundle, id]);
  expect(r.stderr).toContain(`hook createRuntime[0] \\"/bin/false\\": exit status 1`);
  expect(r.code).toBe(1);
  expect(r.calls).toEqual(KILLED_ONCE_BY_PIDFD);
  expect(leftovers(scope.root, id)).toEqual([]);
});

test("an exec whose init fails (bad cwd, missing command) kills it once, through its pidfd", () => {
  const bundle = scope.bundle(() => {}, ["sleep", "100"]);
  const id = scope.track(uniqueId("execfail"));
  expect(md(scope.root, ["run", "-d", "-b", bundle, id]).code).toBe(0);
  for (const args of [["exec", "--cwd", "/nonexistent", id, "true"], ["exec", id, "/nonexistent-cmd"]]) {
    const r = signalsSent(args);
    expect(r.code).toBe(255); // exec failed, as runc
    expect(r.calls).toEqual(KILLED_ONCE_BY_PIDFD);
  }
  expect(md(scope.root, ["delete", "--force", id]).code).toBe(0);
  expect(leftovers(scope.root, id)).toEqual([]);
});
