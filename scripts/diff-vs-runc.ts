// Differential harness: the same bundle runs under runc and under dist/minidocker, with
// test/fixtures/probe.sh as the process; the probe prints what the container sees and the two
// outputs, normalized, must be identical. Usage (as root, after a build):
//   scripts/diff-vs-runc [--keep] [--runc PATH] [--bin PATH] [NAME|BUNDLE_DIR]...
// NAMEs are the built-in bundles (all of them by default); a BUNDLE_DIR is copied and its
// process replaced by the probe. Exit 0 when every bundle matches, 1 on any difference.
// Intended differences are documented in docs/differences.md, never hidden here.
import { spawnSync } from "bun";
import { chmodSync, chownSync, copyFileSync, cpSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { defaultSpec } from "../src/spec/defaults.ts";
import type { Spec } from "../src/spec/types.ts";

export const REPO = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const BUSYBOX_ROOTFS = `${REPO}/bundles/busybox/rootfs`;
const PROBE = `${REPO}/test/fixtures/probe.sh`;
const PROBE_ARGS = ["/bin/sh", "/probe.sh"];

export interface BundleCase {
  name: string;
  what: string;
  /** config.json for the case; its process.args are replaced by the probe. */
  spec(): Spec;
  /** host uid owning the rootfs copy (user namespace cases). */
  rootfsOwner?: number;
  /** rootfs to copy (default: the busybox one). */
  sourceRootfs?: string;
  /**
   * Differences written down in docs/differences.md: runc's exact line is replaced by ours
   * before diffing, and the report names each one. Nothing else is ever tolerated.
   */
  documented?: Array<{ runc: string; minidocker: string; doc: string }>;
}

const probeSpec = (edit: (s: Spec) => void): Spec => {
  const spec = defaultSpec({ args: PROBE_ARGS });
  spec.process!.terminal = false;
  edit(spec);
  return spec;
};

export const BUNDLES: BundleCase[] = [
  { name: "default", what: "runc spec, as is (terminal off)", spec: () => probeSpec(() => {}) },
  {
    name: "lab", what: "bundles/lab: only CAP_NET_BIND_SERVICE, 64M memory, /proc/sys masked",
    spec: () => {
      const spec = JSON.parse(readFileSync(`${REPO}/bundles/lab/config.json`, "utf8")) as Spec;
      spec.root = { ...spec.root, path: "rootfs" };
      return spec;
    },
  },
  {
    name: "process", what: "every process field runc 1.1.5 implements",
    spec: () => probeSpec((s) => {
      const caps = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_SETUID", "CAP_SETGID", "CAP_NET_BIND_SERVICE", "CAP_KILL", "CAP_SYS_CHROOT"];
      Object.assign(s.process!, {
        user: { uid: 1000, gid: 1000, umask: 0o027, additionalGids: [5, 100, 65534] },
        cwd: "/home/user",
        env: ["PATH=/bin:/usr/bin", "HOME=/home/user", "LANG=C.UTF-8", "EMPTY=", "DUP=1", "DUP=2"],
        capabilities: { bounding: caps, effective: caps.slice(0, 4), permitted: caps, inheritable: caps.slice(2, 6), ambient: caps.slice(2, 5) },
        noNewPrivileges: false,
        oomScoreAdj: 123,
        apparmorProfile: undefined,
        rlimits: [
          { type: "RLIMIT_NOFILE", soft: 512, hard: 1024 },
          { type: "RLIMIT_NPROC", soft: 300, hard: 400 },
          { type: "RLIMIT_CORE", soft: 0, hard: 1 << 20 },
          { type: "RLIMIT_STACK", soft: 4 << 20, hard: 16 << 20 },
          { type: "RLIMIT_MEMLOCK", soft: 65536, hard: 65536 },
          { type: "RLIMIT_MSGQUEUE", soft: 100000, hard: 200000 },
          { type: "RLIMIT_NICE", soft: 0, hard: 0 },
          { type: "RLIMIT_SIGPENDING", soft: 100, hard: 200 },
          { type: "RLIMIT_FSIZE", soft: 1 << 30, hard: 1 << 30 },
        ],
      });
      s.hostname = "every-field";
      // domainname, linux.personality, process.scheduler/ioPriority: runc 1.1.5 ignores them
      // (newer than its runtime-spec 1.0.2); see docs/differences.md and the isolation tests.
      s.linux!.sysctl = { "net.ipv4.ip_forward": "1", "kernel.shmmax": "65536", "net.core.somaxconn": "1000" };
    }),
  },
  {
    name: "userns", what: "a user namespace: 0→100000, 65536 ids; sysfs from the host",
    rootfsOwner: 100000,
    documented: [{
      runc: "drwxrwxrwt 0:65534 0:0 /dev/mqueue", minidocker: "drwxrwxrwt 0:0 0:0 /dev/mqueue",
      doc: "docs/differences.md#user-namespace-mounts-are-made-as-rootroot",
    }],
    spec: () => probeSpec((s) => {
      s.linux!.namespaces!.push({ type: "user" });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.linux!.resources = undefined;
      // gid 5 is mapped here, so devpts keeps gid=5; /sys/fs/cgroup is read-only rbind-ed
      s.mounts = s.mounts!.filter((m) => m.destination !== "/sys/fs/cgroup");
    }),
  },
  {
    name: "hostns", what: "host network, IPC and UTS namespaces; /sys bind from the host",
    spec: () => probeSpec((s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => !["network", "ipc", "uts"].includes(n.type));
      delete s.hostname;
      s.mounts = s.mounts!.map((m) => m.destination === "/sys"
        ? { destination: "/sys", type: "bind", source: "/sys", options: ["rbind", "nosuid", "noexec", "nodev", "ro"] }
        : m);
    }),
  },
  {
    name: "readonly", what: "read-only root, tmpfs mounts, binds (rw, ro, rro, file), propagation, rootfsPropagation",
    spec: () => probeSpec((s) => {
      s.root!.readonly = true;
      s.linux!.rootfsPropagation = "slave"; // "rslave" is runc-only (docs/differences.md)
      s.mounts!.push(
        { destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "mode=1777", "size=1m"] },
        { destination: "/run/lock", type: "tmpfs", source: "tmpfs", options: ["noexec", "size=64k", "uid=1000", "gid=1000"] },
        { destination: "/data", type: "tmpfs", source: "tmpfs", options: ["rprivate", "noatime", "mode=700"] },
        { destination: "/ro", type: "bind", source: "/usr/share/doc", options: ["rbind", "ro"] },
        { destination: "/rw", type: "bind", source: "/var/tmp", options: ["bind", "nosuid", "rslave"] },
        { destination: "/rro", type: "bind", source: "/sys/fs/cgroup", options: ["rbind", "rro", "rprivate"] },
        { destination: "/etc/host-hostname", type: "bind", source: "/etc/hostname", options: ["bind", "ro", "nodev"] },
      );
    }),
  },
];

