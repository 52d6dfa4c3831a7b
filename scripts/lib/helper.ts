// The C helper's compile command (ffi/helper.c → a shared library), shared by scripts/build.ts,
// scripts/release.ts and test/cross. No system headers (-nostdinc): a minimal host has none.
// musl: no libraries at all (-nostdlib): its undefined symbols bind to the musl already loaded,
// and no glibc symbol-version reference reaches musl's loader.
const source = new URL("../../ffi/helper.c", import.meta.url).pathname;

export function helperCompileCommand(cc: string, out: string, libc: "glibc" | "musl" = "glibc"): string[] {
  return [cc, "-nostdinc", "-O2", "-Wall", "-Werror", "-shared", "-fPIC", ...(libc === "musl" ? ["-nostdlib"] : []), "-o", out, source];
}
