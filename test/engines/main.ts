// Entry point (scripts/engines-test): run the engine cases against each runtime binary given,
// e.g. `scripts/engines-test /usr/sbin/runc dist/minidocker` (runc is the control).
// Options: --only REGEX (case names; later cases of an engine use the container of "run -d"),
// --engine podman|containerd. Exit status 0 only if every case passed.
import { existsSync, realpathSync } from "node:fs";
import { CONTAINERD_CASES, containerdCases } from "./containerd-cases.ts";
import { Environment, ensurePackages, REPO, Runner } from "./harness.ts";
import { PODMAN_CASES, podmanCases } from "./podman-cases.ts";

function parse(argv: string[]) {
  const runtimes: string[] = [];
  let only: RegExp | undefined;
  let engines = ["podman", "containerd"];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--only") only = new RegExp(argv[++i] ?? "");
    else if (a === "--engine") engines = [argv[++i] ?? ""];
    else if (a === "-h" || a === "--help") {
      console.log("usage: scripts/engines-test [--only REGEX] [--engine podman|containerd] [RUNTIME_BINARY…]  (default: dist/minidocker)");
      process.exit(0);
    } else runtimes.push(a);
  }
  if (runtimes.length === 0) runtimes.push(`${REPO}/dist/minidocker`);
  return { runtimes, only, engines };
}

async function runAgainst(runtime: string, engines: string[], only?: RegExp): Promise<Runner> {
  const label = runtime.split("/").pop()!;
  const t = new Runner(label, only);
  const env = new Environment(runtime);
  console.log(`# ${label}: ${runtime}, copied to ${env.runtime} (engines' private state under ${env.dir})`);
  try {
    for (const [engine, setup, cases, names] of [
      ["podman", () => env.setupPodman(), podmanCases, PODMAN_CASES],
      ["containerd", () => env.setupContainerd(), containerdCases, CONTAINERD_CASES],
    ] as const) {
      if (!engines.includes(engine)) continue;
      let ready = false;
      t.case(`${engine}: private engine + imported busybox image`, () => { setup(); ready = true; }, true);
      await t.drain();
      if (ready) cases(t, env);
      else t.skipAll(names, `${engine} setup failed`);
      await t.drain();
    }
  } finally {
    env.teardown();
  }
  return t;
}

const { runtimes, only, engines } = parse(process.argv.slice(2));
ensurePackages();
const results: Array<[string, Runner]> = [];
for (const given of runtimes) {
  if (!existsSync(given)) { console.log(`FAIL  ${given}: no such runtime binary`); process.exitCode = 1; continue; }
  results.push([given, await runAgainst(realpathSync(given), engines, only)]);
}
let allPassed = process.exitCode !== 1;
for (const [runtime, t] of results) {
  console.log(`${runtime}: ${t.passed} passed, ${t.failed.length} failed${t.failed.length ? ` (${t.failed.join("; ")})` : ""}`);
  if (t.failed.length) allPassed = false;
}
const total = (f: (t: Runner) => number) => results.reduce((n, [, t]) => n + f(t), 0);
console.log(`${total((t) => t.passed)} passed, ${total((t) => t.failed.length)} failed`);
process.exitCode = allPassed ? 0 : 1;