export interface RunResult { code: number; stdout: string; stderr: string }

/** A temp bundle: busybox rootfs + probe, config from the case. */
export function prepareBundle(spec: Spec, rootfsOwner?: number, sourceRootfs = BUSYBOX_ROOTFS): string {
  const dir = mkdtempSync(`${tmpdir()}/diff-vs-runc-`);
  chmodSync(dir, 0o755); // a user namespace's root must be able to reach the rootfs
  cpSync(sourceRootfs, `${dir}/rootfs`, { recursive: true, verbatimSymlinks: true });
  copyFileSync(PROBE, `${dir}/rootfs/probe.sh`);
  chmodSync(`${dir}/rootfs/probe.sh`, 0o755);
  if (rootfsOwner !== undefined) chownTree(`${dir}/rootfs`, rootfsOwner);
  spec.process = { ...spec.process!, args: PROBE_ARGS, terminal: false };
  spec.root = { ...spec.root, path: "rootfs" };
  writeFileSync(`${dir}/config.json`, JSON.stringify(spec, null, 2));
  return dir;
}

function chownTree(path: string, shift: number) {
  const st = lstatSync(path);
  chownSync(path, st.uid + shift, st.gid + shift); // chown follows no symlink with lchown semantics below
  if (st.isSymbolicLink()) return;
  if (st.isDirectory()) for (const name of readdirSync(path)) {
    const child = `${path}/${name}`;
    const cst = lstatSync(child);
    if (cst.isSymbolicLink()) spawnSync(["chown", "-h", `${cst.uid + shift}:${cst.gid + shift}`, child]);
    else chownTree(child, shift);
  }
}

/**
 * `runtime --root R run --bundle B id` with stdin, stdout and stderr three distinct pipes: runc
 * interposes its own pipes in a foreground run, minidocker hands its stdio over
 * (docs/differences.md), so pipes make both look the same from inside. Deleted afterwards.
 */
