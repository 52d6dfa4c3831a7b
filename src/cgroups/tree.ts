// Operations on a cgroup directory subtree, the same on v1 and v2: every pid in it, removing it
// (children first, retrying while exiting processes leave), and signalling everything in it.
import { CgroupError, errnoOf, readCgroupFile } from "./files.ts";
import { SysError } from "../sys/errors.ts";
import { readDirEntries, rmdir, tryStat } from "../sys/fs.ts";

const EBUSY = 16, ENOENT = 2, ESRCH = 3;

/** The cgroup directories under `dir` (not `dir`), deepest first. */
export function childCgroups(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readDirEntries(dir)) {
    if (!entry.isDirectory()) continue;
    const child = `${dir}/${entry.name}`;
    out.push(...childCgroups(child), child);
  }
  return out;
}

export function subtreePids(dir: string): number[] {
  const pids: number[] = [];
  for (const cgroup of [dir, ...childCgroups(dir)]) {
    for (const line of readCgroupFile(cgroup, "cgroup.procs").split("\n")) if (line) pids.push(Number(line));
  }
  return pids;
}

/**
 * rmdir `dir` and its sub-cgroups. EBUSY (processes still leaving) is retried for up to
 * `timeoutMs`; a directory already gone is fine.
 */
export function removeCgroupTree(dir: string, timeoutMs = 2000): void {
  // The common case, a leaf: one rmdir (a failure, e.g. ENOTEMPTY/EBUSY for sub-cgroups, takes the walk below).
  try { rmdir(dir); return; } catch (e) { if (errnoOf(e) === ENOENT) return; }
  const deadline = Date.now() + timeoutMs;
  let delay = 5;
  for (;;) {
    try {
      let dirs: string[];
      try { dirs = [...childCgroups(dir), dir]; } catch (e) { if (errnoOf(e) === ENOENT) return; throw e; }
      for (const d of dirs) {
        try { rmdir(d); } catch (e) { if (errnoOf(e) !== ENOENT) throw e; }
      }
      return;
    } catch (e) {
      if (errnoOf(e) !== EBUSY || Date.now() > deadline) {
        const left = safePids(dir);
        throw new CgroupError(`${new SysError("rmdir", errnoOf(e), dir).message}${left.length ? ` (pids still inside: ${left.join(" ")})` : ""}`,
          "", "", { cause: e });
      }
      Bun.sleepSync(delay);
      delay = Math.min(delay * 2, 100);
    }
  }
}

function safePids(dir: string): number[] {
  try { return subtreePids(dir); } catch { return []; }
}

/** Send `signal` to each pid; a pid that already exited is not an error. */
export function signalPids(pids: readonly number[], signal: number): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch (e) {
      if (errnoOf(e) !== ESRCH && (e as NodeJS.ErrnoException).code !== "ESRCH")
        throw new CgroupError(new SysError("kill", errnoOf(e), String(pid)).message, "", "", { cause: e });
    }
  }
}

export const isDirectory = (path: string) => tryStat(path)?.isDirectory() ?? false;

/** `dir` if it exists, else its nearest existing ancestor. */
export function nearestExistingDir(dir: string): string {
  let d = dir;
  while (d.length > 1 && !isDirectory(d)) d = d.slice(0, d.lastIndexOf("/")) || "/";
  return d;
}

/** Poll `done` until true or `timeoutMs` passes. */
export function waitFor(done: () => boolean, timeoutMs: number): boolean {
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  while (!done()) {
    if (Date.now() > deadline) return false;
    Bun.sleepSync(delay);
    delay = Math.min(delay * 2, 50);
  }
  return true;
}
