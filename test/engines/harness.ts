// The engine harness: private podman and containerd instances under one temp dir, driving the
// runtime under test, and a case runner that prints one line per case. Nothing here touches the
// host's default engine state (/var/lib/containers, /run/containerd's socket, /etc/containers
// are only read): every engine path points into the temp dir, every cgroup goes under one
// private parent, and `teardown()` removes all of it — daemons by recorded pid, mounts, cgroups,
// dirs — on every exit path (normal end, exception, SIGINT/SIGTERM/SIGHUP).
import { spawnSync } from "bun";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, rmdirSync, statSync, writeFileSync } from "node:fs";
import { basename } from "node:path";

export const REPO = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

export interface Result { code: number; stdout: string; stderr: string; timedOut: boolean }

export interface RunOptions {
  input?: string;
  env?: Record<string, string>;
  /** milliseconds; every command is bounded (default 30 s) */
  timeout?: number;
}

/** Run argv with a bound on its time; a timed-out command is killed and reported, never awaited forever. */
export function run(argv: string[], opts: RunOptions = {}): Result {
  const timeout = opts.timeout ?? 30_000;
  const p = spawnSync(argv, {
    stdin: opts.input !== undefined ? Buffer.from(opts.input) : "ignore",
    env: { ...process.env, ...opts.env },
    timeout,
    killSignal: "SIGKILL",
  });
  const timedOut = p.exitedDueToTimeout === true;
  return {
    code: p.exitCode ?? (p.signalCode ? 128 + (osSignals[p.signalCode] ?? 0) : 255),
    stdout: p.stdout?.toString() ?? "",
    stderr: (p.stderr?.toString() ?? "") + (timedOut ? `\n[timed out after ${timeout} ms: ${argv.join(" ")}]` : ""),
    timedOut,
  };
}
const osSignals: Record<string, number> = { SIGKILL: 9, SIGTERM: 15, SIGINT: 2, SIGHUP: 1, SIGABRT: 6, SIGSEGV: 11 };

export class CaseFailure extends Error {}

/** Fail the case unless `ok`; `detail` says what the user would have seen. */
export function expect(ok: boolean, detail: string): asserts ok {
  if (!ok) throw new CaseFailure(detail);
}

/** The command must succeed; returns its stdout. */
export function must(r: Result, what: string): string {
  expect(r.code === 0 && !r.timedOut, `${what}: exit ${r.code}: ${(r.stderr.trim() || r.stdout.trim()).slice(0, 400)}`);
  return r.stdout;
}

export const sleep = (ms: number) => Bun.sleepSync(ms);

/** Poll `probe` until it returns true or `ms` passes. */
export function waitFor(probe: () => boolean, ms: number, step = 100): boolean {
  const end = Date.now() + ms;
  for (;;) {
    if (probe()) return true;
    if (Date.now() > end) return false;
    sleep(step);
  }
}

// ---- case runner --------------------------------------------------------------------------

/**
 * Cases are queued, then `drain()` runs them in order with an event-loop turn before each: the
 * commands are synchronous, and Bun delivers signals (Ctrl-C → teardown) only on a turn.
 */
export class Runner {
  passed = 0;
  failed: string[] = [];
  private queue: Array<{ name?: string; body: () => void }> = [];
  constructor(private readonly label: string, private readonly only?: RegExp) {}

  /** Queue a case; `always`: run it whatever --only says (an engine's set-up). */
  case(name: string, body: () => void, always = false) {
    if (!always && this.only && !this.only.test(name)) return;
    this.queue.push({ name, body });
  }

  /** A step after the queued cases (clean-up), not counted. */
  after(body: () => void) {
    this.queue.push({ body });
  }

  async drain() {
    while (this.queue.length) {
      await Bun.sleep(1);
      const { name, body } = this.queue.shift()!;
      if (name === undefined) {
        try { body(); } catch (e) { console.log(`# after: ${(e as Error).message}`); }
      } else this.runCase(name, body);
    }
  }

