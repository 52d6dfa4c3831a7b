// scripts/bench's body (run it through scripts/bench, which installs hyperfine and builds).
// One hyperfine run, side by side: `run` of /bin/true from a busybox bundle, create+start+
// delete, and `exec` of /bin/true and `state` in a running container, under minidocker, runc
// and crun; then minidocker's helper loaded both ways (prebuilt .so through a memfd, TinyCC
// `cc` at run time) and without the read-only bind of its binary. Then
// binary sizes, peak RSS, the `cc` path's checks (compiled binary, /usr/include hidden) and
// scripts/bench-seccomp.ts. Ratios are of medians (robust on a shared machine) to runc's.
// Usage: bun scripts/bench-runtimes.ts [--runs N] [--warmup N] [--no-seccomp]
import { spawnSync } from "bun";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";

const REPO = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const BUILT = `${REPO}/dist/minidocker`;
const BUN = process.execPath;
const flag = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const RUNS = flag("--runs", 30);
const WARMUP = flag("--warmup", 5);
const SECCOMP = !process.argv.includes("--no-seccomp");

const sh = (argv: string[], opts: { env?: Record<string, string>; cwd?: string } = {}) => {
  const r = spawnSync(argv, { stdout: "pipe", stderr: "pipe", env: { ...process.env, ...opts.env }, cwd: opts.cwd });
  return { ok: r.success, out: r.stdout.toString().trim(), err: r.stderr.toString().trim() };
};
const must = (argv: string[], opts?: Parameters<typeof sh>[1]) => {
  const r = sh(argv, opts);
  if (!r.ok) throw new Error(`${argv.join(" ")}: ${r.err || r.out}`);
  return r.out;
};
const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`);
const line = (argv: string[]) => argv.map(quote).join(" ");

// ── the bundle: rootfs from busybox-static, config from `minidocker spec` ──────────────────
const work = mkdtempSync("/tmp/minidocker-bench-");
const roots = `/run/minidocker-bench-${process.pid}`; // where runc keeps its state (/run/runc)
const bundle = `${work}/bundle`;
// A private copy: a rebuild of dist/ during the benchmark (others share the tree) must not land in it.
const BIN = `${work}/minidocker`;
copyFileSync(BUILT, BIN);
chmodSync(BIN, 0o755);
mkdirSync(bundle);
must([`${REPO}/bundles/busybox/make-rootfs`, `${bundle}/rootfs`]);
must([BIN, "spec"], { cwd: bundle });
const config = JSON.parse(readFileSync(`${bundle}/config.json`, "utf8"));
config.process.terminal = false;
config.process.args = ["/bin/true"];
config.ociVersion = "1.0.2"; // crun 1.8 refuses anything but 1.0.x; runc and minidocker accept it
writeFileSync(`${bundle}/config.json`, JSON.stringify(config, null, 2));

// crun refuses a hybrid host (v1 controllers + an empty cgroup2 at /unified) unless that mount
// is gone from its view: a private mount namespace where it is unmounted.
const hybrid = sh(["mountpoint", "-q", "/sys/fs/cgroup/unified"]).ok;
const CRUN_WRAP = ["unshare", "-m", "sh", "-c", 'umount /sys/fs/cgroup/unified && exec crun "$@"', "crun"];
const RUNTIMES = {
  minidocker: [BIN],
  runc: ["runc"],
  crun: hybrid ? CRUN_WRAP : ["crun"],
} as const;
type Runtime = keyof typeof RUNTIMES;
const cli = (rt: Runtime, root = `${roots}/${rt}`) => [...RUNTIMES[rt], "--root", root];

function lifecycleScript(rt: Runtime): string {
  const path = `${work}/lifecycle-${rt}.sh`;
  const c = line(cli(rt));
  writeFileSync(path, `set -e\n${c} create -b ${bundle} cycle\n${c} start cycle\n${c} delete -f cycle\n`);
  chmodSync(path, 0o755);
  return path;
}

// Whatever happens, no container, state root or temp dir is left behind.
process.on("exit", () => {
  for (const rt of Object.keys(RUNTIMES) as Runtime[]) {
    const ids = sh([...cli(rt), "list", "-q"]).out.split("\n").filter(Boolean);
    for (const id of ids) sh([...cli(rt), "delete", "-f", id]);
  }
  rmSync(work, { recursive: true, force: true });
  rmSync(roots, { recursive: true, force: true });
});

// A running container per runtime, for `exec` and `state` (what engines call most after `run`).
const sleeperBundle = `${work}/sleeper`;
mkdirSync(sleeperBundle);
writeFileSync(`${sleeperBundle}/config.json`, JSON.stringify({ ...config, root: { path: `${bundle}/rootfs` }, process: { ...config.process, args: ["sleep", "1000000"] } }));
for (const rt of Object.keys(RUNTIMES) as Runtime[]) {
  // stdio not ours: the container keeps it open
  const r = spawnSync([...cli(rt), "run", "-d", "-b", sleeperBundle, "sleeper"], { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
  if (!r.success) throw new Error(`${rt} run -d (for the exec rows) failed`);
}

interface Row { name: string; cmd: string; vs?: string }
const runOf = (rt: Runtime, id: string) => line([...cli(rt), "run", "-b", bundle, id]);
const mdEnv = (env: string, id: string) => `env ${env} ${runOf("minidocker", id)}`;
const rows: Row[] = [
  { name: "minidocker run", cmd: runOf("minidocker", "r"), vs: "runc run" },
  { name: "runc run", cmd: runOf("runc", "r"), vs: "runc run" },
  { name: "crun run", cmd: runOf("crun", "r"), vs: "runc run" },
  { name: "minidocker create+start+delete", cmd: `sh ${lifecycleScript("minidocker")}`, vs: "runc create+start+delete" },
  { name: "runc create+start+delete", cmd: `sh ${lifecycleScript("runc")}`, vs: "runc create+start+delete" },
  { name: "crun create+start+delete", cmd: `sh ${lifecycleScript("crun")}`, vs: "runc create+start+delete" },
  { name: "minidocker exec", cmd: line([...cli("minidocker"), "exec", "sleeper", "/bin/true"]), vs: "runc exec" },
  { name: "runc exec", cmd: line([...cli("runc"), "exec", "sleeper", "/bin/true"]), vs: "runc exec" },
  { name: "crun exec", cmd: line([...cli("crun"), "exec", "sleeper", "/bin/true"]), vs: "runc exec" },
  { name: "minidocker state", cmd: line([...cli("minidocker"), "state", "sleeper"]), vs: "runc state" },
  { name: "runc state", cmd: line([...cli("runc"), "state", "sleeper"]), vs: "runc state" },
  { name: "crun state", cmd: line([...cli("crun"), "state", "sleeper"]), vs: "runc state" },
  { name: "minidocker run, helper .so (memfd)", cmd: mdEnv("MINIDOCKER_HELPER=so", "so"), vs: "minidocker run, helper .so (memfd)" },
  { name: "minidocker run, helper cc (TinyCC)", cmd: mdEnv("MINIDOCKER_HELPER=cc", "cc"), vs: "minidocker run, helper .so (memfd)" },
  { name: "minidocker run, no exe protection", cmd: mdEnv("MINIDOCKER_UNSAFE_NO_EXE_PROTECTION=1", "np"), vs: "minidocker run, helper .so (memfd)" },
];
if (hybrid) rows.push({ name: "crun wrapper alone (unshare+umount)", cmd: line(["unshare", "-m", "sh", "-c", "umount /sys/fs/cgroup/unified && exec true"]) });

// ── conditions ───────────────────────────────────────────────────────────────────────────────
const first = (s: string) => s.split("\n")[0] ?? "";
const load = () => loadavg().map((l) => l.toFixed(2)).join(" ");
console.log("# minidocker start-up benchmark");
console.log(`date ${new Date().toISOString()}, kernel ${must(["uname", "-r"])}, ${cpus().length} CPUs (${cpus()[0]?.model ?? "?"})`);
console.log(`cgroups: ${existsSync("/sys/fs/cgroup/cgroup.controllers") ? "v2" : hybrid ? "hybrid (v1 + empty cgroup2 at /unified)" : "v1"}; state roots in ${roots} (${must(["findmnt", "-no", "FSTYPE", "-T", "/run"])})`);
console.log(`${first(must([BIN, "--version"]))} | ${first(must(["runc", "--version"]))} | ${first(must(["crun", "--version"]))} | ${must(["hyperfine", "--version"])}`);
console.log(`bundle: busybox-static rootfs, config from \`minidocker spec\` (terminal false, args ["/bin/true"], ociVersion 1.0.2 for crun)`);
if (hybrid) console.log(`crun runs as: ${line(CRUN_WRAP)} … (its cost is the "crun wrapper alone" row)`);
console.log(`load average before: ${load()}`);

