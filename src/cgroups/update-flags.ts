// `minidocker update` flags → linux.resources, as runc's update.go converts them: sizes like "64m"
// or "1.5G" in binary units (go-units RAMInBytes), "-1" = unlimited, numbers checked per flag.
// Only what was given appears in the result (0/absent = unchanged).
import { CgroupError } from "./files.ts";
import type { LinuxResources } from "./types.ts";

type Kind = "bytes" | "uint" | "int" | "string";
const FLAGS: Record<string, { kind: Kind; description: string }> = {
  "memory": { kind: "bytes", description: "memory limit (in bytes, or with a k/m/g suffix), -1 for unlimited" },
  "memory-swap": { kind: "bytes", description: "total memory + swap limit, -1 for unlimited" },
  "memory-reservation": { kind: "bytes", description: "memory soft limit" },
  "kernel-memory": { kind: "bytes", description: "kernel memory limit (deprecated, ignored)" },
  "kernel-memory-tcp": { kind: "bytes", description: "kernel TCP buffer limit" },
  "cpu-quota": { kind: "int", description: "CPU CFS hardcap limit (microseconds per period), -1 for none" },
  "cpu-period": { kind: "uint", description: "CPU CFS period (microseconds)" },
  "cpu-share": { kind: "uint", description: "CPU shares (relative weight vs. other containers)" },
  "cpu-shares": { kind: "uint", description: "alias of --cpu-share" },
  "cpu-rt-period": { kind: "uint", description: "CPU realtime period (microseconds)" },
  "cpu-rt-runtime": { kind: "int", description: "CPU realtime runtime (microseconds)" },
  "cpuset-cpus": { kind: "string", description: "CPUs to use (0-3, 0,1)" },
  "cpuset-mems": { kind: "string", description: "memory nodes to use (0-3, 0,1)" },
  "pids-limit": { kind: "int", description: "maximum number of pids, -1 for unlimited" },
  "blkio-weight": { kind: "uint", description: "block IO weight (10 to 1000)" },
};

/** citty argument definitions for the update command. */
export const UPDATE_FLAGS = Object.fromEntries(
  Object.entries(FLAGS).map(([name, { description }]) => [name, { type: "string" as const, description }]),
);

const UNITS: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** go-units RAMInBytes: "64m", "1G", "512KiB", "1.5g", "100" (bytes); binary multipliers. */
export function parseByteSize(text: string, flag = "memory"): number {
  const m = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i.exec(text.trim());
  if (!m) throw new CgroupError(`invalid value for --${flag}: invalid size: ${JSON.stringify(text)}`);
  const value = Math.trunc(Number(m[1]) * UNITS[(m[2] ?? "").toLowerCase()]!);
  if (!Number.isSafeInteger(value)) throw new CgroupError(`invalid value for --${flag}: ${JSON.stringify(text)} is too large`);
  return value;
}

function parseFlag(name: string, kind: Kind, raw: string): number | string {
  if (kind === "string") return raw;
  if (kind === "bytes") return raw === "-1" ? -1 : parseByteSize(raw, name);
  const pattern = kind === "uint" ? /^\d+$/ : /^-?\d+$/;
  if (!pattern.test(raw.trim()) || !Number.isSafeInteger(Number(raw)))
    throw new CgroupError(`invalid value for --${name}: ${JSON.stringify(raw)} is not ${kind === "uint" ? "an unsigned" : "an"} integer`);
  return Number(raw);
}

const camel = (name: string) => name.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());

/** Build the resources update from parsed flags (kebab-case or camelCase keys; string values). */
export function resourcesFromFlags(flags: Record<string, unknown>): LinuxResources {
  const value = (name: string): number | string | undefined => {
    const raw = flags[name] ?? flags[camel(name)];
    if (raw === undefined || raw === null || raw === "" || raw === false) return undefined;
    return parseFlag(name, FLAGS[name]!.kind, String(raw));
  };
  const r: LinuxResources = {};
  const memory = {
    limit: value("memory"), swap: value("memory-swap"), reservation: value("memory-reservation"),
    kernel: value("kernel-memory"), kernelTCP: value("kernel-memory-tcp"),
  } as Record<string, number | undefined>;
  const cpu = {
    quota: value("cpu-quota"), period: value("cpu-period"), shares: value("cpu-share") ?? value("cpu-shares"),
    realtimePeriod: value("cpu-rt-period"), realtimeRuntime: value("cpu-rt-runtime"),
    cpus: value("cpuset-cpus"), mems: value("cpuset-mems"),
  } as Record<string, number | string | undefined>;
  const defined = <T extends object>(o: T) =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
  if (Object.keys(defined(memory)).length) r.memory = defined(memory);
  if (Object.keys(defined(cpu)).length) r.cpu = defined(cpu) as LinuxResources["cpu"];
  const pidsLimit = value("pids-limit") as number | undefined;
  if (pidsLimit) r.pids = { limit: pidsLimit };
  const weight = value("blkio-weight") as number | undefined;
  if (weight !== undefined) {
    if (weight !== 0 && (weight < 10 || weight > 1000))
      throw new CgroupError(`invalid value for --blkio-weight: ${weight} (valid range is 10-1000)`);
    if (weight) r.blockIO = { weight };
  }
  return r;
}
