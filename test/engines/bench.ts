// scripts/bench-engines: what a container costs through the engines, minidocker vs runc —
// `podman run --rm IMAGE true` and `ctr run --rm IMAGE id true` — one hyperfine run over the four
// commands, then the ratios. Private engines as in the harness (test/engines/harness.ts).
// Usage: scripts/bench-engines [--runs N] [MINIDOCKER_BINARY] [RUNC_BINARY]
import { readFileSync } from "node:fs";
import { Environment, ensurePackages, must, REPO, run } from "./harness.ts";

const args = process.argv.slice(2);
let runs = 15;
const positional: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--runs") runs = Number(args[++i]);
  else positional.push(args[i]!);
}
const [minidocker = `${REPO}/dist/minidocker`, runc = "/usr/sbin/runc"] = positional;
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const shell = (argv: string[]) => argv.map(quote).join(" ");

ensurePackages();
const envs = [new Environment(runc), new Environment(minidocker)];
try {
  const commands: Array<[name: string, command: string]> = [];
  for (const env of envs) {
    env.setupPodman();
    env.setupContainerd();
    const podmanEnv = Object.entries(env.podmanEnv()).map(([k, v]) => `${k}=${v}`);
    commands.push([`podman run --rm IMAGE true (${env.runtimeName})`,
      shell(["env", ...podmanEnv, ...env.podmanArgs(), ...env.podmanRunArgs(), "--rm", env.podmanImage, "true"])]);
    commands.push([`ctr run --rm IMAGE id true (${env.runtimeName})`,
      shell(["ctr", "--address", env.socket(), "--namespace", env.tag, ...env.ctrRunArgs(), "--rm", env.ctrImage, "bench", "true"])]);
  }
  const json = `${envs[0]!.dir}/hyperfine.json`;
  const order = [0, 2, 1, 3]; // podman runc, podman minidocker, ctr runc, ctr minidocker
  const out = must(run(["hyperfine", "--style", "basic", "-N", "--warmup", "2", "--runs", String(runs), "--export-json", json,
    ...order.flatMap((i) => ["-n", commands[i]![0], commands[i]![1]])], { timeout: 900_000 }), "hyperfine");
  process.stdout.write(out);
  const results = JSON.parse(readFileSync(json, "utf8")).results as Array<{ command: string; mean: number; stddev: number; min: number; median: number }>;
  const ms = (s: number) => `${(s * 1000).toFixed(0)} ms`;
  // on a busy machine the mean carries others' load: the median and the minimum say more
  console.log("\n| workload | runc median (min) | minidocker median (min) | ratio of medians | ratio of minimums |\n|---|---|---|---|---|");
  for (const [i, workload] of [[0, "podman run --rm IMAGE true"], [2, "ctr run --rm IMAGE id true"]] as const) {
    const [base, ours] = [results[i]!, results[i + 1]!];
    console.log(`| \`${workload}\` | ${ms(base.median)} (${ms(base.min)}) | ${ms(ours.median)} (${ms(ours.min)}) | ${(ours.median / base.median).toFixed(2)} | ${(ours.min / base.min).toFixed(2)} |`);
  }
} finally {
  for (const env of envs) env.teardown();
}
