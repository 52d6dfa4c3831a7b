// Shared helpers for integration tests: real containers, as root, from a synthetic busybox
// bundle, with a private --root per test file so tests never see each other's state.
import { spawnSync } from "bun";
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { defaultSpec } from "../../src/spec/defaults.ts";
import type { Spec } from "../../src/spec/types.ts";
import { PR, prctl, waitpid, WNOHANG } from "../../src/sys/linux.ts";

export const REPO = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
/** The binary under test: the compiled one (MINIDOCKER_BIN overrides, e.g. to run under runc). */
export const BIN = process.env.MINIDOCKER_BIN ?? `${REPO}/dist/minidocker`;
const ROOTFS_TEMPLATE = `${REPO}/bundles/busybox/rootfs`;

if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\` first`);
if (!existsSync(`${ROOTFS_TEMPLATE}/bin/busybox`)) {
  const made = spawnSync([`${REPO}/bundles/busybox/make-rootfs`], { stderr: "inherit" });
  if (!made.success) throw new Error("bundles/busybox/make-rootfs failed");
}

export interface Result { code: number; stdout: string; stderr: string }

// What leftovers() checks, and why it can see it:
// - a leaked init: its argv is "minidocker init", naming no container, and it may die before
//   state.json names it. This process is a child subreaper, so whatever our runs leave behind is
//   re-parented to us (not to PID 1): md() notes each new child and the pids state.json and
//   --pid-file give, with their start time (a reused pid is not a leak), tagged with the call's args.
// - a leaked mount: the container's own mounts are in its mount namespace; what can leak into the
//   host's is a mount under a bundle, root or scratch dir this process made (propagation) or one
//   naming the id. Both are new by construction (fresh mkdtemp dirs, unique ids), so no snapshot
//   of the table is needed: mount ids are reused at once, other runs on the machine mount and
//   unmount meanwhile, and a leak whose id was in a snapshot went unseen.
prctl(PR.SET_CHILD_SUBREAPER, 1);

interface Tracked { pid: number; startTime: string; tags: string[] }
const tracked: Tracked[] = [];
const ourDirs = new Set<string>();

/** Directories whose mounts in the host's table are leaks (bundles, roots, scratch dirs). */
export function watchDirForMounts(dir: string) { ourDirs.add(dir.replace(/\/+$/, "")); }

/** Our children, every thread's (the kernel re-parents an orphan to one of the subreaper's threads). */
function ourChildren(): Set<number> {
  const pids = new Set<number>();
  for (const tid of readdirSync(`/proc/${process.pid}/task`)) {
    try {
      for (const p of readFileSync(`/proc/${process.pid}/task/${tid}/children`, "utf8").split(" ")) if (p) pids.add(Number(p));
    } catch {}
  }
  return pids;
}

function procState(pid: number): { state: string; startTime: string } | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "").split(" ");
    return { state: fields[0]!, startTime: fields[19]! };
  } catch {
    return undefined;
  }
}

function track(pid: number, tags: string[]) {
  const st = procState(pid);
  if (!st || tracked.some((t) => t.pid === pid && t.startTime === st.startTime)) return;
  tracked.push({ pid, startTime: st.startTime, tags });
}

/** The tracked process if it still runs (the same start time); a zombie child of ours is reaped. */
function stillRunning(t: Tracked): boolean {
  const st = procState(t.pid);
  if (!st || st.startTime !== t.startTime) return false;
  if (st.state === "Z" || st.state === "X") {
    try { waitpid(t.pid, WNOHANG); } catch { /* not ours, or reaped already */ }
    return false;
  }
  return true;
}

/** After a call: new children of ours, and what state.json and --pid-file say, tagged with its args. */
function trackAfterCall(root: string, args: string[], childrenBefore: Set<number>) {
  for (const pid of ourChildren()) if (!childrenBefore.has(pid)) track(pid, args);
  for (const arg of args) {
    if (!/^[\w.+-]+$/.test(arg)) continue;
    try { track((JSON.parse(readFileSync(`${root}/${arg}/state.json`, "utf8")) as { pid: number }).pid, [arg]); } catch {}
  }
  const pidFile = args.indexOf("--pid-file");
  if (pidFile >= 0) try { track(Number(readFileSync(args[pidFile + 1]!, "utf8")), args); } catch {}
  const bundle = args.findIndex((a) => a === "-b" || a === "--bundle");
  if (bundle >= 0 && args[bundle + 1]) watchDirForMounts(args[bundle + 1]!);
  for (const t of tracked) stillRunning(t); // reap what exited meanwhile
}

interface MountEntry { mountPoint: string; root: string; line: string }

function readMountinfo(): MountEntry[] {
  // octal escapes (\040 for a space) in paths
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(Number.parseInt(o, 8)));
  return readFileSync("/proc/self/mountinfo", "utf8").split("\n").filter(Boolean).map((line) => {
    const f = line.split(" ");
    return { root: unescape(f[3]!), mountPoint: unescape(f[4]!), line };
  });
}

