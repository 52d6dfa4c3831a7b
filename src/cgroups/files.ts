// Reading and writing cgroupfs files, with errors that name the spec field, the file and the value:
//   cgroup: linux.resources.cpu.cpus: write "cpuset.cpus" "99": EINVAL (Invalid argument)
import { RuntimeError, SysError } from "../sys/errors.ts";
import { closeFd, exists, openFile, readText, writeAll } from "../sys/fs.ts";
import { O } from "../sys/linux.ts";

export class CgroupError extends RuntimeError {
  constructor(detail: string, readonly field = "", readonly file = "", options?: ErrorOptions) {
    super(`cgroup: ${field ? `${field}: ` : ""}${detail}`, options);
  }
}

/** errno of a SysError (or of a node error, which Bun reports negated, as Node does). */
export const errnoOf = (e: unknown): number => Math.abs((e as NodeJS.ErrnoException)?.errno ?? 0);

export const basename = (path: string) => path.slice(path.lastIndexOf("/") + 1);

/**
 * Write one value as one write(2), as the kernel wants it (O_TRUNC, never O_CREAT: a missing file
 * means a missing controller or feature, not something to create).
 */
export function writeCgroupFile(dir: string, file: string, value: string, field = ""): void {
  let fd: number;
  try {
    fd = openFile(`${dir}/${file}`, O.WRONLY | O.TRUNC);
  } catch (e) {
    throw new CgroupError(new SysError("open", errnoOf(e), `${dir}/${file}`).message, field, file, { cause: e });
  }
  try {
    writeAll(fd, value, `${dir}/${file}`);
  } catch (e) {
    const sys = new SysError(`write "${file}"`, errnoOf(e), value);
    throw new CgroupError(sys.message, field, file, { cause: sys });
  } finally {
    closeFd(fd);
  }
}

const EINVAL = 22;

/**
 * Write, but when `canRetry` and the kernel says EINVAL return false: a value that only fits once
 * another one is written (a smaller CFS period or larger burst before the new quota) is retried after.
 */
export function writeOrDefer(dir: string, file: string, value: string, field: string, canRetry: boolean): boolean {
  try {
    writeCgroupFile(dir, file, value, field);
    return true;
  } catch (e) {
    if (!canRetry || errnoOf((e as Error).cause) !== EINVAL) throw e;
    return false;
  }
}

export function readCgroupFile(dir: string, file: string): string {
  try {
    return readText(`${dir}/${file}`);
  } catch (e) {
    throw new CgroupError(new SysError("read", errnoOf(e), `${dir}/${file}`).message, "", file, { cause: e });
  }
}

export const hasCgroupFile = (dir: string, file: string) => exists(`${dir}/${file}`);

/** A single number file; "max" (v2) reads as the largest value, like runc's GetCgroupParamUint. */
export function parseCgroupNumber(text: string, what = "value"): number {
  const trimmed = text.trim();
  if (trimmed === "max") return Number.MAX_SAFE_INTEGER;
  if (!/^-?\d+$/.test(trimmed)) throw new CgroupError(`${what}: not a number: ${JSON.stringify(trimmed)}`);
  return Number(trimmed);
}

export const readNumber = (dir: string, file: string): number =>
  parseCgroupNumber(readCgroupFile(dir, file), file);

/** "key value" lines (memory.stat, cpu.stat, memory.events, pids.events…). */
export function parseFlatKeyed(text: string, what = "file"): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const [key, value, extra] = line.trim().split(/\s+/);
    if (value === undefined || extra !== undefined) throw new CgroupError(`${what}: bad line ${JSON.stringify(line)}`);
    out[key!] = parseCgroupNumber(value, `${what} ${key}`);
  }
  return out;
}

export const readFlatKeyed = (dir: string, file: string) => parseFlatKeyed(readCgroupFile(dir, file), file);

/** "0-3,5" → [0,1,2,3,5] (cpuset lists). */
export function parseCpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(",")) {
    if (!part) continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new CgroupError(`bad cpu list ${JSON.stringify(text.trim())}`);
    const first = Number(m[1]), last = m[2] === undefined ? first : Number(m[2]);
    if (last < first) throw new CgroupError(`bad cpu list ${JSON.stringify(text.trim())}`);
    for (let i = first; i <= last; i++) out.push(i);
  }
  return out;
}
