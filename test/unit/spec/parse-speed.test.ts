// How long `create` spends validating config.json: parseConfig on runc's default spec.
// Measured 2026-11 on the dev machine (2 cores, Bun 1.4.5): see the printed line.
import { expect, test } from "bun:test";
import { defaultSpec } from "../../../src/spec/defaults.ts";
import { parseConfig } from "../../../src/spec/parse.ts";

test("parseConfig(default spec) takes well under a millisecond", () => {
  const json = JSON.parse(JSON.stringify(defaultSpec()));
  for (let i = 0; i < 200; i++) parseConfig(json); // warm up the JIT
  const runs = 2000;
  const start = Bun.nanoseconds();
  for (let i = 0; i < runs; i++) parseConfig(json);
  const microseconds = (Bun.nanoseconds() - start) / runs / 1000;
  console.log(`parseConfig(default spec): ${microseconds.toFixed(1)} µs per call (${runs} runs)`);
  expect(microseconds).toBeLessThan(1000);
});