/** A private state root for one test file; `cleanup()` asserts and removes it. */
export function makeRoot(): string {
  const root = mkdtempSync(`${tmpdir()}/md-root-`);
  watchDirForMounts(root);
  return root;
}

/** Run the runtime: `md(root, ["run", "-b", bundle, id])`. */
export function md(root: string, args: string[], opts: { stdin?: string | Buffer; env?: Record<string, string>; timeoutMs?: number; bin?: string } = {}): Result {
  // Output goes to files, not pipes: a detached container inherits our stdio and would keep a
  // pipe open (as with runc), so waiting for EOF would wait for the container.
  const out = `${tmpdir()}/md-out-${process.pid}-${++outCounter}`;
  const childrenBefore = ourChildren();
  const p = spawnSync([opts.bin ?? BIN, "--root", root, ...args], {
    stdin: opts.stdin !== undefined ? Buffer.from(opts.stdin) : "ignore",
    stdout: Bun.file(`${out}.1`),
    stderr: Bun.file(`${out}.2`),
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...opts.env },
    timeout: opts.timeoutMs ?? 30_000,
  });
  trackAfterCall(root, args, childrenBefore);
  const read = (f: string) => { try { return readFileSync(f, "utf8"); } finally { rmSync(f, { force: true }); } };
  return { code: p.exitCode ?? 128 + 9, stdout: read(`${out}.1`), stderr: read(`${out}.2`) };
}
let outCounter = 0;

/**
 * A bundle in a temp dir: the busybox rootfs copied (tests may write into it) and a config built
 * from runc's default spec, terminal off, with `edit` applied.
 */
export function makeBundle(edit: (spec: Spec) => void = () => {}, args: string[] = ["sh", "-c", "true"]): string {
  const dir = mkdtempSync(`${tmpdir()}/md-bundle-`);
  watchDirForMounts(dir);
  chmodSync(dir, 0o755); // a user-namespace root (host uid 100000) must reach the rootfs
  cpSync(ROOTFS_TEMPLATE, `${dir}/rootfs`, { recursive: true, verbatimSymlinks: true });
  const spec = defaultSpec({ args });
  spec.process!.terminal = false;
  edit(spec);
  writeFileSync(`${dir}/config.json`, JSON.stringify(spec, null, 2));
  return dir;
}

export const removeBundle = (dir: string) => rmSync(dir, { recursive: true, force: true });

/** Every cgroup directory named like `id` under /sys/fs/cgroup (v1 hierarchies and unified). */
export function cgroupDirsOf(id: string): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > 4) return;
    let entries;
    try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const path = `${dir}/${e.name}`;
      if (e.name === id) found.push(path);
      walk(path, depth + 1);
    }
  };
  walk("/sys/fs/cgroup", 0);
  return found;
}

/** Mounts of the host's table whose mount point is under one of our dirs, or which name `id`. */
export function hostMountsLeftBy(id: string): string[] {
  const under = (path: string, dir: string) => path === dir || path.startsWith(`${dir}/`);
  const names = (path: string) => path.split("/").includes(id);
  return readMountinfo()
    .filter((m) => [...ourDirs].some((d) => under(m.mountPoint, d)) || names(m.mountPoint) || names(m.root))
    .map((m) => m.line);
}

/** Processes of container `id` that still run: its init (state.json, --pid-file), and what its calls left behind. */
export function processesLeftBy(id: string): string[] {
  const live = tracked.filter((t) => t.tags.includes(id) && stillRunning(t)).map((t) => t.pid);
  // Children of ours from runs md() did not make (tests spawning the binary themselves): in its cgroup
  for (const pid of ourChildren()) {
    if (live.includes(pid) || !procState(pid) || ["Z", "X"].includes(procState(pid)!.state)) continue;
    try { if (readFileSync(`/proc/${pid}/cgroup`, "utf8").split("\n").some((l) => l.split("/").includes(id))) live.push(pid); } catch {}
  }
  return live.map((pid) => {
    let cmd = "?";
    try { cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim(); } catch {}
    return `${pid} ${cmd}`;
  });
}

/** Processes whose cmdline mentions `needle`. */
export function processesMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, "utf8");
      if (cmd.includes(needle)) pids.push(Number(name));
    } catch {}
  }
  return pids;
}

/** Nothing of container `id` may be left: state dir, cgroup, host mounts, processes (its init included). */
export function leftovers(root: string, id: string): string[] {
  const out: string[] = [];
  if (existsSync(`${root}/${id}`)) out.push(`state dir ${root}/${id}`);
  out.push(...cgroupDirsOf(id).map((d) => `cgroup ${d}`));
  out.push(...hostMountsLeftBy(id).map((m) => `mount ${m}`));
  out.push(...processesLeftBy(id).map((p) => `process ${p}`));
  return out;
}

let counter = 0;
export const uniqueId = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;
