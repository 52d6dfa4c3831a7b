// createContainer registers each undo right after what it undoes exists: a failure right after
// the state dir is made (taking its lock, writing "creating") removes it again.
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createContainer } from "../../../src/container/create.ts";
import type { Context } from "../../../src/container/context.ts";
import { defaultSpec } from "../../../src/spec/defaults.ts";
import { Store } from "../../../src/state/store.ts";

const dir = mkdtempSync("/tmp/md-create-cleanup-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const bundle = `${dir}/bundle`;
mkdirSync(`${bundle}/rootfs`, { recursive: true });
const spec = defaultSpec({ args: ["true"] });
spec.process!.terminal = false;
writeFileSync(`${bundle}/config.json`, JSON.stringify(spec));

const context = (store: Store): Context => ({
  opts: { root: store.root, logFormat: "text", debug: false, systemdCgroup: false },
  store,
  log: { warn: () => {}, debug: () => {}, info: () => {}, error: () => {} } as never,
});

test("the lock failing right after the state dir was made leaves no state dir", () => {
  const store = new (class extends Store { override lock(): () => void { throw new Error("lock failed"); } })(`${dir}/root1`);
  expect(() => createContainer(context(store), { id: "c1", bundle })).toThrow("lock failed");
  expect(existsSync(`${dir}/root1/c1`)).toBe(false);
});

test("writing the \"creating\" mark failing leaves no state dir, and the lock is released", () => {
  let unlocked = 0;
  const store = new (class extends Store {
    override creatingPath(id: string) { return `${this.dir(id)}/missing/creating`; }
    override lock(id: string) { const unlock = super.lock(id); return () => { unlocked++; unlock(); }; }
  })(`${dir}/root2`);
  expect(() => createContainer(context(store), { id: "c2", bundle })).toThrow(/ENOENT/);
  expect(existsSync(`${dir}/root2/c2`)).toBe(false);
  expect(unlocked).toBe(1);
});
