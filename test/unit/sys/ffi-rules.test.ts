// The rules that keep bun:ffi calls sound (STYLE.md, bun:ffi pitfalls):
// - errno is read right after a call, with nothing allocated in between: an allocation can run
//   the GC, whose own libc calls may set errno. No libc function may return i64 (a new BigInt).
// - ptr(buf) is a bare number that keeps nothing alive: only src/sys/linux.ts takes addresses
//   (syscall() for its arguments, addressOf() + keepAlive() for pointer fields), and keeps the
//   buffers referenced until the call returned.
// - EINTR is retried: a signal handler (Bun installs them with SA_RESTART, but poll is never
//   restarted) does not cut a wait short or fail a call.
import { expect, test } from "bun:test";
import { FFIType } from "bun:ffi";
import { readdirSync, readFileSync } from "node:fs";
import { LIBC_SYMBOLS } from "../../../ffi/libc.ts";
import { close, keepAlive, pollReadable } from "../../../src/sys/linux.ts";

const REPO = new URL("../../..", import.meta.url).pathname;

test("no libc function returns a BigInt (i64/u64) before errno is read", () => {
  const bigints = Object.entries(LIBC_SYMBOLS)
    .filter(([name, def]) => name !== "umask" && [FFIType.i64, FFIType.u64].includes(def.returns as never))
    .map(([name]) => name);
  expect(bigints).toEqual([]);
});

test("only src/sys/linux.ts turns a buffer into a bare address (ptr)", () => {
  const offenders: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(`${REPO}/${dir}`, { withFileTypes: true })) {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(path);
      else if (path.endsWith(".ts") && path !== "src/sys/linux.ts" && /\bptr\(/.test(readFileSync(`${REPO}/${path}`, "utf8"))) offenders.push(path);
    }
  };
  walk("src");
  expect(offenders).toEqual([]);
});

test("keepAlive returns the call's result and lets go of its buffers after a throw too", () => {
  expect(keepAlive([new Uint8Array(8)], () => 42)).toBe(42);
  expect(() => keepAlive([new Uint8Array(8)], () => { throw new Error("boom"); })).toThrow("boom");
  expect(keepAlive([], () => "again")).toBe("again");
});

test("a signal does not cut pollReadable short: it waits on for the time left", () => {
  const { pipe } = require("bun:ffi").dlopen("libc.so.6", { pipe: { args: ["ptr"], returns: "i32" } }).symbols;
  const fds = new Int32Array(2);
  expect(pipe(fds)).toBe(0);
  const [readEnd, writeEnd] = [fds[0]!, fds[1]!];
  const handler = () => {};
  process.on("SIGUSR1", handler);
  try {
    // a signal at 200 ms (poll fails with EINTR), the data at 700 ms
    Bun.spawn(["sh", "-c", `sleep 0.2; kill -USR1 ${process.pid}`]);
    Bun.spawn(["sh", "-c", `sleep 0.7; printf x > /proc/${process.pid}/fd/${writeEnd}`]);
    const started = Date.now();
    const ready = pollReadable([readEnd], 5000);
    expect(ready).toEqual([readEnd]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
  } finally {
    process.off("SIGUSR1", handler);
    close(readEnd);
    close(writeEnd);
  }
});
