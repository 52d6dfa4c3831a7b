// Per-file test scope for integration tests: a private --root, a scratch directory, and the
// bundles and containers made by the file's tests, all removed after them (afterAll).
import { afterAll } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import type { Spec } from "../../src/spec/types.ts";
import { makeBundle, makeRoot, md, removeBundle, watchDirForMounts } from "./lib.ts";

export function testScope(name: string) {
  const root = makeRoot();
  const scratch = mkdtempSync(`${tmpdir()}/md-${name}-`);
  watchDirForMounts(scratch);
  const bundles: string[] = [];
  const ids: string[] = [];
  afterAll(() => {
    for (const id of ids) md(root, ["delete", "--force", id]);
    if (!process.env.KEEP_BUNDLES) for (const b of bundles) removeBundle(b);
    rmSync(root, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });
  return {
    root,
    scratch,
    /** makeBundle, removed after the file's tests (KEEP_BUNDLES=1 keeps them for a post-mortem) */
    bundle(edit: (s: Spec) => void = () => {}, args?: string[]): string {
      const b = makeBundle(edit, args);
      bundles.push(b);
      return b;
    },
    /** a container id to `delete --force` after the file's tests */
    track(id: string): string {
      ids.push(id);
      return id;
    },
  };
}
