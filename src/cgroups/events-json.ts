// `runc events` JSON: {"type":"stats","id":…,"data":{…}} and {"type":"oom","id":…}, shaped as
// runc's types/events.go encodes them with Go's encoding/json: fields in struct order, `omitempty`
// fields dropped when zero, empty or absent (structs are never omitted), "intel_rdt": {} and
// "network_interfaces": null always present.
import type { BlkioEntry, CpuUsage, MemoryEntry, Stats } from "./types.ts";

export interface RuncEvent { type: "stats" | "oom"; id: string; data?: unknown }

type Fields = Array<[key: string, value: unknown, omitEmpty?: boolean]>;

const isEmpty = (v: unknown) =>
  v === undefined || v === null || v === 0 || v === "" ||
  (Array.isArray(v) && v.length === 0) ||
  (typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);

/** A Go struct: keys in order; `omitEmpty` ones left out when empty; other absent numbers are 0. */
function goStruct(fields: Fields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value, omitEmpty] of fields) {
    if (omitEmpty && isEmpty(value)) continue;
    out[key] = value ?? 0;
  }
  return out;
}

const memoryEntry = (e: MemoryEntry) =>
  goStruct([["limit", e.limit], ["usage", e.usage, true], ["max", e.max, true], ["failcnt", e.failcnt]]);

const blkioEntries = (entries: BlkioEntry[] | undefined) =>
  entries?.map((e) => goStruct([["major", e.major, true], ["minor", e.minor, true], ["op", e.op, true], ["value", e.value, true]]));

const cpuUsage = (u: CpuUsage) => goStruct([
  ["total", u.total, true], ["percpu", u.percpu, true], ["percpu_kernel", u.percpu_kernel, true],
  ["percpu_user", u.percpu_user, true], ["kernel", u.kernel], ["user", u.user],
]);

/** The "data" of a stats event. */
export function runcStatsData(s: Stats): Record<string, unknown> {
  const c = s.cpuset, m = s.memory, b = s.blkio;
  return {
    cpu: {
      usage: cpuUsage(s.cpu.usage),
      throttling: goStruct([
        ["periods", s.cpu.throttling.periods, true], ["throttledPeriods", s.cpu.throttling.throttledPeriods, true],
        ["throttledTime", s.cpu.throttling.throttledTime, true],
      ]),
    },
    cpuset: goStruct([
      ["cpus", c.cpus, true], ["cpu_exclusive", c.cpu_exclusive], ["mems", c.mems, true], ["mem_hardwall", c.mem_hardwall],
      ["mem_exclusive", c.mem_exclusive], ["memory_migrate", c.memory_migrate], ["memory_spread_page", c.memory_spread_page],
      ["memory_spread_slab", c.memory_spread_slab], ["memory_pressure", c.memory_pressure],
      ["sched_load_balance", c.sched_load_balance], ["sched_relax_domain_level", c.sched_relax_domain_level],
    ]),
    memory: goStruct([
      ["cache", m.cache, true], ["usage", memoryEntry(m.usage)], ["swap", memoryEntry(m.swap)],
      ["kernel", memoryEntry(m.kernel)], ["kernelTCP", memoryEntry(m.kernelTCP)], ["raw", m.raw, true],
    ]),
    pids: goStruct([["current", s.pids.current, true], ["limit", s.pids.limit, true]]),
    blkio: goStruct([
      ["ioServiceBytesRecursive", blkioEntries(b.ioServiceBytesRecursive), true],
      ["ioServicedRecursive", blkioEntries(b.ioServicedRecursive), true],
      ["ioQueueRecursive", blkioEntries(b.ioQueueRecursive), true],
      ["ioServiceTimeRecursive", blkioEntries(b.ioServiceTimeRecursive), true],
      ["ioWaitTimeRecursive", blkioEntries(b.ioWaitTimeRecursive), true],
      ["ioMergedRecursive", blkioEntries(b.ioMergedRecursive), true],
      ["ioTimeRecursive", blkioEntries(b.ioTimeRecursive), true],
      ["sectorsRecursive", blkioEntries(b.sectorsRecursive), true],
    ]),
    hugetlb: Object.fromEntries(Object.entries(s.hugetlb).map(([size, h]) =>
      [size, goStruct([["usage", h.usage, true], ["max", h.max, true], ["failcnt", h.failcnt]])])),
    intel_rdt: {},
    network_interfaces: null,
  };
}

/** One JSON line, as runc's events prints with json.NewEncoder (data left out when absent). */
export const runcEventLine = (event: RuncEvent) =>
  `${JSON.stringify({ type: event.type, id: event.id, ...(event.data === undefined ? {} : { data: event.data }) })}\n`;
