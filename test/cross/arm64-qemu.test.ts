// The arm64 build, proven without arm64 hardware: the release binary for linux-arm64 runs under
// qemu-user (commands that need no namespaces), and the per-architecture constants are checked
// for each target against that architecture's kernel headers, by the C compiler
// (_Static_assert), with the values printed by the target's own Bun (arm64: under qemu-user).
import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";

const root = join(import.meta.dir, "../..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const binary = join(root, `dist/release/minidocker-${pkg.version}-linux-arm64`);
// the arm64 Bun runtime `bun build --compile --target` fetched (and cached) for the release
const arm64Bun = join(homedir(), `.bun/install/cache/bun-linux-aarch64-v${pkg.devDependencies.bun}`);
const QEMU = ["qemu-aarch64-static", "-L", "/usr/aarch64-linux-gnu"];

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) newest = Math.max(newest, statSync(join(e.parentPath, e.name)).mtimeMs);
  }
  return newest;
}

function run(cmd: string[], cwd = root) {
  const r = Bun.spawnSync(cmd, { cwd, stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
}
const arm64 = (args: string[], cwd?: string) => run([...QEMU, binary, ...args], cwd);

beforeAll(() => {
  // cached: rebuilt only when a source is newer than the binary (~40 s, else nothing)
  const stale = !existsSync(binary) ||
    statSync(binary).mtimeMs < Math.max(newestSource(join(root, "src")), newestSource(join(root, "ffi")));
  if (stale) {
    const r = run([join(root, "scripts/release"), "--only", "linux-arm64", "--no-xz"]);
    if (r.code !== 0) throw new Error(`scripts/release --only linux-arm64 failed:\n${r.err}`);
  }
}, 300_000);

describe("linux-arm64 binary under qemu-user", () => {
  test("is an aarch64 ELF and prints its version", () => {
    const elf = readFileSync(binary).subarray(0, 20);
    expect(elf.readUInt16LE(18)).toBe(183); // e_machine EM_AARCH64
    const r = arm64(["--version"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`minidocker version ${pkg.version}`);
    expect(r.out).toContain(`bun: ${pkg.devDependencies.bun}`);
  });

  test("features names the native seccomp architecture aarch64", () => {
    const r = arm64(["features"]);
    expect(r.code).toBe(0);
    const f = JSON.parse(r.out);
    expect(f.linux.seccomp.enabled).toBe(true);
    expect(f.linux.seccomp.archs).toContain("SCMP_ARCH_AARCH64");
  });

  test("spec writes a config.json that lint accepts; lint names a bad field", () => {
    const dir = mkdtempSync(join(tmpdir(), "md-arm64-"));
    try {
      expect(arm64(["spec"], dir).code).toBe(0);
      const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
      expect(config.process.args).toEqual(["sh"]);
      const ok = arm64(["lint", "config.json"], dir);
      expect(ok.out).toBe("");
      expect(ok.code).toBe(0);
      config.linux.seccomp = { defaultAction: "SCMP_ACT_ERRNO", architectures: ["SCMP_ARCH_NOPE"] };
      writeFileSync(join(dir, "bad.json"), JSON.stringify(config));
      const bad = arm64(["lint", "bad.json"], dir);
      expect(bad.code).toBe(1);
      expect(bad.out).toContain("SCMP_ARCH_NOPE");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("lint of the repository's bundles says what the x64 build says", () => {
    const configs = readdirSync(join(root, "bundles"))
      .map((b) => `bundles/${b}/config.json`)
      .filter((f) => existsSync(join(root, f)));
    expect(configs.length).toBeGreaterThan(0);
    const native = run([join(root, "dist/minidocker"), "lint", ...configs]);
    const r = arm64(["lint", ...configs]);
    expect(r.out).toBe(native.out);
    expect(r.code).toBe(native.code);
  });
});

/** Compile `checks` with the target's compiler and kernel headers: every _Static_assert must hold. */
function staticAsserts(cc: string, includes: string[], checks: string[]) {
  const dir = mkdtempSync(join(tmpdir(), "md-arch-"));
  try {
    const file = join(dir, "check.c");
    writeFileSync(file, [...includes.map((h) => `#include <${h}>`), ...checks, ""].join("\n"));
    return run([cc, "-fsyntax-only", file]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const TARGETS = [
  { name: "x64", cc: "gcc", bun: [process.execPath], audit: "AUDIT_ARCH_X86_64", seccompArch: "SCMP_ARCH_X86_64" },
  { name: "arm64", cc: "aarch64-linux-gnu-gcc", bun: [...QEMU, arm64Bun], audit: "AUDIT_ARCH_AARCH64", seccompArch: "SCMP_ARCH_AARCH64" },
];

for (const t of TARGETS) {
  describe(`per-architecture constants: ${t.name}`, () => {
    test("src/sys syscall numbers, O_* flags, the seccomp audit arch and syscall table match the kernel headers", () => {
      const r = run([...t.bun, "test/cross/arch-probe.ts"]);
      expect(r.err).toBe("");
      const probe = JSON.parse(r.out);
      expect(probe.arch).toBe(t.name);
      expect(probe.nativeArch).toBe(t.seccompArch);
      const checks = [
        `_Static_assert((unsigned)${t.audit} == (unsigned)${probe.audit}, "seccomp audit arch");`,
        ...Object.entries(probe.NR).map(([n, v]) => `_Static_assert(__NR_${n} == ${v}, "NR.${n}");`),
        ...Object.entries(probe.O).map(([n, v]) => `_Static_assert(O_${n} == ${v}, "O.${n}");`),
        // the seccomp table also names syscalls other kernels/ABIs have: check those this one defines
        ...Object.entries(probe.seccomp).map(
          ([n, v]) => `#ifdef __NR_${n}\n_Static_assert(__NR_${n} == ${v}, "seccomp ${n}");\n#endif`,
        ),
      ];
      const c = staticAsserts(t.cc, ["asm/unistd.h", "asm/fcntl.h", "linux/audit.h"], checks);
      expect(c.err).toBe("");
      expect(c.code).toBe(0);
      expect(Object.keys(probe.seccomp).length).toBeGreaterThan(250);
    }, 60_000);

    test("ffi/helper.c's syscall numbers match the kernel headers", () => {
      const source = readFileSync(join(root, "ffi/helper.c"), "utf8");
      const macro = t.name === "arm64" ? "__aarch64__" : "__x86_64__";
      // the defines of this architecture's block
      const block = source.split(/#(?:el)?if defined\((__\w+)\)/).find((_, i, parts) => parts[i - 1] === macro)!;
      const defines = [...block.matchAll(/^#define NR_(\w+) (\d+)$/gm)];
      expect(defines.length).toBeGreaterThan(15);
      const c = staticAsserts(t.cc, ["asm/unistd.h"], defines.map(([, n, v]) => `_Static_assert(__NR_${n} == ${v}, "helper NR_${n}");`));
      expect(c.err).toBe("");
      expect(c.code).toBe(0);
    });
  });
}
