// `features` output must satisfy the spec's features-schema.json, and name only what we do.
import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import Ajv from "ajv-draft-04";
import { features } from "../../../src/spec/features.ts";
import { SPEC_DIR } from "./json-schema-oracle.ts";

test("features JSON validates against features-schema.json", () => {
  const ajv = new Ajv({ allErrors: true, strict: false });
  for (const f of readdirSync(SPEC_DIR).filter((f) => /^defs.*\.json$/.test(f)))
    ajv.addSchema(JSON.parse(readFileSync(`${SPEC_DIR}/${f}`, "utf8")), f);
  for (const f of readdirSync(SPEC_DIR).filter((f) => /^features-.*\.json$/.test(f) && f !== "features-schema.json"))
    ajv.addSchema(JSON.parse(readFileSync(`${SPEC_DIR}/${f}`, "utf8")), f);
  const validate = ajv.compile(JSON.parse(readFileSync(`${SPEC_DIR}/features-schema.json`, "utf8")));
  const ok = validate(features());
  expect(validate.errors ?? []).toEqual([]);
  expect(ok).toBe(true);
});

test("features claims what is implemented and nothing we refuse", () => {
  const f = features();
  expect(f.linux.cgroup.systemd).toBe(false);
  expect(f.linux.apparmor.enabled).toBe(false);
  expect(f.mountOptions).toContain("rro");
  expect(f.linux.namespaces).toEqual(["cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"]);
  // refused at create (validate.ts): never claimed
  expect([f.linux.intelRdt.enabled, f.linux.netDevices.enabled]).toEqual([false, false]);
  // idmapped mounts through the container's user namespace (rootfs.test.ts sees them from inside)
  expect(f.linux.mountExtensions.idmap.enabled).toBe(true);
  expect(f.mountOptions).toContain("idmap");
  expect(f.mountOptions).toContain("ridmap");
});
