// `spec` must write what `runc spec` writes. The runc output (1.1.5, run as root) is stored in
// runc/ so the test needs no runc; only ociVersion differs.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { CAPABILITIES, isCapabilityName, LAST_KNOWN_CAPABILITY } from "../../../src/spec/capabilities-list.ts";
import { defaultSpec } from "../../../src/spec/defaults.ts";
import { parseConfig } from "../../../src/spec/parse.ts";

const runcSpec = (file: string) => ({ ...JSON.parse(readFileSync(`${import.meta.dir}/runc/${file}`, "utf8")), });
const asJson = (value: unknown) => JSON.stringify(value, null, "\t");

test("defaultSpec() is `runc spec`, key order included", () => {
  expect(asJson(defaultSpec())).toBe(asJson(runcSpec("spec.json")));
});

test("defaultSpec({ rootless: true }) is `runc spec --rootless`", () => {
  // Stored as root: runc maps container root to the caller's euid/egid.
  const expected = runcSpec("spec-rootless.json");
  expected.linux.uidMappings[0].hostID = process.geteuid!();
  expected.linux.gidMappings[0].hostID = process.getegid!();
  expect(asJson(defaultSpec({ rootless: true }))).toBe(asJson(expected));
});

test("args replace sh; each call returns a fresh object", () => {
  const spec = defaultSpec({ args: ["ls", "-l"] });
  expect(spec.process?.args).toEqual(["ls", "-l"]);
  spec.process!.capabilities!.bounding!.push("CAP_SYS_ADMIN");
  expect(defaultSpec().process?.capabilities?.bounding).toEqual(["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]);
});

test("the default spec parses with no warning", () => {
  expect(parseConfig(JSON.parse(JSON.stringify(defaultSpec()))).warnings).toEqual([]);
});

test("capability numbers run 0..40 without gaps, as capability.h", () => {
  const numbers: number[] = Object.values(CAPABILITIES).sort((a, b) => a - b);
  expect(numbers).toEqual([...Array(LAST_KNOWN_CAPABILITY + 1).keys()]);
  expect(CAPABILITIES.CAP_SYS_ADMIN).toBe(21);
  expect(CAPABILITIES.CAP_CHECKPOINT_RESTORE).toBe(40);
  expect(isCapabilityName("CAP_BPF")).toBe(true);
  expect(isCapabilityName("CAP_bpf")).toBe(false);
  expect(isCapabilityName("toString")).toBe(false);
});

test("the modules init may use load no valibot", async () => {
  // STYLE.md: init imports neither valibot, citty nor consola (start-up cost).
  const spec = `${import.meta.dir}/../../../src/spec`;
  const light = ["types.ts", "capabilities-list.ts", "signals.ts", "defaults.ts", "validate.ts"];
  const build = await Bun.build({ entrypoints: light.map((file) => `${spec}/${file}`), target: "bun" });
  expect(build.success).toBe(true);
  for (const output of build.outputs) expect(await output.text()).not.toContain("valibot");
  // …while the parser does bundle it (the check can fail).
  const parser = await Bun.build({ entrypoints: [`${spec}/parse.ts`], target: "bun" });
  expect(await parser.outputs[0]!.text()).toContain("valibot");
});
