// linux.memoryPolicy seen from inside: a static probe calls get_mempolicy(2) as the container's
// process. runc 1.1.5 ignores the field (mode 0). Needs root, gcc with a static libc.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { spawnSync } from "bun";
import type { Spec } from "../../src/spec/types.ts";
import { makeBundle, makeRoot, md, removeBundle, uniqueId } from "./lib.ts";

const root = makeRoot();
const scratch = mkdtempSync(`${tmpdir()}/md-mempolicy-`);
const bundles: string[] = [];
afterAll(() => {
  for (const b of bundles) removeBundle(b);
  rmSync(root, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

beforeAll(() => {
  writeFileSync(`${scratch}/probe.c`, `#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>
int main(void) {
  int mode = -1; unsigned long mask[16] = {0};
  if (syscall(SYS_get_mempolicy, &mode, mask, 1024, 0, 0) != 0) { perror("get_mempolicy"); return 1; }
  printf("mode=%d flags=0x%x nodes=0x%lx\\n", mode & 0xff, mode & ~0xff, mask[0]);
  return 0;
}
`);
  const cc = spawnSync(["gcc", "-static", "-O2", "-o", `${scratch}/probe`, `${scratch}/probe.c`]);
  if (!cc.success) throw new Error(`gcc -static: ${cc.stderr}`);
});

function probe(policy: NonNullable<NonNullable<Spec["linux"]>["memoryPolicy"]>) {
  const bundle = makeBundle((s) => { s.linux!.memoryPolicy = policy; }, ["/probe"]);
  bundles.push(bundle);
  copyFileSync(`${scratch}/probe`, `${bundle}/rootfs/probe`);
  spawnSync(["chmod", "755", `${bundle}/rootfs/probe`]);
  return md(root, ["run", "-b", bundle, uniqueId("mempolicy")]);
}

test("MPOL_BIND to node 0 with MPOL_F_STATIC_NODES: the process runs under that policy", () => {
  const r = probe({ mode: "MPOL_BIND", nodes: "0", flags: ["MPOL_F_STATIC_NODES"] });
  expect(r.stderr).toBe("");
  expect(r.stdout).toBe("mode=2 flags=0x8000 nodes=0x1\n");
});

test("MPOL_PREFERRED without nodes (local allocation) and MPOL_DEFAULT", () => {
  // the kernel records a preferred policy without nodes as MPOL_LOCAL (4)
  expect(probe({ mode: "MPOL_PREFERRED" }).stdout).toBe("mode=4 flags=0x0 nodes=0x0\n");
  expect(probe({ mode: "MPOL_DEFAULT" }).stdout).toBe("mode=0 flags=0x0 nodes=0x0\n");
});

test("a node the host does not have: create fails naming the field, the kernel's errno", () => {
  const r = probe({ mode: "MPOL_INTERLEAVE", nodes: "63" });
  expect(r.stdout).toBe("");
  expect(r.stderr).toContain("linux.memoryPolicy: set_mempolicy: EINVAL");
  expect(r.code).toBe(1);
});