// ── one hyperfine run ────────────────────────────────────────────────────────────────────────
const json = `${work}/hyperfine.json`;
const hf = ["hyperfine", "-N", "--style", "basic", "--warmup", String(WARMUP), "--runs", String(RUNS), "--export-json", json,
  ...rows.flatMap((r) => ["-n", r.name, r.cmd])];
console.log(`\n$ ${line(hf)}\n`);
const run = spawnSync(hf, { stdout: "inherit", stderr: "inherit" });
if (!run.success) {
  // Name the command that failed, with its error, rather than hyperfine's generic message.
  for (const row of rows) {
    const r = sh(["sh", "-c", row.cmd]);
    if (!r.ok) console.error(`${row.name} failed: ${r.err || r.out}`);
  }
  throw new Error("hyperfine failed");
}
console.log(`load average after: ${load()}`);

interface Result { command: string; mean: number; stddev: number; median: number; min: number; user: number; system: number }
const results = new Map((JSON.parse(readFileSync(json, "utf8")).results as Result[]).map((r) => [r.command, r]));
const ms = (s: number) => (s * 1000).toFixed(1);
console.log(`\n${"command".padEnd(38)} ${"mean ± σ ms".padStart(16)} ${"median".padStart(7)} ${"min".padStart(6)} ${"user".padStart(6)} ${"sys".padStart(6)}  ratio (medians)`);
for (const row of rows) {
  const r = results.get(row.name)!;
  const base = row.vs ? results.get(row.vs) : undefined;
  const ratio = base && row.vs !== row.name ? `${(r.median / base.median).toFixed(2)}× ${row.vs}` : row.vs ? "1.00" : "";
  console.log(`${row.name.padEnd(38)} ${`${ms(r.mean)} ± ${ms(r.stddev)}`.padStart(16)} ${ms(r.median).padStart(7)} ${ms(r.min).padStart(6)} ${ms(r.user).padStart(6)} ${ms(r.system).padStart(6)}  ${ratio}`);
}

