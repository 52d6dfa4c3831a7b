// The state store: ids, atomic writes, status from the live process guarded by its start time.
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { procStat, Store, type StoredState, validateId } from "../../../src/state/store.ts";

const root = mkdtempSync(`${tmpdir()}/md-store-`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

test("ids: runc's character set, no / or ..", () => {
  for (const ok of ["a", "web-1", "x_y.z+1", "A".repeat(100)]) expect(validateId(ok)).toBe(ok);
  for (const bad of ["", ".", "..", "a/b", "../x", "a b", "é"]) expect(() => validateId(bad)).toThrow();
});

const state = (id: string, pid: number, startTime: string): StoredState => ({
  ociVersion: "1.3.0", id, pid, bundle: "/b", rootfs: "/b/rootfs", created: "", owner: "", initStartTime: startTime, spec: {} as never,
});

test("write is atomic (no temp file left) and read returns it; duplicates refused", () => {
  const store = new Store(root);
  store.createDir("one");
  expect(() => store.createDir("one")).toThrow("already exists");
  store.write(state("one", 1, "5"));
  expect(readdirSync(`${root}/one`)).toEqual(["state.json"]);
  expect(store.read("one").pid).toBe(1);
  expect(() => store.read("missing")).toThrow("container missing does not exist");
  expect(store.list()).toEqual(["one"]);
});

test("status: stopped when the pid is gone or reused (start time differs); created while exec.fifo exists", () => {
  const store = new Store(root);
  const me = procStat(process.pid)!;
  expect(store.status(state("x", process.pid, me.startTime))).toBe("running");
  expect(store.status(state("x", process.pid, "1"))).toBe("stopped"); // pid reuse
  expect(store.status(state("x", 0, ""))).toBe("stopped");
  expect(store.status(state("x", 999_999_999, ""))).toBe("stopped");
  mkdirSync(`${root}/x`, { recursive: true });
  writeFileSync(`${root}/x/exec.fifo`, "");
  expect(store.status(state("x", process.pid, me.startTime))).toBe("created");
  expect(store.status(state("x", process.pid, me.startTime), () => true)).toBe("created");
  rmSync(`${root}/x/exec.fifo`);
  expect(store.status(state("x", process.pid, me.startTime), () => true)).toBe("paused");
});
