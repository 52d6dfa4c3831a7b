// podman's `--device` writes fileMode with the file type bits (S_IFCHR|0666); create takes it as runc does.
import { expect, test } from "bun:test";
import { defaultSpec } from "../../../src/spec/defaults.ts";
import { lintConfig, parseConfig } from "../../../src/spec/parse.ts";

const withDevice = (fileMode: number) => {
  const spec = defaultSpec() as unknown as { linux: { devices?: unknown[] } };
  spec.linux.devices = [{ path: "/dev/myzero", type: "c", major: 1, minor: 5, fileMode, uid: 0, gid: 0 }];
  return spec;
};

test("create keeps the permission bits of a fileMode that carries S_IFCHR (podman)", () => {
  const { spec } = parseConfig(withDevice(0o20666));
  expect(spec.linux?.devices?.[0]?.fileMode).toBe(0o666);
});

test("other bits above 0777 are still refused, and lint reports the schema's bound", () => {
  expect(() => parseConfig(withDevice(0o1000000))).toThrow("linux.devices[0].fileMode: expected at most 511");
  expect(lintConfig(withDevice(0o20666)).errors[0]).toContain("linux.devices[0].fileMode: expected at most 511, got 8630");
});
