// lib.ts leftovers() is what every "nothing left behind" test relies on: it must see a leaked
// init (argv "minidocker init", in a cgroup not named after the id), a mount leaked into the
// host's table under a bundle (whose path does not contain the id), and a process a failed call
// left behind, and not report a container that was cleaned up.
import { expect, test } from "bun:test";
import { existsSync, readFileSync, rmdirSync, rmSync } from "node:fs";
import { cgroupDirsOf, leftovers, md, uniqueId } from "./lib.ts";
import { testScope } from "./scope.ts";

const scope = testScope("leftovers");
const cgroupName = `md-leftovers-${process.pid}`;

test("a leaked init is found though its argv and cgroup do not name the container", () => {
  const bundle = scope.bundle((s) => { s.linux!.cgroupsPath = `/${cgroupName}`; }, ["sleep", "1000"]);
  const id = uniqueId("leak");
  expect(md(scope.root, ["create", "-b", bundle, id]).code).toBe(0);
  const pid = (JSON.parse(readFileSync(`${scope.root}/${id}/state.json`, "utf8")) as { pid: number }).pid;
  try {
    expect(readFileSync(`/proc/${pid}/cmdline`, "utf8")).toBe("minidocker\0init\0");
    // the state dir goes, init stays: what a bug in delete's cleanup would leave
    rmSync(`${scope.root}/${id}`, { recursive: true, force: true });
    expect(leftovers(scope.root, id)).toEqual([`process ${pid} minidocker init`]);
  } finally {
    try { process.kill(pid, "SIGKILL"); } catch {}
    // a cgroup is busy until its last task finished exiting (EBUSY a moment after "Z"), as removeCgroupTree knows
    for (let i = 0; i < 200 && cgroupDirsOf(cgroupName).length; i++) {
      for (const dir of cgroupDirsOf(cgroupName)) try { rmdirSync(dir); } catch {}
      Bun.sleepSync(10);
    }
  }
  expect(leftovers(scope.root, id)).toEqual([]);
  expect(cgroupDirsOf(cgroupName)).toEqual([]);
});

test("a mount left in the host's table under the bundle is found", () => {
  const bundle = scope.bundle();
  const id = uniqueId("mnt");
  expect(md(scope.root, ["run", "-b", bundle, id]).code).toBe(0);
  expect(leftovers(scope.root, id)).toEqual([]);
  expect(Bun.spawnSync(["mount", "-t", "tmpfs", "leak", `${bundle}/rootfs/home`]).exitCode).toBe(0);
  try {
    const found = leftovers(scope.root, id);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(` ${bundle}/rootfs/home `);
  } finally {
    Bun.spawnSync(["umount", `${bundle}/rootfs/home`]); // before the scope removes the bundle
  }
  expect(leftovers(scope.root, id)).toEqual([]);
});

test("a process a call left behind (re-parented to us) is found until it is gone", () => {
  // a prestart hook that leaves a daemon: the kind of process a failed create could leak
  const pidFile = `${scope.scratch}/daemon.pid`;
  const bundle = scope.bundle((s) => {
    s.hooks = { prestart: [{ path: "/bin/sh", args: ["sh", "-c", `setsid sh -c 'echo $$ > ${pidFile}; exec sleep 1000' </dev/null >/dev/null 2>&1 &`] }] };
  });
  const id = uniqueId("orphan");
  expect(md(scope.root, ["run", "-b", bundle, id]).code).toBe(0);
  for (let i = 0; i < 100 && !existsSync(pidFile); i++) Bun.sleepSync(10);
  const daemon = Number(readFileSync(pidFile, "utf8"));
  try {
    expect(leftovers(scope.root, id)).toEqual([`process ${daemon} sleep 1000`]);
  } finally {
    process.kill(daemon, "SIGKILL");
  }
  Bun.sleepSync(100);
  expect(leftovers(scope.root, id)).toEqual([]);
});
