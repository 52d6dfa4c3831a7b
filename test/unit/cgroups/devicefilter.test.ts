import { describe, expect, test } from "bun:test";
import { containerDeviceRules, DEFAULT_ALLOWED_DEVICES, effectiveDeviceRules, normalizeDeviceRule, v1DeviceRuleString } from "../../../src/cgroups/devices.ts";
import { deviceFilterInstructions, encodeInstructions, runDeviceFilter } from "../../../src/cgroups/v2/devicefilter.ts";

describe("device rules", () => {
  test("normalize: defaults, wildcards, v1 text", () => {
    const rule = normalizeDeviceRule({ allow: true }, "f");
    expect(rule).toEqual({ allow: true, type: "a", major: -1, minor: -1, access: "rwm" });
    expect(v1DeviceRuleString(rule)).toBe("a *:* rwm");
    expect(v1DeviceRuleString(normalizeDeviceRule({ allow: true, type: "c", major: 1, minor: 3, access: "mw" }, "f"))).toBe("c 1:3 wm");
    expect(() => normalizeDeviceRule({ allow: true, type: "x" }, "linux.resources.devices[0]"))
      .toThrow('cgroup: linux.resources.devices[0].type: invalid device type "x"');
    expect(() => normalizeDeviceRule({ allow: true, access: "rwx" }, "d")).toThrow('d.access: invalid device access "rwx"');
    expect(() => normalizeDeviceRule({ allow: true, major: -7 }, "d")).toThrow("d.major: invalid device major -7");
  });

  test("a wildcard rule resets what came before and sets the default", () => {
    const r = effectiveDeviceRules([{ allow: true, type: "c", major: 1, minor: 3 }, { allow: true }, { allow: false, type: "b" }], "f");
    expect(r.defaultAllow).toBe(true);
    expect(r.rules).toHaveLength(1);
  });

  test("container rules: deny-all, spec rules, runc's default allow-list (linux.devices not implied)", () => {
    const rules = containerDeviceRules([{ allow: true, type: "c", major: 10, minor: 229, access: "rw" }]);
    expect(rules[0]).toEqual({ allow: false, access: "rwm" });
    expect(rules[1]!.major).toBe(10);
    expect(rules.slice(2)).toEqual([...DEFAULT_ALLOWED_DEVICES]);
    expect(rules.some((r) => r.major === 1 && r.minor === 5)).toBe(true); // /dev/zero
  });
});

describe("eBPF device filter (interpreted)", () => {
  const verdict = (rules: Parameters<typeof deviceFilterInstructions>[0], type: "c" | "b", major: number, minor: number, access: string) =>
    runDeviceFilter(deviceFilterInstructions(rules), type, major, minor, access);

  test("no rules: deny everything", () => {
    expect(verdict([], "c", 1, 3, "r")).toBe(0);
  });

  test("runc's default allow-list", () => {
    const rules = containerDeviceRules(undefined);
    expect(verdict(rules, "c", 1, 3, "rw")).toBe(1);   // /dev/null
    expect(verdict(rules, "c", 136, 7, "rw")).toBe(1); // a pty
    expect(verdict(rules, "c", 8, 0, "m")).toBe(1);    // mknod of anything char
    expect(verdict(rules, "b", 8, 0, "m")).toBe(1);    // and block
    expect(verdict(rules, "b", 8, 0, "r")).toBe(0);    // but not reading a disk
    expect(verdict(rules, "c", 10, 229, "r")).toBe(0); // /dev/fuse not listed
  });

  test("access subsets: an 'r' rule allows r, not rw", () => {
    const rules = [{ allow: true, type: "c", major: 1, minor: 5, access: "r" }];
    expect(verdict(rules, "c", 1, 5, "r")).toBe(1);
    expect(verdict(rules, "c", 1, 5, "rw")).toBe(0);
    expect(verdict(rules, "b", 1, 5, "r")).toBe(0);
  });

  test("later rules override earlier ones; allow-all default with a deny", () => {
    expect(verdict([{ allow: true }, { allow: false, type: "c", major: 1, minor: 5 }], "c", 1, 5, "r")).toBe(0);
    expect(verdict([{ allow: true }, { allow: false, type: "c", major: 1, minor: 5 }], "c", 1, 3, "r")).toBe(1);
    expect(verdict([{ allow: false, type: "c", major: 1 }, { allow: true, type: "c", major: 1, minor: 5 }], "c", 1, 5, "w")).toBe(1);
    expect(verdict([{ allow: true, type: "c", major: 1, minor: 5 }, { allow: false, type: "c", major: 1 }], "c", 1, 5, "w")).toBe(0);
  });

  test("encoding: 8 bytes per instruction, registers packed src<<4|dst", () => {
    const program = deviceFilterInstructions([]);
    const bytes = encodeInstructions(program);
    expect(bytes.length).toBe(program.length * 8);
    expect([...bytes.subarray(0, 8)]).toEqual([0x61, 0x12, 0, 0, 0, 0, 0, 0]); // r2 = *(u32 *)(r1 + 0)
    expect([...bytes.subarray(bytes.length - 8)]).toEqual([0x95, 0, 0, 0, 0, 0, 0, 0]); // exit
  });
});
