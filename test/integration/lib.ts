// Shared helpers for integration tests: real containers, as root, from a synthetic busybox
// bundle, with a private --root per test file so tests never see each other's state.
import { spawnSync } from "bun";
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { defaultSpec } from "../../src/spec/defaults.ts";
import type { Spec } from "../../src/spec/types.ts";

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

/** A private state root for one test file; `cleanup()` asserts and removes it. */
export function makeRoot(): string {
  return mkdtempSync(`${tmpdir()}/md-root-`);
}

/** Run the runtime: `md(root, ["run", "-b", bundle, id])`. */
export function md(root: string, args: string[], opts: { stdin?: string | Buffer; env?: Record<string, string>; timeoutMs?: number; bin?: string } = {}): Result {
  // Output goes to files, not pipes: a detached container inherits our stdio and would keep a
  // pipe open (as with runc), so waiting for EOF would wait for the container.
  const out = `${tmpdir()}/md-out-${process.pid}-${++outCounter}`;
  const p = spawnSync([opts.bin ?? BIN, "--root", root, ...args], {
    stdin: opts.stdin !== undefined ? Buffer.from(opts.stdin) : "ignore",
    stdout: Bun.file(`${out}.1`),
    stderr: Bun.file(`${out}.2`),
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...opts.env },
    timeout: opts.timeoutMs ?? 30_000,
  });
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

/** Mounts whose source or target mention `needle` in the host's mount table. */
export function hostMountsMentioning(needle: string): string[] {
  const text = readFileSync("/proc/self/mountinfo", "utf8");
  return text.split("\n").filter((l) => l.includes(needle));
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

/** Assert nothing of container `id` is left: state dir, cgroup, mounts. */
export function leftovers(root: string, id: string): string[] {
  const out: string[] = [];
  if (existsSync(`${root}/${id}`)) out.push(`state dir ${root}/${id}`);
  out.push(...cgroupDirsOf(id).map((d) => `cgroup ${d}`));
  out.push(...hostMountsMentioning(`/${id}/`).map((m) => `mount ${m}`));
  return out;
}

let counter = 0;
export const uniqueId = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;
