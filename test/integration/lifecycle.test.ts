// The runc lifecycle end to end with real containers: create → created (process not yet run) →
// start → running → exit → stopped → delete leaves nothing; run's exit codes; kill; delete --force;
// what the container sees (PID 1, hostname, mounts, ids, env, cwd); user and joined namespaces.
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, chownSync, copyFileSync, existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import type { Spec } from "../../src/spec/types.ts";
import { BIN, leftovers, makeBundle, makeRoot, md, removeBundle, uniqueId } from "./lib.ts";

const root = makeRoot();
const bundles: string[] = [];
const bundle = (...a: Parameters<typeof makeBundle>) => {
  const b = makeBundle(...a);
  bundles.push(b);
  return b;
};
afterAll(() => {
  // a failed test must not leave containers running: delete whatever is under our root
  for (const id of md(root, ["list", "-q"]).stdout.split("\n").filter(Boolean)) md(root, ["delete", "--force", id]);
  for (const b of bundles) removeBundle(b);
  rmSync(root, { recursive: true, force: true });
});

// runc's default spec has a read-only root; tests that leave marks in the rootfs need it writable
const writable = (s: Spec) => { s.root!.readonly = false; };
const state = (id: string) => JSON.parse(md(root, ["state", id]).stdout);
const waitFor = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await Bun.sleep(20);
  return cond();
};