  private runCase(name: string, body: () => void) {
    const started = Date.now();
    let failure: string | undefined;
    try {
      body();
    } catch (e) {
      failure = e instanceof CaseFailure ? e.message : `harness error: ${(e as Error)?.stack ?? e}`;
    }
    const ms = `${Date.now() - started}ms`.padStart(7);
    if (failure === undefined) {
      this.passed++;
      console.log(`ok    ${ms}  [${this.label}] ${name}`);
    } else {
      this.failed.push(name);
      console.log(`FAIL  ${ms}  [${this.label}] ${name}: ${failure.replace(/\s+/g, " ").slice(0, 600)}`);
    }
  }

  /** A setup step whose failure fails every case that depends on it. */
  skipAll(names: string[], why: string) {
    for (const n of names) this.case(n, () => { throw new CaseFailure(`not run: ${why}`); });
  }
}

// ---- packages -----------------------------------------------------------------------------

const NEEDED: Array<[cmd: string, pkg: string]> = [
  ["podman", "podman"], ["conmon", "conmon"], ["containerd", "containerd"], ["ctr", "containerd"],
  ["containerd-shim-runc-v2", "containerd"], ["umoci", "umoci"], ["script", "bsdutils"], ["busybox", "busybox-static"],
];

/** apt-get install whatever of the engines is missing (one `apt-get update` first). */
export function ensurePackages() {
  const have = (cmd: string) => run(["sh", "-c", `command -v ${cmd}`]).code === 0;
  const missing = [...new Set(NEEDED.filter(([cmd]) => !have(cmd)).map(([, pkg]) => pkg))];
  if (missing.length === 0) return;
  console.log(`# installing ${missing.join(" ")} from apt`);
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  must(run(["apt-get", "update", "-qq"], { env, timeout: 300_000 }), "apt-get update");
  must(run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", ...missing], { env, timeout: 600_000 }), `apt-get install ${missing.join(" ")}`);
}

// ---- the private environment ----------------------------------------------------------------

export interface Env {
  /** the runtime binary under test (absolute) and the name the engines know it by */
  runtime: string;
  runtimeName: string;
  dir: string;
  /** the runtime's own state root (`--root`), private */
  runtimeRoot: string;
  /** the cgroup parent every container of this run goes under: `/<tag>` */
  cgroupParent: string;
  tag: string;
  podmanImage: string;
  ctrImage: string;
  containerdPid?: number;
}

const CGROUP_MOUNT_TYPES = new Set(["cgroup", "cgroup2"]);

/** Every mount point (from /proc/self/mountinfo) under `prefix`, deepest first. */
function mountsUnder(prefix: string): string[] {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
  return readFileSync("/proc/self/mountinfo", "utf8").split("\n").filter(Boolean)
    .map((line) => unescape(line.split(" ")[4]!))
    .filter((m) => m === prefix || m.startsWith(`${prefix}/`))
    .sort((a, b) => b.length - a.length);
}

function cgroupMountPoints(): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8").split("\n").filter(Boolean).flatMap((line) => {
    const [pre, post] = line.split(" - ");
    return CGROUP_MOUNT_TYPES.has(post?.split(" ")[0] ?? "") ? [pre!.split(" ")[4]!] : [];
  });
}

/** Processes whose command line mentions `needle` (our temp dir), except ourselves. */
function pidsMentioning(needle: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(needle)) out.push(pid);
    } catch { /* gone */ }
  }
  return out;
}

function killPid(pid: number, signal: NodeJS.Signals) {
  try { process.kill(pid, signal); } catch { /* already gone */ }
}

/** Remove a cgroup directory tree bottom-up (cgroup dirs are removed with rmdir only). */
function removeCgroupTree(path: string) {
  let entries: string[];
  try { entries = readdirSync(path); } catch { return; }
  for (const e of entries) {
    try { if (statSync(`${path}/${e}`).isDirectory()) removeCgroupTree(`${path}/${e}`); } catch { /* raced */ }
  }
  for (let i = 0; i < 20; i++) {
    try { rmdirSync(path); return; } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
      // EBUSY: a process is still leaving it; move stragglers' pids is not ours to do, retry briefly
      sleep(100);
    }
  }
  console.log(`# teardown: could not remove cgroup ${path}`);
}

/**
 * podman's `default_ulimits`: nofile at this host's hard limit, and a modest nproc — podman's own
 * default for nproc (its hard limit, 96365 here) fails with EPERM under conmon, whose hard nproc
 * limit is lower (32768 here).
 */