// ── binary size and peak RSS ─────────────────────────────────────────────────────────────────
const MiB = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
/**
 * GNU time's %M (KiB) of a command, through a file: a created container's init keeps the
 * command's stdout and stderr open, so waiting for EOF on a pipe would wait for the container.
 */
function timedPeakRss(argv: string[]): number {
  const out = `${work}/time.out`;
  const r = spawnSync(["/usr/bin/time", "-o", out, "-f", "%M", ...argv], { stdout: "ignore", stderr: "ignore" });
  if (!r.success) throw new Error(`${line(argv)} failed`);
  return Number(readFileSync(out, "utf8").trim().split("\n").at(-1));
}
/** Peak RSS in KiB of `run` (the CLI and, reaped by it, init: GNU time's %M is their maximum). */
function runPeakRss(rt: Runtime): number {
  let peak = 0;
  for (let i = 0; i < 5; i++) {
    peak = Math.max(peak, timedPeakRss([...cli(rt), "run", "-b", bundle, `rss${i}`]));
  }
  return peak;
}
/** `create`'s own peak RSS, and init's (VmHWM while it waits on exec.fifo); max over 3 creates. */
function createAndInitRss(rt: Runtime): [number, number] {
  let create = 0, init = 0;
  for (let i = 0; i < 3; i++) {
    const id = `rss-create${i}`;
    create = Math.max(create, timedPeakRss([...cli(rt), "create", "-b", bundle, id]));
    const pid = JSON.parse(must([...cli(rt), "state", id])).pid as number;
    const hwm = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    init = Math.max(init, Number(hwm));
    sh([...cli(rt), "delete", "-f", id]);
  }
  return [create, init];
}
const which = (name: string) => must(["sh", "-c", `command -v ${name}`]);
console.log(`\n${"runtime".padEnd(12)} ${"binary".padStart(10)} ${"run peak RSS".padStart(13)} ${"create RSS".padStart(11)} ${"init RSS".padStart(9)}  peak vs runc`);
const sizes: Record<string, number[]> = {};
for (const rt of Object.keys(RUNTIMES) as Runtime[]) {
  const size = statSync(rt === "minidocker" ? BIN : which(rt)).size;
  const [create, init] = createAndInitRss(rt);
  sizes[rt] = [size, runPeakRss(rt), create, init];
}
for (const [rt, [size, peak, create, init]] of Object.entries(sizes)) {
  const kib = (k: number) => `${(k / 1024).toFixed(1)} MiB`;
  console.log(`${rt.padEnd(12)} ${MiB(size!).padStart(10)} ${kib(peak!).padStart(13)} ${kib(create!).padStart(11)} ${kib(init!).padStart(9)}  ${(Math.max(peak!, create!, init!) / Math.max(...sizes.runc!.slice(1))).toFixed(2)}×  (binary ${(size! / sizes.runc![0]!).toFixed(1)}×)`);
}
if (hybrid) console.log("(crun's run/create RSS include its unshare+sh wrapper; crun is dynamically linked: libraries not counted in its size)");