describe("lifecycle", () => {
  test("create → created, the process has not run; start → running → stopped; delete removes everything", async () => {
    const b = bundle(writable, ["sh", "-c", "touch /ran; sleep 0.5"]);
    const id = uniqueId("life");
    const created = md(root, ["create", "--bundle", b, id]);
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    const s1 = state(id);
    expect(s1.status).toBe("created");
    expect(s1.pid).toBeGreaterThan(0);
    expect(s1.id).toBe(id);
    expect(s1.bundle).toBe(b);
    expect(existsSync(`/proc/${s1.pid}`)).toBe(true);
    await Bun.sleep(200);
    expect(existsSync(`${b}/rootfs/ran`)).toBe(false); // not before start
    expect(md(root, ["start", id]).code).toBe(0);
    expect(state(id).status).toBe("running");
    expect(await waitFor(() => existsSync(`${b}/rootfs/ran`))).toBe(true);
    expect(await waitFor(() => state(id).status === "stopped")).toBe(true);
    expect(state(id).pid).toBe(0);
    expect(md(root, ["start", id]).stderr).toContain("cannot start a container that has stopped");
    expect(md(root, ["delete", id]).code).toBe(0);
    expect(leftovers(root, id)).toEqual([]);
    const gone = md(root, ["state", id]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`container ${id} does not exist`);
  });

  test("run returns the container's exit code, 128+N when killed by signal N", () => {
    // Signals to PID 1 from inside its own pid namespace are ignored (as under runc): share the host's.
    const noPidns = (s: Spec) => { s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== "pid"); };
    for (const [script, code] of [["exit 0", 0], ["exit 3", 3], ["exit 255", 255], ["kill -9 $$", 137], ["kill -15 $$", 143]] as const) {
      const id = uniqueId("code");
      const r = md(root, ["run", "-b", bundle(noPidns, ["sh", "-c", script]), id]);
      expect(r.code).toBe(code);
      expect(leftovers(root, id)).toEqual([]);
    }
  });

  test("the container sees PID 1, its hostname, its root, ids, env and cwd", () => {
    const b = bundle((s) => {
      s.hostname = "inside";
      s.process!.env = ["PATH=/bin", "FOO=bar baz"];
      s.process!.cwd = "/tmp";
      s.process!.user = { uid: 1000, gid: 1000, additionalGids: [10, 20] };
    }, ["sh", "-c", "echo pid=$$; hostname; pwd; id; echo FOO=$FOO; echo HOME=$HOME; echo /*"]);
    const r = md(root, ["run", "-b", b, uniqueId("see")]);
    expect(r.stderr).toBe("");
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toBe("pid=1");
    expect(lines[1]).toBe("inside");
    expect(lines[2]).toBe("/tmp");
    expect(lines[3]).toBe("uid=1000(user) gid=1000(user) groups=10,20");
    expect(lines[4]).toBe("FOO=bar baz");
    expect(lines[5]).toBe("HOME=/home/user");
    expect(lines[6]).toBe("/bin /dev /etc /home /proc /root /sbin /sys /tmp /usr");
  });

  test("the mount table is the container's: proc, dev, devpts, shm, mqueue, sysfs, no host mounts", () => {
    const r = md(root, ["run", "-b", bundle(undefined, ["sh", "-c", "cat /proc/self/mountinfo"]), uniqueId("mnt")]);
    const mounts = r.stdout.trim().split("\n").map((l) => {
      const f = l.split(" ");
      return `${f[4]} ${f[f.indexOf("-") + 1]}`;
    });
    expect(mounts[0]).toMatch(/^\/ /);
    for (const m of ["/proc proc", "/dev tmpfs", "/dev/pts devpts", "/dev/shm tmpfs", "/dev/mqueue mqueue", "/sys sysfs"])
      expect(mounts).toContain(m);
    expect(mounts.some((m) => m.startsWith("/work") || m.startsWith("/run/minidocker"))).toBe(false);
  });

  test("kill delivers the signal; kill on a stopped container fails; delete --force kills a running one", async () => {
    const id = uniqueId("kill");
    const b = bundle(writable, ["sh", "-c", "trap 'touch /got-usr1' USR1; while :; do sleep 0.05; done"]);
    expect(md(root, ["run", "-d", "-b", b, id]).code).toBe(0);
    expect(state(id).status).toBe("running");
    expect(md(root, ["kill", id, "USR1"]).code).toBe(0);
    expect(await waitFor(() => existsSync(`${b}/rootfs/got-usr1`))).toBe(true);
    expect(md(root, ["delete", id]).stderr).toContain(`cannot delete container ${id} that is not stopped: running`);
    expect(md(root, ["kill", id, "9"]).code).toBe(0);
    expect(await waitFor(() => state(id).status === "stopped")).toBe(true);
    expect(md(root, ["kill", id, "KILL"]).stderr).toContain("container not running");
    expect(md(root, ["delete", id]).code).toBe(0);

    const id2 = uniqueId("force");
    expect(md(root, ["run", "--detach", "-b", bundle(undefined, ["sleep", "100"]), id2]).code).toBe(0);
    const pid = state(id2).pid;
    expect(md(root, ["delete", "--force", id2]).code).toBe(0);
    expect(existsSync(`/proc/${pid}/stat`) && !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ")).toBe(false);
    expect(leftovers(root, id2)).toEqual([]);
  });

  test("delete of a created container removes it; delete --force of a missing one succeeds", () => {
    const id = uniqueId("cdel");
    expect(md(root, ["create", "-b", bundle(), id]).code).toBe(0);
    const pid = state(id).pid;
    expect(md(root, ["delete", id]).code).toBe(0);
    expect(existsSync(`/proc/${pid}/cmdline`) && readFileSync(`/proc/${pid}/cmdline`, "utf8").length > 0).toBe(false);
    expect(leftovers(root, id)).toEqual([]);
    expect(md(root, ["delete", "--force", "never-existed"]).code).toBe(0);
    expect(md(root, ["delete", "never-existed"]).stderr).toContain("container never-existed does not exist");
  });

  test("a duplicate id is refused and the first container is unharmed", () => {
    const id = uniqueId("dup");
    const b = bundle();
    expect(md(root, ["create", "-b", b, id]).code).toBe(0);
    const again = md(root, ["create", "-b", b, id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("already exists");
    expect(state(id).status).toBe("created");
    expect(md(root, ["delete", "--force", id]).code).toBe(0);
  });

  test("list shows containers in table and json; --pid-file holds the init pid", () => {
    const id = uniqueId("list");
    const pidFile = `${root}/${id}.pid`;
    expect(md(root, ["create", "-b", bundle(), "--pid-file", pidFile, id]).code).toBe(0);
    expect(Number(readFileSync(pidFile, "utf8"))).toBe(state(id).pid);
    const table = md(root, ["list"]).stdout;
    expect(table).toMatch(new RegExp(`^${id}\\s+\\d+\\s+created`, "m"));
    const json = JSON.parse(md(root, ["list", "--format", "json"]).stdout);
    expect(json.find((c: { id: string }) => c.id === id)?.status).toBe("created");
    expect(md(root, ["list", "-q"]).stdout.split("\n")).toContain(id);
    expect(md(root, ["delete", "-f", id]).code).toBe(0);
    rmSync(pidFile, { force: true });
  });
});

describe("namespaces", () => {
  test("a user-namespace container runs and sees its mapping 0→100000 (65536)", () => {
    const b = bundle((s) => {
      s.linux!.namespaces!.push({ type: "user" });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    }, ["sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; id -u"]);
    const r = md(root, ["run", "-b", b, uniqueId("userns")]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n").map((l) => l.trim().split(/\s+/).join(" "));
    expect(lines).toEqual(["0 100000 65536", "0 100000 65536", "0"]);
  });

  test("time namespace with offsets, and a cgroup namespace rooted at the container's cgroup", () => {
    const b = bundle((s) => {
      s.linux!.namespaces!.push({ type: "time" }, { type: "cgroup" });
      s.linux!.timeOffsets = { boottime: { secs: 86400 * 30, nanosecs: 0 }, monotonic: { secs: 86400 * 30, nanosecs: 0 } };
    }, ["sh", "-c", "cut -d' ' -f1 /proc/uptime; readlink /proc/self/ns/time; grep -c ':/$' /proc/self/cgroup; wc -l < /proc/self/cgroup"]);
    const r = md(root, ["run", "-b", b, uniqueId("timens")]);
    expect(r.stderr).toBe("");
    const [uptime, timeNs, rootPaths, allPaths] = r.stdout.trim().split("\n");
    const hostUptime = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
    expect(Number(uptime) - hostUptime).toBeGreaterThan(86400 * 30 - 60);
    expect(timeNs).not.toBe(readlinkSync("/proc/self/ns/time"));
    expect(rootPaths!.trim()).toBe(allPaths!.trim()); // every hierarchy shows "/" inside
  });

  test("--no-pivot: chroot instead of pivot_root still gives the container its root", () => {
    const r = md(root, ["run", "--no-pivot", "-b", bundle(undefined, ["sh", "-c", "echo /*"]), uniqueId("nopivot")]);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("/bin /dev /etc /home /proc /root /sbin /sys /tmp /usr");
  });

  test("joining a network namespace by path: the container sees that namespace's interface", () => {
    const ns = `md-test-${process.pid}`;
    const add = Bun.spawnSync(["ip", "netns", "add", ns]);
    expect(add.success).toBe(true);
    try {
      const inode = statSync(`/run/netns/${ns}`).ino;
      const b = bundle((s) => {
        s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === "network" ? { type: "network", path: `/run/netns/${ns}` } : n));
      }, ["sh", "-c", "readlink /proc/self/ns/net"]);
      const r = md(root, ["run", "-b", b, uniqueId("netns")]);
      expect(r.stderr).toBe("");
      expect(r.stdout.trim()).toBe(`net:[${inode}]`);
    } finally {
      Bun.spawnSync(["ip", "netns", "delete", ns]);
    }
  });

  test("a namespace path of another type (network → a uts namespace): one line naming it, nothing joined or left", () => {
    let index = -1;
    const b = bundle((s) => {
      index = s.linux!.namespaces!.findIndex((n) => n.type === "network");
      s.linux!.namespaces![index] = { type: "network", path: "/proc/self/ns/uts" };
    });
    const id = uniqueId("nstype");
    const r = md(root, ["run", "-b", b, id]);
    expect(r.code).toBe(1);
    const errors = r.stderr.trim().split("\n").filter((l) => l.includes("level=error"));
    expect(errors.length).toBe(1);
    // setns with the type refuses it (before: setns(fd, 0) joined the host's uts namespace, and the
    // container ran in the host's network namespace)
    expect(errors[0]).toContain(`linux.namespaces[${index}] (network): setns \\"/proc/self/ns/uts\\": EINVAL (Invalid argument)`);
    expect(r.stdout).toBe("");
    expect(leftovers(root, id)).toEqual([]);
  });
});

describe("bad input leaves nothing behind", () => {
  test("a malformed config names the field, exits non-zero, leaves no state, cgroup, mount or process", () => {
    const cases: Array<[(s: Record<string, any>) => void, string]> = [
      [(s) => s.linux.namespaces.push({ type: "pid" }), 'linux.namespaces[5].type: duplicate \\"pid\\"'],
      [(s) => (s.process.args = "sh"), "process.args"],
      [(s) => (s.mounts[0].destination = "relative"), "mounts[0].destination"],
      [(s) => (s.linux.cgroupsPath = "/a/../../etc"), "linux.cgroupsPath"],
      [(s) => s.linux.namespaces.push({ type: "user" }), "linux.uidMappings"],
      // this host has neither AppArmor nor SELinux: refused, never run unconfined
      [(s) => (s.process.apparmorProfile = "docker-default"), "process.apparmorProfile"],
      [(s) => (s.process.selinuxLabel = "system_u:system_r:container_t:s0"), "process.selinuxLabel"],
    ];
    for (const [edit, expected] of cases) {
      const id = uniqueId("bad");
      const b = bundle();
      const spec = JSON.parse(readFileSync(`${b}/config.json`, "utf8"));
      edit(spec);
      writeFileSync(`${b}/config.json`, JSON.stringify(spec));
      const r = md(root, ["run", "-b", b, id]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(expected);
      expect(r.stderr.trim().split("\n").filter((l) => l.includes("level=error")).length).toBe(1);
      expect(leftovers(root, id)).toEqual([]);
    }
  });

  test("a failure during setup (missing bind source) names it and leaves nothing", () => {
    const id = uniqueId("setup");
    const b = bundle((s) => s.mounts!.push({ destination: "/data", type: "bind", source: "/nonexistent/src", options: ["bind"] }));
    const r = md(root, ["run", "-b", b, id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("/nonexistent/src");
    expect(leftovers(root, id)).toEqual([]);
  });

  test("a missing bundle and an unknown command are clear errors", () => {
    expect(md(root, ["run", "-b", "/nonexistent", "x"]).stderr).toContain("cannot read config.json");
    expect(md(root, ["frobnicate"]).stderr).toContain("unknown command \\\"frobnicate\\\"");
    expect(md(root, ["create", "-b", bundle(), "bad/id"]).stderr).toContain("invalid container id");
  });
});

describe("every failure of the clone helper reaches the user as its own line", () => {
  const userns = (first: number) => (s: Spec) => {
    s.linux!.namespaces!.push({ type: "user" });
    s.linux!.uidMappings = [{ containerID: first, hostID: 100000, size: 65536 }];
    s.linux!.gidMappings = [{ containerID: first, hostID: 100000, size: 65536 }];
    s.process!.user = { uid: first, gid: first };
  };
  const oneError = (r: { code: number; stderr: string; stdout: string }, code = 1) => {
    expect(r.code).toBe(code);
    expect(r.stdout).toBe("");
    const errors = r.stderr.trim().split("\n").filter((l) => l.includes("level=error"));
    expect(errors.length).toBe(1);
    return errors[0]!;
  };

  test("a user namespace that maps no uid/gid 0: the helper cannot become root there, and says so", () => {
    const id = uniqueId("noroot");
    const r = md(root, ["run", "-b", bundle(userns(1000), ["id"]), id]);
    // before: ignored, and init failed later with an unrelated `ioctl "SIOCSIFFLAGS lo": EPERM`
    expect(oneError(r)).toContain("become root in the user namespace: setresgid(0): EINVAL (Invalid argument)");
    expect(leftovers(root, id)).toEqual([]);
  });

  test("a runtime binary only host root may run (mode 0700), in a user namespace: the container runs, as under runc", () => {
    const dir = mkdtempSync(`${tmpdir()}/md-bin-`);
    try {
      copyFileSync(BIN, `${dir}/minidocker`);
      chmodSync(`${dir}/minidocker`, 0o700); // the user namespace's root (host uid 100000) may not execute it
      const id = uniqueId("noexec");
      const p = Bun.spawnSync([`${dir}/minidocker`, "--root", root, "run", "-b", bundle(userns(0), ["id", "-u"]), id]);
      // 08fed13 executed init inside the user namespace: `sendmsg "9": EPIPE`, then (with the
      // error reported) `execve init: EACCES`. Now init is executed by the host's root and enters
      // the user namespace before Bun starts (helper.c md_nsenter), as runc's nsexec does.
      expect(p.stderr.toString()).toBe("");
      expect(p.stdout.toString()).toBe("0\n");
      expect(leftovers(root, id)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("exec into a container that unmounted /proc: init (which starts in the container) says so in one line, after its pid was known", async () => {
    const caps = ["CAP_SYS_ADMIN", "CAP_SETUID", "CAP_SETGID", "CAP_KILL"];
    const b = bundle((s) => {
      userns(0)(s);
      s.process!.capabilities = { bounding: caps, effective: caps, permitted: caps };
      s.root!.readonly = false;
    }, ["sh", "-c", "umount -l /proc && touch /unmounted && sleep 100"]);
    chownSync(`${b}/rootfs`, 100000, 100000);
    const id = uniqueId("noproc");
    expect(md(root, ["run", "-d", "-b", b, id]).stderr).toBe("");
    try {
      expect(await waitFor(() => existsSync(`${b}/rootfs/unmounted`))).toBe(true);
      const r = md(root, ["exec", id, "echo", "ran"]);
      // runc 1.1.5 fails too: "error closing exec fds: open /proc/self/fd: no such file or directory"
      expect(oneError(r, 255)).toContain("init starts in the container: open /proc/self/maps (is /proc mounted?): ENOENT"); // exec: 255, as runc
      expect(md(root, ["ps", id]).stdout.trim().split("\n").length).toBe(2); // the header and sleep: nothing of the exec left
    } finally {
      md(root, ["delete", "--force", id]);
    }
  });
});