function hostUlimits(): string[] {
  const limits = readFileSync("/proc/self/limits", "utf8");
  const hardNofile = limits.split("\n").find((l) => l.startsWith("Max open files"))?.slice(26).trim().split(/\s+/)[1];
  const nofile = hardNofile === undefined || hardNofile === "unlimited" ? 1048576 : Math.min(Number(hardNofile), 1048576);
  return [`nofile=${nofile}:${nofile}`, "nproc=8192:8192"];
}

const SHIM_SOCKET_DIR = "/run/containerd/s";

export class Environment implements Env {
  runtime: string;
  runtimeName: string;
  dir: string;
  runtimeRoot: string;
  tag: string;
  cgroupParent: string;
  /** /sys/fs/cgroup's entries before we ran: podman (cgroupfs, v1) makes plain directories there */
  private readonly cgroupTopBefore: Set<string>;
  podmanImage = "localhost/md-engines-busybox:latest";
  ctrImage = "localhost/md-engines-busybox:latest";
  containerdPid?: number;
  private tornDown = false;
  private createdRunContainerd = false;
  private createdShimSocketDir = false;

  /** the binary as given; `runtime` is a copy of it in the temp dir (a rebuild mid-run cannot change it) */
  readonly given: string;

  constructor(runtime: string) {
    this.given = runtime;
    this.runtimeName = basename(runtime);
    this.dir = mkdtempSync("/tmp/md-engines-");
    mkdirSync(`${this.dir}/bin`);
    this.runtime = `${this.dir}/bin/${this.runtimeName}`;
    copyFileSync(runtime, this.runtime);
    chmodSync(this.runtime, 0o755);
    this.tag = `md-engines-${basename(this.dir).slice("md-engines-".length)}`;
    this.cgroupParent = `/${this.tag}`;
    this.cgroupTopBefore = new Set(readdirSync("/sys/fs/cgroup"));
    this.runtimeRoot = `${this.dir}/runtime-state`;
    this.createdRunContainerd = !existsSync("/run/containerd");
    this.createdShimSocketDir = !existsSync(SHIM_SOCKET_DIR);
    const onSignal = (sig: NodeJS.Signals) => { this.teardown(); process.exit(128 + (osSignals[sig] ?? 1)); };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    process.once("SIGHUP", onSignal);
    process.once("exit", () => this.teardown());
  }

  path(rel: string) { return `${this.dir}/${rel}`; }

  // ---- podman ----

  podmanConf = () => this.path("podman/containers.conf");

  podmanArgs(): string[] {
    return [
      "podman",
      "--root", this.path("podman/storage"),
      "--runroot", this.path("podman/runroot"),
      "--tmpdir", this.path("podman/tmp"),
      "--runtime", this.runtimeName,
      "--cgroup-manager", "cgroupfs",
      "--events-backend", "file",
      "--storage-driver", "overlay",
    ];
  }

  podmanEnv(): Record<string, string> {
    return {
      CONTAINERS_CONF: this.podmanConf(),
      CONTAINERS_STORAGE_CONF: this.path("podman/storage.conf"),
      CONTAINERS_REGISTRIES_CONF: this.path("podman/registries.conf"),
    };
  }

  /** `podman ARGS…` against the private instance. */
  podman(args: string[], opts: RunOptions = {}): Result {
    return run([...this.podmanArgs(), ...args], { ...opts, env: { ...this.podmanEnv(), ...opts.env } });
  }

  /**
   * podman passes no --root, and `--runtime-flag root=…` is lost on the cleanup command conmon
   * runs at exit (podman 4.3 leaves it out of --exit-command-arg, so `runtime delete` would miss
   * the container and `restart` would fail with "already exists"): podman gets a wrapper of the
   * same basename that puts the private --root first, as the recording in engines-argv.md did.
   */
  podmanRuntimeWrapper = () => this.path(`podman/bin/${this.runtimeName}`);

