#!/usr/bin/env bun
// Release: one self-contained binary per edge target (scripts/release). Bun cross-compiles with
// --target=bun-linux-<arch>[-musl|-baseline]-v<version>, fetching that runtime from npm
// (@oven/bun-linux-*) once and caching it; the C helper is compiled for each architecture
// (gcc / aarch64-linux-gnu-gcc, still without headers) and embedded as dist/helper.so, which
// src/stages/spawn.ts imports. Artefacts: dist/release/minidocker-<version>-linux-<target>.xz,
// SHA256SUMS, and a size table. `--only linux-arm64` builds one; `--no-xz` skips compression
// (the qemu test suite only needs the binary); `--xz-preset N` instead of xz -6.
import { $ } from "bun";
import { helperCompileCommand } from "./lib/helper.ts";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";

interface Target {
  name: string; // linux-x64, linux-arm64-musl…
  bunTarget: string; // bun-linux-x64-baseline…
  cc: string; // the helper's compiler
  musl: boolean;
}

const TARGETS: Target[] = [
  { name: "linux-x64", bunTarget: "bun-linux-x64", cc: "gcc", musl: false },
  { name: "linux-x64-baseline", bunTarget: "bun-linux-x64-baseline", cc: "gcc", musl: false },
  { name: "linux-arm64", bunTarget: "bun-linux-arm64", cc: "aarch64-linux-gnu-gcc", musl: false },
  { name: "linux-x64-musl", bunTarget: "bun-linux-x64-musl", cc: "gcc", musl: true },
  { name: "linux-arm64-musl", bunTarget: "bun-linux-arm64-musl", cc: "aarch64-linux-gnu-gcc", musl: true },
];

const root = new URL("..", import.meta.url).pathname;
process.chdir(root);
const pkg = JSON.parse(readFileSync("package.json", "utf8"));
const version: string = pkg.version;
// the runtimes embedded must be the Bun we build and test with
const bunVersion: string = pkg.devDependencies.bun;
if (Bun.version !== bunVersion) throw new Error(`package.json pins bun ${bunVersion} but this is bun ${Bun.version}`);

const args = process.argv.slice(2);
const only = args.includes("--only") ? args[args.indexOf("--only") + 1] : undefined;
const compress = !args.includes("--no-xz");
// xz -6 (the default) takes minutes per 100 MiB binary on a busy machine: --xz-preset 1 for a quick run
const xzPreset = args.includes("--xz-preset") ? Number(args[args.indexOf("--xz-preset") + 1]) : 6;
const targets = only ? TARGETS.filter((t) => t.name === only) : TARGETS;
if (!targets.length) throw new Error(`--only ${only}: unknown target (${TARGETS.map((t) => t.name).join(", ")})`);

const out = "dist/release";
mkdirSync(out, { recursive: true });

const rows: string[][] = [];
const nativeHelper = "dist/helper.so";
const savedHelper = "dist/helper.so.native";
if (existsSync(nativeHelper)) renameSync(nativeHelper, savedHelper);
/** Put the native helper back: a foreign one left in dist/ would go into the next native build. */
function restoreHelper() {
  rmSync(nativeHelper, { force: true });
  if (existsSync(savedHelper)) renameSync(savedHelper, nativeHelper);
}
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => { restoreHelper(); process.exit(130); });
try {
  for (const t of targets) {
    const binary = `${out}/minidocker-${version}-${t.name}`;
    await $`${helperCompileCommand(t.cc, nativeHelper, t.musl ? "musl" : "glibc")}`;
    // --bytecode: JavaScriptCore's bytecode cache is not tied to the CPU architecture
    await $`${process.execPath} build --compile --target=${t.bunTarget}-v${bunVersion} --minify --bytecode --sourcemap=none --no-compile-autoload-dotenv --no-compile-autoload-bunfig src/main.ts --outfile ${binary}`.quiet();
    const size = statSync(binary).size;
    let xzSize = 0;
    if (compress) {
      await $`xz -T0 -${xzPreset} -f -k ${binary}`;
      xzSize = statSync(`${binary}.xz`).size;
    }
    rows.push([t.name, mib(size), compress ? mib(xzSize) : "-", await hostNeeds(binary)]);
    console.error(`built ${binary}`);
  }
} finally {
  restoreHelper();
}

if (compress && !only) {
  const names = TARGETS.map((t) => `minidocker-${version}-${t.name}.xz`);
  const sums = await $`sha256sum ${names}`.cwd(out).text();
  writeFileSync(`${out}/SHA256SUMS`, sums);
  console.log(sums.trimEnd());
}

/** The loader and shared libraries the host must provide (the ELF's PT_INTERP and DT_NEEDED). */
async function hostNeeds(binary: string) {
  const interp = (await $`readelf -l ${binary}`.text()).match(/interpreter: ([^\]]+)\]/)?.[1] ?? "none";
  const needed = [...(await $`readelf -d ${binary}`.text()).matchAll(/\(NEEDED\).*\[(.+)\]/g)].map((m) => m[1]);
  return `${interp}: ${needed.join(", ")}`;
}

function mib(n: number) {
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
console.log("\n| target | binary | xz | loader: libraries |\n|---|---|---|---|");
for (const r of rows) console.log(`| ${r.join(" | ")} |`);
