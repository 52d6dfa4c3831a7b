// Containers given a cgroup that already exists (absolute cgroupsPath), on v1 (this host) and v2 (the
// guest): a frozen one is refused like runc ("container's cgroup unexpectedly frozen", exit 1, at
// once, nothing left), a non-empty one only warns. Shared by cgroups-container.test.ts and
// cgroups-v2.test.ts.
import { expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, rmdirSync, writeFileSync } from "node:fs";
import { cgroupVersion } from "../../src/cgroups/manager.ts";
import { leftovers, makeBundle, md, removeBundle, uniqueId } from "./lib.ts";

const CGROUP = "/sys/fs/cgroup";

/** Every directory of cgroup `path` (v1: in each hierarchy), deepest first. */
function dirsOf(path: string): string[] {
  const bases = cgroupVersion() === 2 ? [CGROUP]
    : readdirSync(CGROUP, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => `${CGROUP}/${e.name}`);
  const out: string[] = [];
  for (const base of bases) {
    const parts = path.split("/").filter(Boolean);
    for (let i = parts.length; i > 0; i--) {
      const dir = `${base}/${parts.slice(0, i).join("/")}`;
      if (existsSync(dir)) out.push(dir);
    }
  }
  return out;
}

/** Thaw and remove what a test made (never a real hierarchy: only dirs named after this test's pid). */
function removeCgroup(path: string) {
  for (const dir of dirsOf(path)) {
    try { writeFileSync(`${dir}/${cgroupVersion() === 2 ? "cgroup.freeze" : "freezer.state"}`, cgroupVersion() === 2 ? "0" : "THAWED"); } catch { /* not a freezer dir */ }
  }
  for (const dir of dirsOf(path)) try { rmdirSync(dir); } catch { /* reported by the test's own checks */ }
}

/** A cgroup (v1: its freezer directory only) frozen with no process in it. */
function makeFrozenCgroup(path: string) {
  const dir = cgroupVersion() === 2 ? `${CGROUP}${path}` : `${CGROUP}/freezer${path}`;
  mkdirSync(dir, { recursive: true });
  if (cgroupVersion() === 2) writeFileSync(`${dir}/cgroup.freeze`, "1");
  else writeFileSync(`${dir}/freezer.state`, "FROZEN");
}

export function defineExistingCgroupTests(root: string) {
  test("a frozen cgroupsPath (or one below a frozen cgroup) is refused like runc: exit 1 at once, nothing made or left", () => {
    const frozen = `/md-frozen-${process.pid}`;
    const bundles: string[] = [];
    try {
      makeFrozenCgroup(frozen);
      for (const cgroupsPath of [frozen, `${frozen}/below`]) {
        const id = uniqueId("frozen");
        const b = makeBundle((s) => { s.linux!.cgroupsPath = cgroupsPath; }, ["echo", "ran"]);
        bundles.push(b);
        const t0 = Date.now();
        const r = md(root, ["run", "-b", b, id], { timeoutMs: 20_000 });
        expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 1, stdout: "" });
        expect(r.stderr).toContain("container's cgroup unexpectedly frozen");
        expect(Date.now() - t0).toBeLessThan(15_000); // no hang (a first start in the guest alone takes ~5 s)
        expect(leftovers(root, id)).toEqual([]);
        // only the frozen directory itself, as it was given: nothing made beside or below it
        expect(dirsOf(cgroupsPath).filter((d) => !d.endsWith(frozen))).toEqual([]);
      }
    } finally {
      removeCgroup(frozen);
      bundles.forEach(removeBundle);
    }
    expect(dirsOf(frozen)).toEqual([]);
  });

  test("a cgroupsPath that already holds a process: create warns like runc (and works)", async () => {
    const busy = `/md-busy-${process.pid}`;
    const id = uniqueId("busy");
    const b = makeBundle((s) => { s.linux!.cgroupsPath = busy; }, ["true"]);
    // the sleeper sits in the directory pids() reads (v1: the pids hierarchy)
    const dir = cgroupVersion() === 2 ? `${CGROUP}${busy}` : `${CGROUP}/pids${busy}`;
    const sleeper = Bun.spawn(["sleep", "60"]);
    try {
      mkdirSync(dir);
      writeFileSync(`${dir}/cgroup.procs`, String(sleeper.pid));
      const r = md(root, ["create", "-b", b, id]);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain("container's cgroup is not empty: 1 process(es) found");
      sleeper.kill(9);
      await sleeper.exited;
      expect(md(root, ["delete", "--force", id]).code).toBe(0);
      expect(leftovers(root, id)).toEqual([]);
      expect(dirsOf(busy)).toEqual([]);
    } finally {
      sleeper.kill(9);
      md(root, ["delete", "--force", id]);
      removeCgroup(busy);
      removeBundle(b);
    }
  });
}