  setupPodman() {
    for (const d of ["podman/storage", "podman/runroot", "podman/tmp", "podman/networks", "podman/volumes", "podman/bin", this.runtimeRoot.slice(this.dir.length + 1)]) mkdirSync(this.path(d), { recursive: true });
    writeFileSync(this.podmanRuntimeWrapper(), `#!/bin/sh\nexec '${this.runtime}' --root '${this.runtimeRoot}' "$@"\n`, { mode: 0o755 });
    const supportsJson = ["crun", "runc", "kata", "runsc", "youki", "krun", this.runtimeName];
    writeFileSync(this.podmanConf(), [
      "[containers]",
      'netns = "none"',
      `cgroups = "enabled"`,
      // podman's defaults (nofile 1048576, nproc 4194304) exceed this host's hard limits and a
      // process without CAP_SYS_RESOURCE cannot raise them (nofile: 20000 here): stay within
      `default_ulimits = ${JSON.stringify(hostUlimits())}`,
      "log_driver = \"k8s-file\"",
      "",
      "[network]",
      `network_config_dir = "${this.path("podman/networks")}"`,
      "",
      "[engine]",
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      `events_logfile_path = "${this.path("podman/events.log")}"`,
      `tmp_dir = "${this.path("podman/tmp")}"`,
      `volume_path = "${this.path("podman/volumes")}"`,
      'lock_type = "file"',
      `runtime = "${this.runtimeName}"`,
      `runtime_supports_json = ${JSON.stringify(supportsJson)}`,
      'conmon_path = ["/usr/bin/conmon", "/usr/libexec/podman/conmon"]',
      "",
      "[engine.runtimes]",
      `${this.runtimeName} = ["${this.podmanRuntimeWrapper()}"]`,
      "",
    ].join("\n"));
    writeFileSync(this.path("podman/storage.conf"), [
      "[storage]",
      'driver = "overlay"',
      `graphroot = "${this.path("podman/storage")}"`,
      `runroot = "${this.path("podman/runroot")}"`,
      "",
    ].join("\n"));
    writeFileSync(this.path("podman/registries.conf"), "unqualified-search-registries = []\n");
    // the image: the busybox rootfs, imported — nothing pulled
    const rootfs = this.busyboxRootfs();
    const tar = this.path("busybox-rootfs.tar");
    must(run(["tar", "-C", rootfs, "-cf", tar, "."]), "tar busybox rootfs");
    // containers/image records blobs in /var/lib/containers/cache whatever --root says: import in
    // a private mount namespace with a tmpfs there (over /var/lib if that dir does not exist)
    const hideBlobCache = 'if [ -d /var/lib/containers ]; then mount -t tmpfs md-engines /var/lib/containers; else mount -t tmpfs md-engines /var/lib; fi && exec "$@"';
    must(run(["unshare", "--mount", "--propagation", "private", "sh", "-c", hideBlobCache, "sh",
      ...this.podmanArgs(), "import", "--change", 'CMD=["sh"]', tar, this.podmanImage], { env: this.podmanEnv(), timeout: 120_000 }), "podman import");
  }

  /** `podman run` with the flags every case shares: no network, our cgroup parent. */
  podmanRunArgs(): string[] {
    return ["run", "--network", "none", "--cgroup-parent", `${this.cgroupParent}/podman`];
  }

  busyboxRootfs(): string {
    const rootfs = `${REPO}/bundles/busybox/rootfs`;
    if (!existsSync(`${rootfs}/bin/busybox`)) must(run([`${REPO}/bundles/busybox/make-rootfs`], { timeout: 60_000 }), "make-rootfs");
    return rootfs;
  }

  // ---- containerd ----

  socket = () => this.path("containerd/containerd.sock");
  /** ctr's IO fifos (default /run/containerd/fifo): pass to `run`, `task exec`, `task start` */
  fifoDir = () => this.path("containerd/fifo");

  /** `ctr ARGS…` against the private daemon, in our own namespace. */
  ctr(args: string[], opts: RunOptions = {}): Result {
    return run(["ctr", "--address", this.socket(), "--namespace", this.tag, ...args], opts);
  }

  /** `ctr run` flags every case shares: the runtime under test and its private root. */
  ctrRunArgs(): string[] {
    return ["run", "--runc-binary", this.runtime, "--runc-root", this.runtimeRoot, "--fifo-dir", this.fifoDir()];
  }

