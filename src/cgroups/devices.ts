// Device cgroup rules shared by v1 (devices.allow/deny) and v2 (eBPF filter): normalising the
// spec's entries, runc's default allow-list, and v1's "c 1:3 rwm" text form.
import { CgroupError } from "./files.ts";
import type { LinuxDeviceCgroup } from "./types.ts";

export interface DeviceRule {
  allow: boolean;
  type: "a" | "c" | "b";
  major: number;      // -1 = any
  minor: number;      // -1 = any
  access: string;     // non-empty subset of "rwm", in that order
}

export function normalizeDeviceRule(rule: LinuxDeviceCgroup, field: string): DeviceRule {
  const type = rule.type ?? "a";
  if (type !== "a" && type !== "c" && type !== "b")
    throw new CgroupError(`invalid device type ${JSON.stringify(type)} (want "a", "c" or "b")`, `${field}.type`);
  const access = rule.access ?? "rwm";
  if (!/^[rwm]+$/.test(access))
    throw new CgroupError(`invalid device access ${JSON.stringify(access)} (want letters of "rwm")`, `${field}.access`);
  const wildcard = (n: number | undefined, name: string) => {
    if (n === undefined || n === -1) return -1;
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff)
      throw new CgroupError(`invalid device ${name} ${n}`, `${field}.${name}`);
    return n;
  };
  return {
    allow: rule.allow, type, major: wildcard(rule.major, "major"), minor: wildcard(rule.minor, "minor"),
    access: ["r", "w", "m"].filter((c) => access.includes(c)).join(""),
  };
}

export const isWildcardAll = (r: DeviceRule) => r.type === "a" && r.major === -1 && r.minor === -1;

/** v1's devices.allow/deny line: "c 1:3 rwm", "a *:* rwm". */
export const v1DeviceRuleString = (r: DeviceRule) =>
  `${r.type} ${r.major < 0 ? "*" : r.major}:${r.minor < 0 ? "*" : r.minor} ${r.access}`;

/**
 * runc 1.1's default allow-list (libcontainer/specconv AllowedDevices): mknod of anything, the
 * standard character devices, ptys and /dev/net/tun. runc appends it to every container's rules.
 */
export const DEFAULT_ALLOWED_DEVICES: readonly LinuxDeviceCgroup[] = [
  { allow: true, type: "c", access: "m" },
  { allow: true, type: "b", access: "m" },
  { allow: true, type: "c", major: 1, minor: 3, access: "rwm" },   // /dev/null
  { allow: true, type: "c", major: 1, minor: 8, access: "rwm" },   // /dev/random
  { allow: true, type: "c", major: 1, minor: 7, access: "rwm" },   // /dev/full
  { allow: true, type: "c", major: 5, minor: 0, access: "rwm" },   // /dev/tty
  { allow: true, type: "c", major: 1, minor: 5, access: "rwm" },   // /dev/zero
  { allow: true, type: "c", major: 1, minor: 9, access: "rwm" },   // /dev/urandom
  { allow: true, type: "c", major: 136, access: "rwm" },           // /dev/pts/*
  { allow: true, type: "c", major: 5, minor: 2, access: "rwm" },   // /dev/ptmx
  { allow: true, type: "c", major: 10, minor: 200, access: "rwm" }, // /dev/net/tun
];

/**
 * The device rules a container's cgroup gets, as runc 1.1 builds them (specconv CreateCgroupConfig):
 * deny-all (runc's emulator starts from a white-list), the spec's linux.resources.devices, then
 * the default allow-list. linux.devices nodes are NOT allowed implicitly: runc makes the node but
 * the cgroup refuses to open it unless resources.devices allows it (checked against runc 1.1.5).
 */
export function containerDeviceRules(resourceDevices: readonly LinuxDeviceCgroup[] | undefined): LinuxDeviceCgroup[] {
  return [{ allow: false, access: "rwm" }, ...(resourceDevices ?? []), ...DEFAULT_ALLOWED_DEVICES];
}

/**
 * The effective rule list: a wildcard "a *:*" rule resets everything before it and sets the default;
 * later rules override earlier ones (so a filter checks them last-first). Default: deny.
 */
export function effectiveDeviceRules(rules: readonly LinuxDeviceCgroup[], field: string) {
  let defaultAllow = false;
  let list: DeviceRule[] = [];
  rules.forEach((rule, i) => {
    const r = normalizeDeviceRule(rule, `${field}[${i}]`);
    if (isWildcardAll(r) && r.access === "rwm") {
      defaultAllow = r.allow;
      list = [];
    } else list.push(r);
  });
  return { defaultAllow, rules: list };
}
