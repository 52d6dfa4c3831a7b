// The container's root filesystem seen from inside, beside runc 1.1.5 on the same bundle:
// rootfsPropagation, bundles reached through symlinks, proc/sysfs destinations, --no-pivot.
// Needs root (and busybox-static).
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { spawnSync } from "bun";
import { makeBundle, makeRoot, md, removeBundle, uniqueId } from "./lib.ts";

const root = makeRoot();
const bundles: string[] = [];
afterAll(() => {
  for (const b of bundles) removeBundle(b);
  rmSync(root, { recursive: true, force: true });
});

function bundleOf(edit: Parameters<typeof makeBundle>[0], script: string): string {
  const bundle = makeBundle((s) => { s.linux!.cgroupsPath = undefined; edit(s); }, ["sh", "-c", script]);
  bundles.push(bundle);
  return bundle;
}

function runc(args: string[]) {
  const p = spawnSync(["runc", "--root", `${root}/runc`, ...args], { stdin: "ignore" });
  return { code: p.exitCode ?? -1, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}

describe("linux.rootfsPropagation takes the recursive forms, as runc and crun", () => {
  // The optional fields of "/" say what the propagation became (shared:N, master:N, unbindable).
  const probe = "grep -E '^[0-9]+ [0-9]+ [0-9:]+ / / ' /proc/self/mountinfo | cut -d' ' -f7- | sed -E 's/ - .*//; s/:[0-9]+/:N/g'";
  for (const propagation of ["rprivate", "rslave", "rshared"]) {
    test(`${propagation}: the container runs and "/" is what runc makes it`, () => {
      const bundle = bundleOf((s) => { s.linux!.rootfsPropagation = propagation; }, probe);
      const ours = md(root, ["run", "-b", bundle, uniqueId("prop")]);
      expect(ours.stderr).toBe("");
      expect(ours.code).toBe(0);
      const theirs = runc(["run", "-b", bundle, uniqueId("prop-runc")]);
      expect(theirs.stderr).toBe("");
      expect(ours.stdout).toBe(theirs.stdout);
    });
  }
  test("runbindable: accepted, then the rootfs bind fails (EINVAL) under both runtimes", () => {
    const bundle = bundleOf((s) => { s.linux!.rootfsPropagation = "runbindable"; }, "true");
    const ours = md(root, ["run", "-b", bundle, uniqueId("prop")]);
    expect(ours.stderr).toMatch(/bind rootfs .*EINVAL/);
    expect(ours.code).toBe(1);
    const theirs = runc(["run", "-b", bundle, uniqueId("prop-runc")]);
    expect(theirs.stderr).toMatch(/error preparing rootfs: .*invalid argument/);
    expect(theirs.code).toBe(1);
  });
});