export function runBundle(runtime: string, bundle: string, id: string): RunResult {
  const root = mkdtempSync(`${tmpdir()}/diff-vs-runc-state-`);
  try {
    const command = ': | "$@" 2> >(cat >&2) | cat';
    const p = spawnSync(["bash", "-c", command, "run", runtime, "--root", root, "run", "--bundle", bundle, id], {
      stdin: "ignore", cwd: bundle, timeout: 60_000, env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin" },
    });
    return { code: p.exitCode ?? 128 + 9, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
  } finally {
    spawnSync([runtime, "--root", root, "delete", "--force", id], { stdout: "ignore", stderr: "ignore" });
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * What legitimately differs between two runs of one bundle: mount ids and parents, anonymous
 * device numbers, peer-group numbers, pipe/socket inodes, the container's state dir.
 */
export function normalize(output: string): string {
  let section = "";
  const out: string[] = [];
  for (const line of output.split("\n")) {
    if (line.startsWith("== ")) { section = line.slice(3); out.push(line); continue; }
    if (section === "mountinfo") out.push(normalizeMountinfo(line));
    else if (section === "fds") out.push(line.replace(/(pipe|socket|anon_inode):\[\d+\]/, "$1:[N]"));
    else out.push(line);
  }
  return out.join("\n");
}

function normalizeMountinfo(line: string): string {
  const f = line.split(" ");
  const dash = f.indexOf("-");
  if (dash < 6) return line;
  const optional = f.slice(6, dash).map((tag) => tag.replace(/:\d+$/, "")).join(",") || "private";
  const [fstype, source, superOptions] = f.slice(dash + 1);
  return `${f[4]} root=${f[3]} ${f[5]} ${optional} - ${fstype} ${source} ${superOptions}`;
}

export interface CaseResult { name: string; same: boolean; report: string }

export function diffCase(c: BundleCase, runc: string, bin: string, keep = false): CaseResult {
  const id = `diff-${c.name}-${process.pid}`;
  const spec = c.spec();
  // both runtimes use the same cgroup for the same path; an explicit one keeps the runs apart
  // (the same id under both) and makes the container's /proc/self/cgroup comparable.
  spec.linux = { ...spec.linux, cgroupsPath: spec.linux?.cgroupsPath ?? `/diff-vs-runc/${id}` };
  const bundle = prepareBundle(spec, c.rootfsOwner, c.sourceRootfs);
  try {
    const a = runBundle(runc, bundle, id);
    const b = runBundle(bin, bundle, id);
    const render = (r: RunResult) => `== exit code\n${r.code}\n== stderr\n${r.stderr.replace(/time="[^"]*" /g, "")}${normalize(r.stdout)}`;
    let runcOut = render(a);
    const notes: string[] = [];
    for (const d of c.documented ?? []) {
      const lines = runcOut.split("\n");
      const at = lines.indexOf(d.runc);
      if (at < 0) continue; // not seen this time: the diff shows whatever else there is
      lines[at] = d.minidocker;
      runcOut = lines.join("\n");
      notes.push(`documented difference (${d.doc}): runc "${d.runc}", minidocker "${d.minidocker}"\n`);
    }
    writeFileSync(`${bundle}/runc.out`, runcOut);
    writeFileSync(`${bundle}/minidocker.out`, render(b));
    const d = spawnSync(["diff", "-u", "--label", `runc (${c.name})`, "--label", `minidocker (${c.name})`, `${bundle}/runc.out`, `${bundle}/minidocker.out`]);
    const same = d.exitCode === 0 && a.code === 0;
    let report = notes.join("") + d.stdout.toString();
    if (a.code !== 0) report += `runc itself failed (exit ${a.code}): ${a.stderr}\n`;
    if (keep) report += `kept: ${bundle}\n`;
    return { name: c.name, same, report };
  } finally {
    if (!keep) rmSync(bundle, { recursive: true, force: true });
  }
}

function bundleFromDir(dir: string): BundleCase {
  const spec = JSON.parse(readFileSync(`${dir}/config.json`, "utf8")) as Spec;
  const path = spec.root?.path ?? "rootfs";
  const sourceRootfs = path.startsWith("/") ? path : `${dir}/${path}`;
  return { name: dir.replace(/\/+$/, "").split("/").pop()!, what: dir, spec: () => structuredClone(spec), sourceRootfs };
}

if (import.meta.main) {
  const argv = process.argv.slice(2);
  let keep = false, runc = "runc", bin = `${REPO}/dist/minidocker`;
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--keep") keep = true;
    else if (a === "--runc") runc = argv[++i]!;
    else if (a === "--bin") bin = argv[++i]!;
    else if (a === "-h" || a === "--help") {
      console.log(`usage: scripts/diff-vs-runc [--keep] [--runc PATH] [--bin PATH] [NAME|BUNDLE_DIR]...\nbundles: ${BUNDLES.map((b) => b.name).join(" ")}`);
      process.exit(0);
    } else names.push(a);
  }
  const cases = names.length ? names.map((n) => BUNDLES.find((b) => b.name === n) ?? (existsSync(`${n}/config.json`) ? bundleFromDir(n) : undefined) ?? (() => {
    console.error(`diff-vs-runc: unknown bundle "${n}" (built-in: ${BUNDLES.map((b) => b.name).join(", ")})`);
    process.exit(2);
  })()) : BUNDLES;
  let failed = 0;
  for (const c of cases) {
    const r = diffCase(c, runc, bin, keep);
    console.log(`${r.same ? "same" : "DIFFERENT"}  ${c.name}: ${c.what}`);
    process.stdout.write(r.report);
    if (!r.same) failed++;
  }
  console.log(failed ? `${failed} of ${cases.length} bundles differ` : `all ${cases.length} bundles: no difference`);
  process.exit(failed ? 1 : 0);
}
