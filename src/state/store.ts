// The state store under --root: one directory per container holding state.json (written
// atomically: temp file, fsync, rename) and exec.fifo while the container is `created`.
// Mutating commands hold flock(LOCK_EX) on the container's directory and re-read state inside.
// The status is derived from the live process, guarded against pid reuse by its start time.
import type { Spec } from "../spec/types.ts";
import { RuntimeError } from "../sys/errors.ts";
import { exists as pathExists, fstat, fsync, mkdir, mkdirp, openFile, readDir, readText, removeTree, rename, tryStat, writeAll } from "../sys/fs.ts";
import * as sys from "../sys/linux.ts";
import { O } from "../sys/linux.ts";

export type Status = "creating" | "created" | "running" | "stopped" | "paused";

/** What we keep per container: the OCI state plus what later commands need. */
export interface StoredState {
  ociVersion: string;
  id: string;
  pid: number;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations?: Record<string, string>;
  initStartTime: string;   // field 22 of /proc/<pid>/stat when created: detects pid reuse
  cgroupPath?: string;
  cgroupPaths?: Record<string, string>; // per hierarchy (v1) or "" (v2): re-opened by later commands
  spec: Spec;              // the validated config, for exec, hooks and delete
}

const ID_RE = /^[\w+\-.]+$/;

/** The id names the container's state directory: one path component. */
const NAME_MAX = 255;

export function validateId(id: string | undefined): string {
  if (!id) throw new RuntimeError("container id cannot be empty");
  if (id.length > NAME_MAX) throw new RuntimeError(`invalid container id: ${id.length} characters long, at most ${NAME_MAX} are allowed`);
  if (!ID_RE.test(id) || id === "." || id === "..")
    throw new RuntimeError(`invalid container id "${id}": only [A-Za-z0-9_+.-] are allowed, not "." or ".."`);
  return id;
}

/** Only a missing file means "no such container"; EACCES (not root) and the rest say what they are, as runc. */
const missing = (e: unknown) => (e as NodeJS.ErrnoException).code === "ENOENT" || (e as NodeJS.ErrnoException).code === "ENOTDIR";

/** The state JSON given to hooks (spec runtime.md "State"). */
export const hookState = (s: StoredState, status: string) =>
  JSON.stringify({ ociVersion: s.ociVersion, id: s.id, status, pid: s.pid, bundle: s.bundle, annotations: s.annotations ?? {} });

/** Fields 3 (state) and 22 (start time) of /proc/<pid>/stat; the comm field may hold spaces. */
export function procStat(pid: number): { state: string; startTime: string } | undefined {
  try {
    const stat = readText(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0]!, startTime: fields[19]! };
  } catch {
    return undefined;
  }
}

/** A process of this /proc/<pid>/stat has not exited (a zombie or a dead task is not alive). */
const live = (stat: { state: string } | undefined) => stat !== undefined && stat.state !== "Z" && stat.state !== "X";

export const processAlive = (pid: number): boolean => live(procStat(pid));

/** SIGKILL a process and wait (bounded) until it is gone, reaping it if it is our child. */
export function killAndReap(pid: number, timeoutMs = 5000) {
  try { sys.kill(pid, 9); } catch {}
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const [got] = sys.waitpid(pid, sys.WNOHANG);
      if (got === pid) return;
    } catch { /* not our child: watch /proc instead */ }
    if (!processAlive(pid)) return;
    Bun.sleepSync(2);
  }
}

export class Store {
  constructor(readonly root: string) {}

  dir(id: string) { return `${this.root}/${validateId(id)}`; }
  exists(id: string) { return pathExists(`${this.dir(id)}/state.json`) || pathExists(this.dir(id)); }

  /** Make the container's directory; a duplicate id is an error. */
  createDir(id: string): string {
    mkdirp(this.root, 0o711);
    const dir = this.dir(id);
    try {
      mkdir(dir, 0o711);
    } catch (e) {
      // runc's ErrExist says "container with given ID already exists"; engines match "already exists"
      if ((e as NodeJS.ErrnoException).code === "EEXIST") throw new RuntimeError(`container ${id} already exists`);
      throw e;
    }
    return dir;
  }

  removeDir(id: string) { removeTree(this.dir(id)); }

  /** flock the container's directory; the returned function unlocks. */
  lock(id: string): () => void {
    let fd: number;
    try {
      fd = sys.open(this.dir(id), O.RDONLY | O.DIRECTORY | O.CLOEXEC);
    } catch (e) {
      throw missing(e) ? notExist(id) : e;
    }
    sys.flock(fd, sys.LOCK_EX);
    // While we waited, the holder may have deleted the container and another `create` made a
    // new directory of the same id: our lock is then on the old one. Lock only what is there.
    const current = tryStat(this.dir(id))?.ino;
    if (current !== fstat(fd).ino) {
      sys.close(fd);
      if (current === undefined) throw notExist(id);
      return this.lock(id);
    }
    return () => sys.close(fd);
  }

  write(state: StoredState) {
    const dir = this.dir(state.id);
    const tmp = `${dir}/.state.json.${process.pid}`;
    const fd = openFile(tmp, O.WRONLY | O.CREAT | O.TRUNC, 0o600);
    try {
      writeAll(fd, JSON.stringify(state), tmp);
      fsync(fd, tmp);
    } finally {
      sys.close(fd);
    }
    rename(tmp, `${dir}/state.json`); // readers never see half a file
  }

  read(id: string): StoredState {
    let text: string;
    try {
      text = readText(`${this.dir(id)}/state.json`);
    } catch (e) {
      throw missing(e) ? notExist(id) : e;
    }
    return JSON.parse(text) as StoredState;
  }

  list(): string[] {
    let names: string[];
    try {
      names = readDir(this.root);
    } catch (e) {
      if (missing(e)) return []; // nothing was ever created here
      throw e;
    }
    return names.filter((name) => ID_RE.test(name) && pathExists(`${this.root}/${name}/state.json`)).sort();
  }

  fifoPath(id: string) { return `${this.dir(id)}/exec.fifo`; }
  /** Present while `create` runs (it holds the lock meanwhile): the status is "creating". */
  creatingPath(id: string) { return `${this.dir(id)}/creating`; }

  /** The live status: the process, its start time, exec.fifo, and the cgroup freezer. */
  status(state: StoredState, frozen?: () => boolean): Status {
    if (!initAlive(state)) return "stopped";
    if (pathExists(this.creatingPath(state.id))) return "creating";
    if (pathExists(this.fifoPath(state.id))) return "created";
    if (frozen?.()) return "paused";
    return "running";
  }
}

export function initAlive(state: StoredState): boolean {
  if (state.pid <= 0) return false;
  const stat = procStat(state.pid);
  return live(stat) && stat?.startTime === state.initStartTime;
}

export const notExist = (id: string) => new RuntimeError(`container ${id} does not exist`);

/** The state JSON of `runc state` (the OCI state plus runc's rootfs/created/owner). */
export function ociState(state: StoredState, status: Status) {
  return {
    ociVersion: state.ociVersion,
    id: state.id,
    pid: status === "stopped" ? 0 : state.pid,
    status,
    bundle: state.bundle,
    rootfs: state.rootfs,
    created: state.created,
    owner: state.owner,
    ...(state.annotations && Object.keys(state.annotations).length ? { annotations: state.annotations } : {}),
  };
}
