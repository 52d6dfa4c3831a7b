// The Cleanup stack: undos run in reverse on failure, each once; a failing undo does not stop
// the others; what was released or already run on the success path is not run again (an fd
// closed twice may close someone else's: Bun's threads reuse numbers at once).
import { expect, test } from "bun:test";
import { closeSync, fstatSync, openSync, readFileSync } from "node:fs";
import { Cleanup } from "../../../src/container/context.ts";
import { OwnedProcess } from "../../../src/sys/pidfd.ts";

test("on a throw, undos run in reverse order; keep() runs none", () => {
  const ran: string[] = [];
  expect(() => {
    using cleanup = new Cleanup(() => {});
    cleanup.add("a", () => ran.push("a"));
    cleanup.add("b", () => ran.push("b"));
    cleanup.add("c", () => ran.push("c"));
    throw new Error("step failed");
  }).toThrow("step failed");
  expect(ran).toEqual(["c", "b", "a"]);

  ran.length = 0;
  {
    using cleanup = new Cleanup(() => {});
    cleanup.add("a", () => ran.push("a"));
    cleanup.keep();
  }
  expect(ran).toEqual([]);
});

test("an undo that throws is reported and the others still run; the original error wins", () => {
  const ran: string[] = [], warnings: string[] = [];
  expect(() => {
    using cleanup = new Cleanup((m) => warnings.push(m));
    cleanup.add("first", () => ran.push("first"));
    cleanup.add("broken", () => { throw new Error("EBUSY"); });
    cleanup.add("last", () => ran.push("last"));
    throw new Error("original");
  }).toThrow("original");
  expect(ran).toEqual(["last", "first"]);
  expect(warnings).toEqual(["cleanup broken: EBUSY"]);
});

test("released undos do not run; runNow runs once, never again on failure", () => {
  const ran: string[] = [];
  expect(() => {
    using cleanup = new Cleanup(() => {});
    const moved = cleanup.add("moved", () => ran.push("moved"));
    const done = cleanup.add("done", () => ran.push("done"));
    cleanup.add("kept", () => ran.push("kept"));
    moved.release();
    done.runNow();
    done.runNow();
    throw new Error("later step failed");
  }).toThrow();
  expect(ran).toEqual(["done", "kept"]);
});

test("an fd closed on the success path is not closed again when a later step fails", () => {
  const fd = openSync("/dev/null", "r");
  let reused = -1;
  try {
    expect(() => {
      using cleanup = new Cleanup(() => {});
      const owned = cleanup.fd("null", fd);
      owned.close();
      // the number is free again: the next open (Bun's threads do this any time) takes it
      reused = openSync("/dev/zero", "r");
      expect(reused).toBe(fd);
      throw new Error("later step failed");
    }).toThrow("later step failed");
    expect(() => fstatSync(reused)).not.toThrow(); // still open: not closed by the cleanup
  } finally {
    if (reused >= 0) closeSync(reused);
  }
});

/** A `sleep` that is not our child (as init is not: the helper's first child forks it and exits). */
function orphanSleep(): number {
  const out = Bun.spawnSync(["sh", "-c", "sleep 100 >/dev/null 2>&1 & echo $!"]);
  return Number(out.stdout.toString().trim());
}
const running = (pid: number) => { try { return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, "utf8")); } catch { return false; } };

test("a process is killed through its pidfd, waited for, and not at all once released", () => {
  const pid = orphanSleep();
  const owned = new OwnedProcess(pid);
  owned.kill();
  expect(running(pid)).toBe(false); // kill() returns once it has exited
  owned.kill(); // nothing: sent once already
  owned.close();

  const other = orphanSleep();
  const released = new OwnedProcess(other);
  released.close();
  released.kill(); // not ours any more
  expect(running(other)).toBe(true);
  process.kill(other, "SIGKILL");
});
