// `minidocker unpack` against `umoci unpack` (Debian's 0.4.7) on an image with a 100 MB layer:
// one hyperfine run (time), then peak RSS of each with /usr/bin/time. Run through
// scripts/bench-unpack, which installs umoci, hyperfine and time and builds.
// Usage: bun scripts/bench-unpack.ts [--runs N]
import { spawnSync } from "bun";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { makeOciLayout, makeTar } from "../test/integration/image-lib.ts";

const REPO = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const BIN = `${REPO}/dist/minidocker`;
const i = process.argv.indexOf("--runs");
const RUNS = i > 0 ? Number(process.argv[i + 1]) : 5;

const work = mkdtempSync("/tmp/minidocker-bench-unpack-");
try {
  // 100 MB that compresses like real binaries and text (~2.5:1): random blocks and repeated text
  const big = new Uint8Array(100 << 20);
  for (let off = 0; off < big.length; off += 1 << 16) {
    if ((off >> 16) % 5 < 2) big.set(crypto.getRandomValues(new Uint8Array(1 << 16)), off);
    else big.set(new TextEncoder().encode(`line ${off} of some text that repeats\n`.repeat(2000)).subarray(0, 1 << 16), off);
  }
  const files = Array.from({ length: 2000 }, (_, n) => ({ path: `usr/share/doc/f${n}`, data: `small file ${n}\n`.repeat(20) }));
  makeOciLayout(`${work}/image`, [
    { tar: makeTar([{ path: "usr/", mode: 0o755 }, { path: "usr/share/", mode: 0o755 }, { path: "usr/share/doc/", mode: 0o755 }, ...files]) },
    { tar: makeTar([{ path: "big.bin", data: big }]) },
  ], { Cmd: ["sh"] });
  const hyperfine = spawnSync(["hyperfine", "-N", "--runs", String(RUNS), "--warmup", "1", "--export-json", `${work}/h.json`,
    "--prepare", `rm -rf ${work}/a ${work}/b`,
    "-n", "minidocker unpack", `${BIN} unpack oci:${work}/image ${work}/a`,
    "-n", "umoci unpack", `umoci unpack --image ${work}/image:latest ${work}/b`], { stdout: "inherit", stderr: "inherit" });
  if (!hyperfine.success) throw new Error("hyperfine failed");
  const results = JSON.parse(readFileSync(`${work}/h.json`, "utf8")).results as Array<{ command: string; median: number }>;
  const rss = (argv: string[], dir: string) => {
    rmSync(dir, { recursive: true, force: true });
    const r = spawnSync(["/usr/bin/time", "-f", "%M", ...argv], { stderr: "pipe", stdout: "ignore" });
    return Number(r.stderr.toString().trim().split("\n").at(-1)) / 1024;
  };
  const ours = rss([BIN, "unpack", `oci:${work}/image`, `${work}/a`], `${work}/a`);
  const theirs = rss(["umoci", "unpack", "--image", `${work}/image:latest`, `${work}/b`], `${work}/b`);
  const [m, u] = results.map((r) => r.median * 1000);
  console.log(`\n| unpack, 100 MB layer + 2000 files | minidocker | umoci 0.4.7 | ratio |`);
  console.log(`| --- | --- | --- | --- |`);
  console.log(`| median time | ${m!.toFixed(0)} ms | ${u!.toFixed(0)} ms | ${(m! / u!).toFixed(2)}× |`);
  console.log(`| peak RSS | ${ours.toFixed(0)} MiB | ${theirs.toFixed(0)} MiB | ${(ours / theirs).toFixed(2)}× |`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
