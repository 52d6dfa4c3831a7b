// linux.sysctl only for the container's own namespaces: a namespace joined by path that is the
// host's own must not let a sysctl through to the host (runc: "not allowed in host network namespace").
import { afterAll, expect, test } from "bun:test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { makeBundle, makeRoot, md, removeBundle, uniqueId } from "./lib.ts";

const root = makeRoot();
const bundles: string[] = [];
afterAll(() => {
  for (const b of bundles) removeBundle(b);
  rmSync(root, { recursive: true, force: true });
});

// [namespace type, /proc/<pid>/ns name, sysctl, its /proc/sys file]
const cases: Array<[string, string, string, string]> = [
  ["network", "net", "net.ipv4.ip_unprivileged_port_start", "/proc/sys/net/ipv4/ip_unprivileged_port_start"],
  ["ipc", "ipc", "kernel.shmmni", "/proc/sys/kernel/shmmni"],
  ["uts", "uts", "kernel.domainname", "/proc/sys/kernel/domainname"],
];

for (const [type, nsName, sysctl, file] of cases)
  test(`${sysctl} in the host's ${type} namespace joined by path (/proc/<our pid>/ns/${nsName}): refused, the host's value untouched`, () => {
    const before = readFileSync(file, "utf8");
    const changed = sysctl === "kernel.domainname" ? "md-attack" : String(Number(before) - 1);
    const bundle = makeBundle((s) => {
      s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === type ? { type: n.type, path: `/proc/${process.pid}/ns/${nsName}` } : n));
      s.linux!.sysctl = { [sysctl]: changed };
    });
    bundles.push(bundle);
    const id = uniqueId("hostns-sysctl");
    try {
      const r = md(root, ["run", "-b", bundle, id]);
      expect(r.stderr).toContain(`linux.sysctl[\\"${sysctl}\\"]: not allowed: the ${type} namespace joined (/proc/${process.pid}/ns/${nsName}) is the host's`);
      expect(r.code).toBe(1);
      expect(readFileSync(file, "utf8")).toBe(before);
    } finally {
      writeFileSync(file, before); // the old code changed the host
    }
  });