  setupContainerd() {
    for (const d of ["containerd/root", "containerd/state", "containerd/opt", this.runtimeRoot.slice(this.dir.length + 1)]) mkdirSync(this.path(d), { recursive: true });
    const config = this.path("containerd/config.toml");
    writeFileSync(config, [
      "version = 2",
      `root = "${this.path("containerd/root")}"`,
      `state = "${this.path("containerd/state")}"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]',
      "[grpc]",
      `  address = "${this.socket()}"`,
      "[ttrpc]",
      `  address = "${this.socket()}.ttrpc"`,
      "[debug]",
      '  address = ""',
      "[metrics]",
      '  address = ""',
      '[plugins."io.containerd.internal.v1.opt"]',
      `  path = "${this.path("containerd/opt")}"`,
      "",
    ].join("\n"));
    const log = Bun.file(this.path("containerd/daemon.log"));
    const daemon = Bun.spawn(["containerd", "--config", config], { stdin: "ignore", stdout: log, stderr: log });
    this.containerdPid = daemon.pid;
    daemon.unref();
    const up = waitFor(() => this.ctr(["version"], { timeout: 5_000 }).code === 0, 20_000, 200);
    expect(up, `containerd did not answer on ${this.socket()} within 20 s (log: ${this.path("containerd/daemon.log")})`);
    // the image: the busybox rootfs as an OCI layout made with umoci, imported — nothing pulled
    const layout = this.path("oci");
    const bundle = this.path("oci-bundle");
    must(run(["umoci", "init", "--layout", layout], { timeout: 30_000 }), "umoci init");
    must(run(["umoci", "new", "--image", `${layout}:latest`], { timeout: 30_000 }), "umoci new");
    must(run(["umoci", "unpack", "--image", `${layout}:latest`, bundle], { timeout: 60_000 }), "umoci unpack");
    must(run(["cp", "-a", `${this.busyboxRootfs()}/.`, `${bundle}/rootfs/`]), "copy rootfs");
    must(run(["umoci", "repack", "--image", `${layout}:latest`, bundle], { timeout: 120_000 }), "umoci repack");
    must(run(["umoci", "config", "--image", `${layout}:latest`, "--config.cmd", "sh", "--config.env", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"], { timeout: 30_000 }), "umoci config");
    rmSync(bundle, { recursive: true, force: true });
    const tar = this.path("oci.tar");
    must(run(["tar", "-C", layout, "-cf", tar, "."]), "tar OCI layout");
    must(this.ctr(["images", "import", "--base-name", "localhost/md-engines-busybox", tar], { timeout: 120_000 }), "ctr images import");
    const images = must(this.ctr(["images", "ls", "-q"]), "ctr images ls");
    expect(images.includes(this.ctrImage), `ctr images import did not give ${this.ctrImage}: ${images.trim()}`);
  }

  // ---- readback of what the host sees ----

  /** The host path of `pid`'s cgroup for `controller` (v1), or its unified cgroup (v2). */
  cgroupDirOf(pid: number, controller: string): string {
    const lines = readFileSync(`/proc/${pid}/cgroup`, "utf8").split("\n").filter(Boolean);
    const v1 = lines.find((l) => l.split(":")[1]!.split(",").includes(controller));
    if (v1) {
      const [, ctrls, path] = v1.split(":");
      const mount = cgroupMountPoints().find((m) => basename(m).split(",").includes(controller) || basename(m) === ctrls);
      if (mount) return `${mount}${path}`;
    }
    const v2 = lines.find((l) => l.startsWith("0::"))!;
    return `/sys/fs/cgroup${v2.slice(3)}`;
  }

  readCgroup(pid: number, controller: string, v1File: string, v2File: string): string {
    const dir = this.cgroupDirOf(pid, controller);
    const file = existsSync(`${dir}/${v1File}`) ? v1File : v2File;
    return readFileSync(`${dir}/${file}`, "utf8").trim();
  }

  // ---- teardown ----

  teardown() {
    if (this.tornDown) return;
    this.tornDown = true;
    const step = (what: string, fn: () => void) => {
      try { fn(); } catch (e) { console.log(`# teardown: ${what}: ${(e as Error).message}`); }
    };
    step("podman containers", () => {
      if (existsSync(this.podmanConf())) this.podman(["rm", "--all", "--force", "--time", "0"], { timeout: 60_000 });
    });
    step("containerd tasks", () => {
      if (!this.containerdPid) return;
      const ids = this.ctr(["containers", "ls", "-q"], { timeout: 10_000 }).stdout.split("\n").filter(Boolean);
      for (const id of ids) {
        this.ctr(["tasks", "kill", "--signal", "SIGKILL", id], { timeout: 10_000 });
        this.ctr(["tasks", "delete", "--force", id], { timeout: 10_000 });
        this.ctr(["containers", "delete", id], { timeout: 10_000 });
      }
    });
    step("containerd daemon", () => {
      if (!this.containerdPid) return;
      killPid(this.containerdPid, "SIGTERM");
      if (!waitFor(() => !existsSync(`/proc/${this.containerdPid}`) || readFileSync(`/proc/${this.containerdPid}/stat`, "utf8").includes(") Z"), 10_000)) killPid(this.containerdPid, "SIGKILL");
    });
    // whatever still runs from our dir: conmon, shims, container processes, the runtime's init
    step("stray processes", () => {
      for (let round = 0; round < 3; round++) {
        const pids = pidsMentioning(this.dir);
        if (pids.length === 0) break;
        for (const pid of pids) killPid(pid, "SIGKILL");
        sleep(200);
      }
    });
    step("cgroups", () => {
      for (const mount of cgroupMountPoints()) {
        const dir = `${mount}${this.cgroupParent}`;
        if (!existsSync(dir)) continue;
        // kill anything still in our cgroups before removing them
        for (const procs of findFiles(dir, "cgroup.procs")) {
          for (const pid of readFileSync(procs, "utf8").split("\n").filter(Boolean)) killPid(Number(pid), "SIGKILL");
        }
        sleep(100);
        removeCgroupTree(dir);
      }
    });
    step("stray cgroup directories", () => {
      // podman's cgroupfs manager makes <controller>/<parent>/... for every v1 controller it knows
      // (hugetlb, net_cls, net_prio, perf_event), mounted or not: on this host's tmpfs
      // /sys/fs/cgroup that is a plain directory, which must not outlive the run.
      const mounted = new Set(cgroupMountPoints());
      for (const entry of readdirSync("/sys/fs/cgroup")) {
        const path = `/sys/fs/cgroup/${entry}`;
        if (mounted.has(path) || !statSync(path).isDirectory()) continue;
        rmSync(`${path}${this.cgroupParent}`, { recursive: true, force: true });
        // ours if it appeared during the run, or if nothing but our parent was ever in it
        if (!this.cgroupTopBefore.has(entry) || readdirSync(path).length === 0) rmSync(path, { recursive: true, force: true });
      }
    });
    step("mounts", () => {
      for (const m of mountsUnder(this.dir)) run(["umount", "-l", m], { timeout: 10_000 });
    });
    step("shim sockets", () => {
      // containerd 1.6's shims put their sockets in /run/containerd/s whatever the config says
      if (this.createdShimSocketDir && existsSync(SHIM_SOCKET_DIR) && readdirSync(SHIM_SOCKET_DIR).length === 0) rmdirSync(SHIM_SOCKET_DIR);
      if (this.createdRunContainerd && existsSync("/run/containerd") && readdirSync("/run/containerd").length === 0) rmdirSync("/run/containerd");
      else if (this.createdRunContainerd && existsSync("/run/containerd")) console.log(`# teardown: /run/containerd holds ${readdirSync("/run/containerd").join(" ")} (not ours to remove)`);
    });
    step("temp dir", () => rmSync(this.dir, { recursive: true, force: true }));
  }
}

function findFiles(dir: string, name: string): string[] {
  const out: string[] = [];
  let entries: string[];
  try { entries = readdirSync(dir); } catch { return out; }
  for (const e of entries) {
    const p = `${dir}/${e}`;
    if (e === name) out.push(p);
    else {
      try { if (statSync(p).isDirectory() && !readlinkSafe(p)) out.push(...findFiles(p, name)); } catch { /* raced */ }
    }
  }
  return out;
}

function readlinkSafe(p: string): string | undefined {
  try { return readlinkSync(p); } catch { return undefined; }
}
