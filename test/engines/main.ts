// Entry point (scripts/engines-test): run the engine cases against each runtime binary given,
// e.g. `scripts/engines-test /usr/sbin/runc dist/minidocker` (runc is the control).
// Options: --only REGEX (case names), --engine podman|containerd. Exit status 0 only if every case passed.
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

function runAgainst(runtime: string, engines: string[], only?: RegExp): Runner {
  const label = runtime.split("/").pop()!;
  const t = new Runner(label, only);
  const env = new Environment(runtime);
  console.log(`# ${label}: ${runtime}, copied to ${env.runtime} (engines' private state under ${env.dir})`);
  try {
    if (engines.includes("podman")) {
      let ready = false;
      t.case("podman: private engine + imported busybox image", () => { env.setupPodman(); ready = true; });
      if (ready) podmanCases(t, env);
      else t.skipAll(PODMAN_CASES, "podman setup failed");
    }
    if (engines.includes("containerd")) {
      let ready = false;
      t.case("containerd: private daemon + imported busybox image", () => { env.setupContainerd(); ready = true; });
      if (ready) containerdCases(t, env);
      else t.skipAll(CONTAINERD_CASES, "containerd setup failed");
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
  results.push([given, runAgainst(realpathSync(given), engines, only)]);
}
let allPassed = process.exitCode !== 1;
for (const [runtime, t] of results) {
  console.log(`${runtime}: ${t.passed} passed, ${t.failed.length} failed${t.failed.length ? ` (${t.failed.join("; ")})` : ""}`);
  if (t.failed.length) allPassed = false;
}
process.exitCode = allPassed ? 0 : 1;
