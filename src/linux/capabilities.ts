// The five capability sets of process.capabilities, applied the way runc does
// (libcontainer/capabilities/capabilities.go + init_linux.go finalizeNamespace):
//
//   1. dropBoundingSet      PR_CAPBSET_DROP for every cap the bounding list lacks (needs
//                           CAP_SETPCAP, so before the user switch)
//   2. keepCapabilities     PR_SET_KEEPCAPS 1: setresuid to a non-root uid would otherwise
//                           clear the permitted set
//   3. (user.ts)            setgroups, setresgid, setresuid
//   4. releaseKeepCaps      PR_SET_KEEPCAPS 0
//   5. applyCapabilitySets  capset(effective, permitted, inheritable), then the ambient set:
//                           the kernel clears ambient caps on every change to a non-root uid
//                           (cap_emulate_setxuid), and raising one needs it in permitted and
//                           inheritable, so ambient comes last.
//
// Unknown names and caps above the running kernel's last cap are skipped with a warning, like
// runc ("ignoring unknown or unavailable capabilities"). Names are matched exactly
// ("CAP_NET_RAW"), as runc does.
import { CAPABILITIES, isCapabilityName } from "../spec/capabilities-list.ts";
import { SysError } from "../sys/errors.ts";
import type { ProcessSys } from "../sys/process.ts";

/** process.capabilities (config-schema.json). */
export interface LinuxCapabilities {
  bounding?: string[];
  effective?: string[];
  inheritable?: string[];
  permitted?: string[];
  ambient?: string[];
}

/** The five sets as bit masks (bit n = capability n). */
export interface CapabilitySets {
  bounding: bigint;
  effective: bigint;
  inheritable: bigint;
  permitted: bigint;
  ambient: bigint;
}

const SET_NAMES = ["bounding", "effective", "inheritable", "permitted", "ambient"] as const;

const PR_SET_KEEPCAPS = 8;
const PR_CAPBSET_DROP = 24;
const PR_CAP_AMBIENT = 47;
const PR_CAP_AMBIENT_RAISE = 2;
const PR_CAP_AMBIENT_CLEAR_ALL = 4;
const CAP_SETPCAP = CAPABILITIES.CAP_SETPCAP;
const EINVAL = 22;

const capabilityNameOf = (n: number) =>
  Object.entries(CAPABILITIES).find(([, value]) => value === n)?.[0] ?? `capability ${n}`;

/**
 * Turn the spec's name lists into masks. `lastCap` is the kernel's (/proc/sys/kernel/cap_last_cap).
 * A missing list is an empty set, as in runc. Never throws: bad names become warnings.
 */
export function parseCapabilities(caps: LinuxCapabilities | undefined, lastCap: number) {
  const warnings: string[] = [];
  const unknown = new Set<string>();
  const sets = { bounding: 0n, effective: 0n, inheritable: 0n, permitted: 0n, ambient: 0n };
  for (const set of SET_NAMES) {
    for (const name of caps?.[set] ?? []) {
      if (typeof name !== "string" || !isCapabilityName(name) || CAPABILITIES[name] > lastCap) {
        unknown.add(String(name));
        continue;
      }
      sets[set] |= 1n << BigInt(CAPABILITIES[name]);
    }
  }
  if (unknown.size) warnings.push(`ignoring unknown or unavailable capabilities: ${[...unknown].join(", ")}`);
  return { sets: sets as CapabilitySets, warnings };
}

/** The capability numbers set in a mask, lowest first. */
export const capabilityNumbers = (mask: bigint, lastCap: number) =>
  Array.from({ length: lastCap + 1 }, (_, n) => n).filter((n) => (mask >> BigInt(n)) & 1n);

/** Names of the capabilities in a mask (for logs and tests). */
export const capabilityNames = (mask: bigint, lastCap = 63) =>
  capabilityNumbers(mask, lastCap).map(capabilityNameOf);

/**
 * Drop every capability outside `bounding` from the bounding set. Like runc (gocapability
 * Apply(BOUNDS)), nothing is dropped when CAP_SETPCAP is not effective, and EINVAL (a cap this
 * kernel lacks) is ignored.
 */
export function dropBoundingSet(sys: ProcessSys, bounding: bigint, lastCap: number) {
  if (!((sys.capget().effective >> BigInt(CAP_SETPCAP)) & 1n)) return;
  for (let n = 0; n <= lastCap; n++) {
    if ((bounding >> BigInt(n)) & 1n) continue;
    try {
      sys.prctl(PR_CAPBSET_DROP, n, 0, `PR_CAPBSET_DROP ${capabilityNameOf(n)}`);
    } catch (e) {
      if (!(e instanceof SysError && e.errno === EINVAL)) throw e;
    }
  }
}

/** Keep the permitted set over the switch to a non-root uid (runc system.SetKeepCaps). */
export const keepCapabilities = (sys: ProcessSys) => sys.prctl(PR_SET_KEEPCAPS, 1, 0, "PR_SET_KEEPCAPS 1");

/** Undo keepCapabilities once the uid is switched (runc system.ClearKeepCaps). */
export const releaseKeepCaps = (sys: ProcessSys) => sys.prctl(PR_SET_KEEPCAPS, 0, 0, "PR_SET_KEEPCAPS 0");

/**
 * capset the effective, permitted and inheritable sets of the calling thread, then raise the
 * ambient ones. A failed ambient raise is a warning, not an error (runc logs it and goes on).
 * Returns the warnings.
 */
export function applyCapabilitySets(sys: ProcessSys, sets: CapabilitySets, lastCap: number): string[] {
  sys.capset({ effective: sets.effective, permitted: sets.permitted, inheritable: sets.inheritable });
  const warnings: string[] = [];
  try {
    sys.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, "PR_CAP_AMBIENT_CLEAR_ALL");
  } catch (e) {
    // EINVAL: a kernel before 4.3 has no ambient set
    if (e instanceof SysError && e.errno === EINVAL) return sets.ambient ? ["ambient capabilities are not supported by this kernel"] : [];
    throw e;
  }
  for (const n of capabilityNumbers(sets.ambient, lastCap)) {
    try {
      sys.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, n, `PR_CAP_AMBIENT_RAISE ${capabilityNameOf(n)}`);
    } catch (e) {
      // EPERM: not in permitted and inheritable (the spec lets a config ask for that)
      warnings.push(`can't raise ambient capability: ${(e as Error).message}`);
    }
  }
  return warnings;
}
