// Attacks on the runtime's own processes from inside a container (issue 19 item 1). A process
// the runtime starts in a container's namespaces (exec's init, init waiting on exec.fifo) must
// never let a container process into the host's filesystem or its own memory and fds: not
// through /proc/<pid>/root, /proc/<pid>/environ or /proc/<pid>/fd, not even with CAP_SYS_PTRACE
// in the container's user namespace. MINIDOCKER_BIN=runc runs the same attacks against runc.
import { describe, expect, test, setDefaultTimeout } from "bun:test";
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { capabilityNames } from "../../src/linux/capabilities.ts";
import type { Spec } from "../../src/spec/types.ts";
import { BIN, md, uniqueId } from "./lib.ts";
import { testScope } from "./scope.ts";

setDefaultTimeout(120_000);

const { root, scratch, bundle, track } = testScope("exec-attack");

const lastCap = Number(readFileSync("/proc/sys/kernel/cap_last_cap", "utf8"));
const ALL_CAPS = capabilityNames((1n << BigInt(lastCap + 1)) - 1n, lastCap);

/** Root of its own user namespace (host uid 100000) with every capability, CAP_SYS_PTRACE included. */
const userns = (s: Spec) => {
  s.linux!.namespaces!.push({ type: "user" });
  s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
};
const allCaps = (s: Spec) => {
  s.process!.capabilities = { bounding: ALL_CAPS, effective: ALL_CAPS, permitted: ALL_CAPS };
  s.root!.readonly = false;
};

/** A world-readable file on the host, outside every rootfs: what an escape would read. */
function hostMarker(): { path: string; secret: string } {
  const dir = `${scratch}/host-only-${uniqueId("m")}`;
  mkdirSync(dir, { recursive: true });
  chmodSync(scratch, 0o755);
  chmodSync(dir, 0o755);
  const secret = `HOST-SECRET-${uniqueId("s")}`;
  writeFileSync(`${dir}/marker`, secret, { mode: 0o644 });
  return { path: `${dir}/marker`, secret };
}

/**
 * Every process the container can see, over and over: its root (the host's marker through it),
 * its environment (init's carries _MINIDOCKER_) and its fds; whatever is readable lands in /loot.
 */
const prober = (marker: string) => [
  "echo ready > /ready",
  "while :; do",
  "  for p in /proc/[0-9]*; do",
  "    [ \"$p\" = /proc/$$ ] && continue",
  `    cat "$p/root${marker}" >> /loot 2>/dev/null`,
  "    tr '\\0' '\\n' < \"$p/environ\" 2>/dev/null | grep _MINIDOCKER >> /loot",
  "    ls -l \"$p/fd/\" 2>/dev/null | grep -e socket -e exec.fifo -e memfd >> /loot",
  "  done",
  "done",
].join("\n");

const waitForFile = async (path: string) => {
  for (let i = 0; i < 3000 && !existsSync(path); i++) await Bun.sleep(20);
  expect(existsSync(path)).toBe(true);
};

describe("a container process racing `exec` cannot reach the host or exec's init", () => {
  for (const [what, edit] of [
    ["a user namespace, every capability (CAP_SYS_PTRACE there)", (s: Spec) => { userns(s); allCaps(s); }],
    ["no user namespace, the default capabilities", (s: Spec) => { s.root!.readonly = false; }],
  ] as const) {
    test(`${what}: /proc/<pid>/root, environ and fd of every new process`, async () => {
      const { path, secret } = hostMarker();
      const b = bundle(edit, ["sh", "-c", prober(path)]);
      // the prober writes /ready and /loot: a user namespace's root is host uid 100000
      if (what.startsWith("a user namespace")) chownSync(`${b}/rootfs`, 100000, 100000);
      const id = track(uniqueId("race"));
      const started = md(root, ["run", "-d", "-b", b, id]);
      expect(started.stderr).toBe("");
      await waitForFile(`${b}/rootfs/ready`);
      let ran = 0;
      for (let i = 0; i < 40; i++) {
        const r = md(root, ["exec", id, "true"]);
        expect(r.stderr).toBe("");
        if (r.code === 0) ran++;
      }
      expect(ran).toBe(40);
      const loot = existsSync(`${b}/rootfs/loot`) ? readFileSync(`${b}/rootfs/loot`, "utf8") : "";
      if (loot) console.log(`loot:\n${loot}`);
      expect(loot).not.toContain(secret);
      expect(loot).toBe("");
      md(root, ["delete", "--force", id]);
      rmSync(path, { force: true });
    });
  }
});

describe("a container process racing `create` of a container that joins its pid and user namespaces", () => {
  // The new init mounts the new container's rootfs with the host's root as its own until
  // pivot_root, inside the attacker's pid namespace: it must be out of the attacker's reach.
  test("/proc/<pid>/root, environ and fd of the joining init, with CAP_SYS_PTRACE in the shared user namespace", async () => {
    const { path, secret } = hostMarker();
    const attacker = bundle((s) => { userns(s); allCaps(s); }, ["sh", "-c", prober(path)]);
    chownSync(`${attacker}/rootfs`, 100000, 100000);
    const id = track(uniqueId("pidns-owner"));
    expect(md(root, ["run", "-d", "-b", attacker, id]).stderr).toBe("");
    await waitForFile(`${attacker}/rootfs/ready`);
    const pid = JSON.parse(md(root, ["state", id]).stdout).pid;
    const joiner = bundle((s) => {
      s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === "pid" ? { type: "pid", path: `/proc/${pid}/ns/pid` } : n));
      s.linux!.namespaces!.push({ type: "user", path: `/proc/${pid}/ns/user` });
      if (BIN.endsWith("/runc")) {
        // runc 1.1.5 wants the joined namespace's mappings stated; minidocker refuses them (they are set already)
        s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      }
    }, ["true"]);
    for (let i = 0; i < 25; i++) {
      const r = md(root, ["run", "-b", joiner, uniqueId("joiner")]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
    }
    const loot = existsSync(`${attacker}/rootfs/loot`) ? readFileSync(`${attacker}/rootfs/loot`, "utf8") : "";
    if (loot) console.log(`loot:\n${loot}`);
    expect(loot).not.toContain(secret);
    expect(loot).toBe("");
    md(root, ["delete", "--force", id]);
    rmSync(path, { force: true });
  });
});

describe("init waiting on exec.fifo (created, not started) is out of reach of exec'd processes", () => {
  for (const [what, edit] of [
    ["a user namespace, every capability (CAP_SYS_PTRACE there)", (s: Spec) => { userns(s); allCaps(s); }],
    ["no user namespace, the default capabilities", (s: Spec) => { s.root!.readonly = false; }],
  ] as const) {
    test(`${what}: init's environ, mem and fds stay closed`, () => {
      const b = bundle(edit, ["true"]);
      const id = track(uniqueId("created"));
      expect(md(root, ["create", "-b", b, id]).stderr).toBe("");
      // each probe opens one thing of init's (pid 1 while the container is only created)
      const probes = {
        environ: "cat /proc/1/environ",
        mem: "exec 3</proc/1/mem",
        fd: "readlink /proc/1/fd/0",
        root: "ls /proc/1/root/",
      };
      const script = Object.entries(probes).map(([name, cmd]) => `(${cmd}) >/dev/null 2>&1 && echo open:${name} || echo denied:${name}`).join("; ");
      const probe = md(root, ["exec", id, "sh", "-c", script]);
      expect(probe.stderr).toBe("");
      expect(probe.stdout.trim().split("\n")).toEqual(Object.keys(probes).map((name) => `denied:${name}`));
      md(root, ["delete", "--force", id]);
    });
  }
});
