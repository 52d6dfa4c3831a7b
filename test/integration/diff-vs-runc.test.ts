// Every bundle of scripts/diff-vs-runc must look the same from inside under runc and under
// minidocker (documented differences aside, docs/differences.md). Needs root and runc on PATH
// (Debian: apt-get install runc); a missing runc fails the test, it is never skipped.
import { describe, expect, test } from "bun:test";
import { spawnSync } from "bun";
import { BUNDLES, diffCase } from "../../scripts/diff-vs-runc.ts";
import { BIN } from "./lib.ts";

describe("diff-vs-runc", () => {
  test("runc is installed", () => {
    expect(spawnSync(["runc", "--version"]).exitCode).toBe(0);
  });
  for (const bundle of BUNDLES) {
    test(`${bundle.name}: ${bundle.what}`, () => {
      const result = diffCase(bundle, "runc", BIN);
      // on failure the unified diff is the message
      expect(result.same ? "" : result.report).toBe("");
    }, 60_000);
  }
});
