import { describe, expect, test } from "bun:test";
import {
  applyCapabilitySets, capabilityNames, dropBoundingSet, parseCapabilities,
} from "../../../src/linux/capabilities.ts";
import { FakeProcessSys } from "./fake-process-sys.ts";

const bit = (n: number) => 1n << BigInt(n);

describe("parseCapabilities", () => {
  test("maps names of each set to a mask", () => {
    const { sets, warnings } = parseCapabilities({
      bounding: ["CAP_CHOWN", "CAP_NET_BIND_SERVICE", "CAP_CHECKPOINT_RESTORE"],
      effective: ["CAP_NET_BIND_SERVICE"],
      permitted: ["CAP_NET_BIND_SERVICE", "CAP_KILL"],
      inheritable: [],
      ambient: ["CAP_NET_BIND_SERVICE"],
    }, 40);
    expect(sets.bounding).toBe(bit(0) | bit(10) | bit(40));
    expect(sets.effective).toBe(0x400n);
    expect(sets.permitted).toBe(0x400n | bit(5));
    expect(sets.inheritable).toBe(0n);
    expect(sets.ambient).toBe(0x400n);
    expect(warnings).toEqual([]);
  });

  test("a missing capabilities object or list is an empty set", () => {
    expect(parseCapabilities(undefined, 40).sets).toEqual(
      { bounding: 0n, effective: 0n, inheritable: 0n, permitted: 0n, ambient: 0n });
    expect(parseCapabilities({ bounding: ["CAP_KILL"] }, 40).sets.effective).toBe(0n);
  });

  test("unknown names, wrong case and non-strings are skipped with one warning", () => {
    const { sets, warnings } = parseCapabilities({
      bounding: ["CAP_BOGUS", "cap_chown", "NET_ADMIN", 7 as unknown as string, "CAP_KILL"],
      effective: ["CAP_BOGUS"],
    }, 40);
    expect(sets.bounding).toBe(bit(5));
    expect(sets.effective).toBe(0n);
    expect(warnings).toEqual(["ignoring unknown or unavailable capabilities: CAP_BOGUS, cap_chown, NET_ADMIN, 7"]);
  });

  test("caps above the kernel's last cap are skipped like runc", () => {
    const { sets, warnings } = parseCapabilities({ bounding: ["CAP_BPF", "CAP_CHECKPOINT_RESTORE"] }, 39);
    expect(sets.bounding).toBe(bit(39));
    expect(warnings[0]).toContain("CAP_CHECKPOINT_RESTORE");
  });

  test("names of a mask", () => {
    expect(capabilityNames(0x400n | bit(21))).toEqual(["CAP_NET_BIND_SERVICE", "CAP_SYS_ADMIN"]);
  });
});

describe("dropBoundingSet", () => {
  test("drops every cap up to the last one that the bounding set lacks", () => {
    const sys = new FakeProcessSys();
    dropBoundingSet(sys, bit(10) | bit(0), 40);
    const dropped = sys.of("prctl").map(([option, cap]) => [option, cap]);
    expect(dropped.length).toBe(39);
    expect(dropped.every(([option]) => option === 24)).toBe(true);
    expect(dropped.map(([, cap]) => cap)).not.toContain(10);
    expect(dropped.map(([, cap]) => cap)).toContain(40);
  });

  test("does nothing without CAP_SETPCAP in the effective set", () => {
    const sys = new FakeProcessSys();
    sys.caps.effective = bit(10);
    dropBoundingSet(sys, 0n, 40);
    expect(sys.of("prctl")).toEqual([]);
  });

  test("ignores EINVAL, throws other errors naming the cap", () => {
    const sys = new FakeProcessSys();
    sys.failures.set("prctl:PR_CAPBSET_DROP CAP_CHOWN", 22);
    expect(() => dropBoundingSet(sys, 0n, 40)).not.toThrow();
    sys.failures.set("prctl:PR_CAPBSET_DROP CAP_KILL", 1);
    expect(() => dropBoundingSet(sys, 0n, 40)).toThrow('prctl "PR_CAPBSET_DROP CAP_KILL": EPERM (Operation not permitted)');
  });
});

describe("applyCapabilitySets", () => {
  const sets = { bounding: 0x400n, effective: 0x400n, permitted: 0x400n | bit(5), inheritable: 0x400n, ambient: 0x400n | bit(5) };

  test("capset, then clear and raise ambient caps one by one", () => {
    const sys = new FakeProcessSys();
    expect(applyCapabilitySets(sys, sets, 40)).toEqual([]);
    expect(sys.names()).toEqual([
      "capset", "prctl PR_CAP_AMBIENT_CLEAR_ALL", "prctl PR_CAP_AMBIENT_RAISE CAP_KILL",
      "prctl PR_CAP_AMBIENT_RAISE CAP_NET_BIND_SERVICE",
    ]);
    expect(sys.of("capset")[0]).toEqual([{ effective: 0x400n, permitted: 0x400n | bit(5), inheritable: 0x400n }]);
  });

  test("an ambient cap that cannot be raised is a warning", () => {
    const sys = new FakeProcessSys();
    sys.failures.set("prctl:PR_CAP_AMBIENT_RAISE CAP_KILL", 1);
    expect(applyCapabilitySets(sys, sets, 40)).toEqual([
      `can't raise ambient capability: prctl "PR_CAP_AMBIENT_RAISE CAP_KILL": EPERM (Operation not permitted)`,
    ]);
  });

  test("a failed capset is an error naming the sets", () => {
    const sys = new FakeProcessSys();
    sys.failures.set("capset", 1);
    expect(() => applyCapabilitySets(sys, sets, 40)).toThrow("capset");
  });
});
