// CVE-2019-5736: a container process that grabs /proc/<init>/exe while init still runs our
// binary must not be able to reopen it for writing later. init runs from a read-only bind of the
// binary (ffi/helper.c protect_binary), so the reopen fails with EROFS, whatever namespaces.
import { afterAll, expect, test } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { SysError } from "../../src/sys/errors.ts";
import * as sys from "../../src/sys/linux.ts";
import { O } from "../../src/sys/linux.ts";
import { makeBundle, makeRoot, md, removeBundle, uniqueId } from "./lib.ts";

const root = makeRoot();
const bundles: string[] = [];
afterAll(() => {
  for (const id of md(root, ["list", "-q"]).stdout.split("\n").filter(Boolean)) md(root, ["delete", "--force", id]);
  for (const b of bundles) removeBundle(b);
  rmSync(root, { recursive: true, force: true });
});

const cases: Array<[string, Parameters<typeof makeBundle>[0]]> = [
  ["default namespaces", undefined],
  ["user namespace", (s) => {
    s.linux!.namespaces!.push({ type: "user" });
    s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  }],
  ["no pid namespace", (s) => { s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== "pid"); }],
];

for (const [name, edit] of cases) {
  test(`init's binary cannot be reopened for writing (${name})`, () => {
    const b = makeBundle(edit, ["sleep", "5"]);
    bundles.push(b);
    const id = uniqueId("exe");
    expect(md(root, ["create", "-b", b, id]).code).toBe(0);
    const pid = JSON.parse(md(root, ["state", id]).stdout).pid as number;
    // init is blocked on exec.fifo, running our binary: take a handle on it as an attacker would
    const handle = sys.open(`/proc/${pid}/exe`, O.PATH | O.CLOEXEC);
    try {
      expect(readFileSync(`/proc/${pid}/comm`, "utf8").trim()).not.toBe("sleep");
      expect(md(root, ["start", id]).code).toBe(0); // init execs the user's process now
      // start returns once init read the fifo; its execve follows a moment later
      for (let i = 0; i < 200 && readFileSync(`/proc/${pid}/comm`, "utf8").trim() !== "sleep"; i++) Bun.sleepSync(5);
      expect(readFileSync(`/proc/${pid}/comm`, "utf8").trim()).toBe("sleep");
      let errno = 0;
      try {
        sys.close(sys.open(`/proc/self/fd/${handle}`, O.WRONLY | O.CLOEXEC));
      } catch (e) {
        errno = (e as SysError).errno;
      }
      expect(errno).toBe(30); // EROFS: the handle lives on the read-only bind
    } finally {
      sys.close(handle);
      md(root, ["delete", "--force", id]);
    }
  });
}
