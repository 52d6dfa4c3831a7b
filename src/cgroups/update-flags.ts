// runc's `update` flags → LinuxResources (runc update.go), with docker-style byte sizes.
import type { LinuxResources } from "../spec/types.ts";
import { RuntimeError } from "../sys/errors.ts";

export const UPDATE_FLAGS = {
  memory: { type: "string", description: "memory limit (bytes, or 64m, 1g)" },
  "memory-swap": { type: "string", description: "memory + swap limit (-1 unlimited)" },
  "memory-reservation": { type: "string", description: "memory soft limit" },
  "kernel-memory": { type: "string", description: "ignored (kernel memory limits are gone from cgroups)" },
  "kernel-memory-tcp": { type: "string", description: "ignored" },
  "cpu-quota": { type: "string", description: "CPU CFS quota in µs per period (-1 unlimited)" },
  "cpu-period": { type: "string", description: "CPU CFS period in µs" },
  "cpu-shares": { type: "string", description: "relative CPU weight (v2: converted to cpu.weight)" },
  "cpu-rt-period": { type: "string", description: "CPU realtime period in µs (v1)" },
  "cpu-rt-runtime": { type: "string", description: "CPU realtime runtime in µs (v1)" },
  "cpu-idle": { type: "string", description: "1: SCHED_IDLE for the cgroup (v2)" },
  "cpuset-cpus": { type: "string", description: "CPUs to use (0-3, 0,1)" },
  "cpuset-mems": { type: "string", description: "memory nodes to use" },
  "pids-limit": { type: "string", description: "maximum number of pids (-1 or 0 unlimited)" },
  "blkio-weight": { type: "string", description: "block IO weight (10-1000)" },
  "l3-cache-schema": { type: "string", description: "not supported" },
  "mem-bw-schema": { type: "string", description: "not supported" },
} as const;

const UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, t: 1024 ** 4, tb: 1024 ** 4 };

/** "64m" → 67108864; "-1" stays -1 (unlimited). */
export function parseBytes(text: string, flag: string): number {
  if (text === "-1") return -1;
  const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(text.trim());
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new RuntimeError(`--${flag}: invalid size "${text}"`);
  return Math.floor(Number(m[1]) * unit);
}

function parseInteger(text: string, flag: string): number {
  if (!/^-?\d+$/.test(text)) throw new RuntimeError(`--${flag}: invalid number "${text}"`);
  return Number(text);
}

export function resourcesFromFlags(flags: Record<string, unknown>): LinuxResources {
  const s = (name: string) => flags[name] as string | undefined;
  const r: Record<string, Record<string, unknown>> = {};
  const set = (section: string, key: string, value: unknown) => { (r[section] ??= {})[key] = value; };
  for (const name of ["l3-cache-schema", "mem-bw-schema"]) if (s(name) !== undefined) throw new RuntimeError(`--${name}: Intel RDT is not supported`);
  if (s("memory") !== undefined) set("memory", "limit", parseBytes(s("memory")!, "memory"));
  if (s("memory-swap") !== undefined) set("memory", "swap", parseBytes(s("memory-swap")!, "memory-swap"));
  if (s("memory-reservation") !== undefined) set("memory", "reservation", parseBytes(s("memory-reservation")!, "memory-reservation"));
  if (s("cpu-quota") !== undefined) set("cpu", "quota", parseInteger(s("cpu-quota")!, "cpu-quota"));
  if (s("cpu-period") !== undefined) set("cpu", "period", parseInteger(s("cpu-period")!, "cpu-period"));
  if (s("cpu-shares") !== undefined) set("cpu", "shares", parseInteger(s("cpu-shares")!, "cpu-shares"));
  if (s("cpu-rt-period") !== undefined) set("cpu", "realtimePeriod", parseInteger(s("cpu-rt-period")!, "cpu-rt-period"));
  if (s("cpu-rt-runtime") !== undefined) set("cpu", "realtimeRuntime", parseInteger(s("cpu-rt-runtime")!, "cpu-rt-runtime"));
  if (s("cpu-idle") !== undefined) set("cpu", "idle", parseInteger(s("cpu-idle")!, "cpu-idle"));
  if (s("cpuset-cpus") !== undefined) set("cpu", "cpus", s("cpuset-cpus"));
  if (s("cpuset-mems") !== undefined) set("cpu", "mems", s("cpuset-mems"));
  if (s("pids-limit") !== undefined) set("pids", "limit", parseInteger(s("pids-limit")!, "pids-limit"));
  if (s("blkio-weight") !== undefined) set("blockIO", "weight", parseInteger(s("blkio-weight")!, "blkio-weight"));
  return r as LinuxResources;
}
