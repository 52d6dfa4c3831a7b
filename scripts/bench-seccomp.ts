// Seccomp costs. 1) Time to compile Docker's default profile (amd64: x86_64 + x86 + x32) with
// libseccomp and with the builtin compiler, in this process: median of N runs after a warm-up.
// 2) The start-up cost the profile adds to `minidocker run` (dist/minidocker, a busybox bundle
// running `true`): without seccomp, and with Docker's default profile under each backend, with
// hyperfine when installed (apt-get install hyperfine), else a median over spawnSync runs.
// Usage: bun scripts/bench-seccomp.ts [compile runs, default 50] [run runs, default 30]
import { spawnSync } from "bun";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { compileSeccomp } from "../src/linux/seccomp/index.ts";
import { DOCKER_DEFAULT_CAPS, type DockerProfile, dockerProfileToOci } from "../src/linux/seccomp/docker-profile.ts";
import { defaultSpec } from "../src/spec/defaults.ts";

const REPO = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const BIN = `${REPO}/dist/minidocker`;
const compileRuns = Number(process.argv[2] ?? 50);
const runRuns = Number(process.argv[3] ?? 30);
const docker = JSON.parse(readFileSync(`${REPO}/bundles/seccomp/docker-default.json`, "utf8")) as DockerProfile;
const profile = dockerProfileToOci(docker, { arch: "SCMP_ARCH_X86_64", caps: DOCKER_DEFAULT_CAPS });

for (const backend of ["libseccomp", "builtin"] as const) {
  compileSeccomp(profile, { backend }); // warm-up: dlopen, JIT
  const times: number[] = [];
  let size = 0;
  for (let i = 0; i < compileRuns; i++) {
    const start = Bun.nanoseconds();
    size = compileSeccomp(profile, { backend }).program.length / 8;
    times.push((Bun.nanoseconds() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  console.log(`seccomp compile docker-default ${backend.padEnd(10)} median ${times[compileRuns >> 1]!.toFixed(2)} ms  (${compileRuns} runs, ${size} instructions)`);
}

// ── `run` start-up: the same bundle with and without the profile ─────────────────────────
const work = mkdtempSync(`${tmpdir()}/md-bench-seccomp-`);
function writeBundle(name: string, seccomp?: object): string {
  const dir = `${work}/${name}`;
  const spec = defaultSpec({ args: ["true"] });
  spec.process!.terminal = false;
  spec.root = { path: `${REPO}/bundles/busybox/rootfs`, readonly: true };
  if (seccomp) spec.linux!.seccomp = seccomp as never;
  spawnSync(["mkdir", "-p", dir]);
  writeFileSync(`${dir}/config.json`, JSON.stringify(spec));
  return dir;
}
const plain = writeBundle("plain");
const withDocker = writeBundle("docker-default", profile);
const variants = [
  { name: "no seccomp", bundle: plain, backend: "auto" },
  { name: "docker-default, libseccomp", bundle: withDocker, backend: "libseccomp" },
  { name: "docker-default, builtin", bundle: withDocker, backend: "builtin" },
];
// `env` in front of every command, so each pays the same extra exec.
const command = (v: (typeof variants)[number], i: number) =>
  ["env", `MINIDOCKER_SECCOMP=${v.backend}`, BIN, "--root", `${work}/root`, "run", "-b", v.bundle, `bench-${i}`];

interface Timing { name: string; mean: number; stddev: number; median: number }
let timings: Timing[];
let how: string;
const hyperfine = spawnSync(["hyperfine", "--version"], { stdout: "pipe", stderr: "pipe" }).success;
if (hyperfine) {
  const args = ["hyperfine", "-N", "--warmup", "3", "--runs", String(runRuns), "--export-json", `${work}/out.json`,
    ...variants.flatMap((v, i) => ["-n", v.name, command(v, i).join(" ")])];
  how = args.map((a) => (/\s/.test(a) ? `'${a}'` : a)).join(" ");
  const r = spawnSync(args, { stdout: "pipe", stderr: "inherit" });
  if (!r.success) throw new Error(`hyperfine failed:\n${r.stdout.toString()}`);
  const results = JSON.parse(readFileSync(`${work}/out.json`, "utf8")).results as Array<Record<string, number> & { command: string }>;
  timings = results.map((x) => ({ name: x.command, mean: x.mean * 1e3, stddev: x.stddev * 1e3, median: x.median * 1e3 }));
} else {
  how = `spawnSync, ${runRuns} runs after 3 warm-ups (hyperfine not installed)`;
  timings = variants.map((v, i) => {
    const times: number[] = [];
    for (let k = 0; k < runRuns + 3; k++) {
      const start = Bun.nanoseconds();
      const r = spawnSync(command(v, i), { stdout: "ignore", stderr: "pipe" });
      if (!r.success) throw new Error(`${v.name}: ${r.stderr.toString()}`);
      if (k >= 3) times.push((Bun.nanoseconds() - start) / 1e6);
    }
    times.sort((a, b) => a - b);
    const mean = times.reduce((a, b) => a + b, 0) / times.length;
    const stddev = Math.sqrt(times.reduce((a, t) => a + (t - mean) ** 2, 0) / times.length);
    return { name: v.name, mean, stddev, median: times[times.length >> 1]! };
  });
}

const base = timings[0]!;
console.log(`\nminidocker run (busybox \`true\`), ${how}`);
console.log("| variant                    | mean ± σ (ms)  | median (ms) | added vs none (median) |");
console.log("|----------------------------|----------------|-------------|------------------------|");
for (const t of timings) {
  const added = t === base ? "—" : `${(t.median - base.median >= 0 ? "+" : "")}${(t.median - base.median).toFixed(1)} ms`;
  console.log(`| ${t.name.padEnd(26)} | ${`${t.mean.toFixed(1)} ± ${t.stddev.toFixed(1)}`.padEnd(14)} | ${t.median.toFixed(1).padEnd(11)} | ${added.padEnd(22)} |`);
}
rmSync(work, { recursive: true, force: true });