// ── the helper: both loading paths, in-process cost, and the `cc` path on a host without headers ─
const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1]!;
console.log("\nhelper loading (src/stages/spawn.ts loadHelper(), first call, fresh bun process, median of 9):");
for (const how of ["so", "cc"]) {
  const times = Array.from({ length: 9 }, () => Number(must([BUN, `${REPO}/scripts/bench-helper-load.ts`], { env: { MINIDOCKER_HELPER: how } })));
  console.log(`  ${how === "so" ? ".so → memfd → dlopen" : "TinyCC cc at run time"}: ${median(times).toFixed(2)} ms`);
}
const ccChecks: Array<[string, string]> = [
  ["compiled binary, MINIDOCKER_HELPER=cc", `MINIDOCKER_HELPER=cc ${runOf("minidocker", "cc-check")}`],
  ["…with /usr/include hidden (tmpfs)", `mount -t tmpfs none /usr/include && MINIDOCKER_HELPER=cc ${runOf("minidocker", "cc-noinc")}`],
];
const libcSo = `/usr/lib/${process.arch === "arm64" ? "aarch64" : "x86_64"}-linux-gnu/libc.so`;
if (existsSync(libcSo))
  ccChecks.push(["…and libc6-dev's libc.so hidden too", `mount -t tmpfs none /usr/include && mount --bind /dev/null ${libcSo} && MINIDOCKER_HELPER=cc ${runOf("minidocker", "cc-nodev")}`]);
for (const [what, script] of ccChecks) {
  const r = sh(["unshare", "-m", "sh", "-c", script]);
  console.log(`  cc path check: ${what}: ${r.ok ? "ok (container ran, exit 0)" : `FAILED: ${r.err}`}`);
}

// ── seccomp (a colleague's script: compile times and the start-up cost of Docker's profile) ───
if (SECCOMP) {
  console.log("\nseccomp (scripts/bench-seccomp.ts):");
  spawnSync([BUN, `${REPO}/scripts/bench-seccomp.ts`, "50", String(RUNS)], { stdout: "inherit", stderr: "inherit" });
}

