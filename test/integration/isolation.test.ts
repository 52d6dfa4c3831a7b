// Isolation seen from inside real containers: symlinked mount destinations stay in the rootfs,
// only stdio reaches the process, masked and read-only paths, linux.devices nodes, the lab
// bundle, and a failed bind that leaves nothing behind. Needs root (and busybox-static).
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { spawnSync } from "bun";
import { leftovers, makeBundle, makeRoot, md, processesMentioning, REPO, removeBundle, uniqueId } from "./lib.ts";

const root = makeRoot();
const bundles: string[] = [];
afterAll(() => {
  for (const b of bundles) removeBundle(b);
  rmSync(root, { recursive: true, force: true });
});

const lines = (text: string) => text.trim().split("\n");

function run(edit: Parameters<typeof makeBundle>[0], script: string, prepare?: (rootfs: string) => void) {
  const bundle = makeBundle(edit, ["sh", "-c", script]);
  bundles.push(bundle);
  prepare?.(`${bundle}/rootfs`);
  const id = uniqueId("iso");
  const result = md(root, ["run", "-b", bundle, id]);
  return { ...result, id, bundle };
}

describe("mount destinations through symlinks stay inside the rootfs", () => {
  test("absolute (/etc/evil -> /) and relative (../../..) links", () => {
    const host = mkdtempSync(`${tmpdir()}/md-host-target-`);
    writeFileSync(`${host}/marker`, "host");
    const r = run((s) => {
      s.mounts!.push(
        { destination: `/etc/evil${host}`, type: "tmpfs", source: "tmpfs", options: ["size=64k"] },
        { destination: "/etc/evil2/bound", type: "bind", source: "/etc/hostname", options: ["bind", "ro"] },
      );
    }, `grep -E ' (${host}|/tmp/bound) ' /proc/self/mountinfo | cut -d' ' -f5,9; ls ${host}`, (rootfs) => {
      symlinkSync("/", `${rootfs}/etc/evil`);
      symlinkSync("../../../../../../tmp", `${rootfs}/etc/evil2`);
    });
    try {
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      // inside: the tmpfs is on <rootfs>/<host path>, the bind on <rootfs>/tmp/bound
      const [tmpfsLine, bindLine] = r.stdout.split("\n");
      expect(tmpfsLine).toBe(`${host} tmpfs`);
      expect(bindLine).toMatch(/^\/tmp\/bound \S+$/);
      expect(existsSync(`${r.bundle}/rootfs${host}`)).toBe(true);
      expect(existsSync(`${r.bundle}/rootfs/tmp/bound`)).toBe(true);
      // the host: untouched, nothing mounted there
      expect(readdirSync(host)).toEqual(["marker"]);
      expect(readFileSync(`${host}/marker`, "utf8")).toBe("host");
      expect(existsSync("/tmp/bound")).toBe(false);
      expect(readFileSync("/proc/self/mountinfo", "utf8")).not.toContain(host);
    } finally {
      rmSync(host, { recursive: true, force: true });
    }
  }, 120_000);
});

describe("mount destinations resolved in the rootfs (secureJoin, fd walk, openat2 RESOLVE_IN_ROOT)", () => {
  test("a link to /../../../etc stays in the rootfs; dangling absolute links are created inside (dir and file)", () => {
    const marker = `md-escape-${process.pid}`;
    const r = run((s) => {
      s.mounts!.push(
        { destination: `/mnt/up/${marker}`, type: "tmpfs", source: "tmpfs", options: ["size=64k"] },
        { destination: "/mnt/dangling", type: "tmpfs", source: "tmpfs", options: ["size=64k"] },
        { destination: "/mnt/dangling-file", type: "bind", source: "/etc/hostname", options: ["bind", "ro"] },
      );
    }, `grep -E ' /(etc/${marker}|made/by/link|made/file) ' /proc/self/mountinfo | cut -d' ' -f5 | sort`, (rootfs) => {
      mkdirSync(`${rootfs}/mnt`, { recursive: true });
      symlinkSync("/../../../etc", `${rootfs}/mnt/up`);
      symlinkSync("/made/by/link", `${rootfs}/mnt/dangling`);
      symlinkSync("/made/file", `${rootfs}/mnt/dangling-file`);
    });
    expect(r.stderr).toBe("");
    expect(lines(r.stdout)).toEqual([`/etc/${marker}`, "/made/by/link", "/made/file"]);
    expect(existsSync(`/etc/${marker}`)).toBe(false);
    expect(existsSync("/made")).toBe(false);
    expect(lstatSync(`${r.bundle}/rootfs/made/file`).isFile()).toBe(true);
    expect(lstatSync(`${r.bundle}/rootfs/made/by/link`).isDirectory()).toBe(true);
  });

  test("an image whose /dev is a link out of the rootfs gets /dev/ptmx and the /dev links inside, not on the host", () => {
    const host = mkdtempSync(`${tmpdir()}/md-dev-host-`);
    try {
      // relative: inside the rootfs ".." stops at its root (<rootfs><host>), on the host it climbs to <host>
      const r = run(() => {}, "ls -l /dev/ptmx /dev/fd | sed 's/.* -> //'", (rootfs) => {
        rmSync(`${rootfs}/dev`, { recursive: true, force: true });
        symlinkSync(`../../../../../../../..${host}`, `${rootfs}/dev`);
      });
      expect(r.stderr).toBe("");
      expect(lines(r.stdout)).toEqual(["/proc/self/fd", "pts/ptmx"]);
      expect(readdirSync(host)).toEqual([]);
    } finally {
      rmSync(host, { recursive: true, force: true });
    }
  });

  test("a directory swapped for a link to a host directory while mounts are set up never reaches the host", async () => {
    const host = mkdtempSync(`${tmpdir()}/md-race-host-`);
    const bundle = makeBundle((s) => {
      // many mounts under the flipping directory: each is one more chance to hit the window
      for (let i = 0; i < 40; i++) s.mounts!.push({ destination: `/mnt/race/sub${i}/deeper`, type: "tmpfs", source: "tmpfs", options: ["size=64k"] });
      s.linux!.cgroupsPath = undefined;
    }, ["true"]);
    bundles.push(bundle);
    mkdirSync(`${bundle}/rootfs/mnt`, { recursive: true });
    // flip rootfs/mnt/race between a directory and a symlink to the host directory
    const flipper = Bun.spawn(["sh", "-c", `cd ${bundle}/rootfs/mnt; while :; do rm -rf race; mkdir race; rm -rf race; ln -s ${host} race; done 2>/dev/null`]);
    const outcomes = new Set<string>();
    try {
      for (let i = 0; i < 8; i++) {
        const r = md(root, ["run", "-b", bundle, uniqueId("race")]);
        outcomes.add(r.code === 0 ? "ran" : /possibly malicious|not a directory|ENOENT|EEXIST/.test(r.stderr) ? "refused" : r.stderr);
      }
    } finally {
      flipper.kill(9);
      await flipper.exited;
    }
    try {
      expect([...outcomes].filter((o) => o !== "ran" && o !== "refused")).toEqual([]);
      expect(readdirSync(host)).toEqual([]);
      expect(readFileSync("/proc/self/mountinfo", "utf8")).not.toContain(host);
    } finally {
      rmSync(host, { recursive: true, force: true });
    }
  }, 120_000);
});

test("/proc/self/fd of the container's process holds only 0, 1, 2", () => {
  // pid 1 is the shell (the `; true` keeps it from exec'ing ls); ls lists pid 1's fds
  const r = run(() => {}, "ls /proc/1/fd; true");
  expect(r.stderr).toBe("");
  expect(r.stdout.split("\n").filter(Boolean)).toEqual(["0", "1", "2"]);
});

describe("masked and read-only paths", () => {
  test("masked files read as /dev/null, masked directories are empty read-only tmpfs", () => {
    const r = run((s) => { s.linux!.maskedPaths!.push("/proc/kcore", "/proc/does-not-exist"); },
      "for f in /proc/keys /proc/timer_list; do stat -c '%n %t:%T' $f; wc -c < $f; done; " +
      "ls -A /proc/acpi | wc -l; touch /proc/acpi/x 2>&1; [ -e /proc/kcore ] && stat -c '%n %t:%T' /proc/kcore; true");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines.slice(0, 6)).toEqual(["/proc/keys 1:3", "0", "/proc/timer_list 1:3", "0", "0", "touch: /proc/acpi/x: Read-only file system"]);
    if (existsSync("/proc/kcore")) expect(lines[6]).toBe("/proc/kcore 1:3");
  });

  test("read-only paths refuse writes, even from root", () => {
    const r = run((s) => { s.process!.capabilities = undefined; s.linux!.readonlyPaths!.push("/proc/missing-is-skipped"); },
      "echo 1 > /proc/sys/net/ipv4/ip_forward; echo h > /proc/sysrq-trigger; grep -E ' /proc/(sys|bus|fs|irq) ' /proc/self/mountinfo | cut -d' ' -f5,6");
    expect(r.stderr).toContain("/proc/sys/net/ipv4/ip_forward: Read-only file system");
    expect(r.stdout.trim().split("\n").sort()).toEqual(["/proc/bus ro,relatime", "/proc/fs ro,relatime", "/proc/irq ro,relatime", "/proc/sys ro,relatime"]);
  });
});

test("linux.devices are created with their type, mode, owner and numbers", () => {
  const r = run((s) => {
    s.linux!.devices = [
      { path: "/dev/mynull", type: "c", major: 1, minor: 3, fileMode: 0o640, uid: 1000, gid: 5 },
      { path: "/dev/sub/dir/blk", type: "b", major: 7, minor: 300, fileMode: 0o600 },
      { path: "/dev/myfifo", type: "p", fileMode: 0o604 },
      { path: "/dev/zero", type: "c", major: 1, minor: 5, fileMode: 0o600 }, // overrides the default's mode
    ];
  }, "stat -c '%n %A %u:%g %t:%T' /dev/mynull /dev/sub/dir/blk /dev/myfifo /dev/zero /dev/null");
  expect(r.stderr).toBe("");
  expect(r.stdout.trim().split("\n")).toEqual([
    "/dev/mynull crw-r----- 1000:5 1:3",
    "/dev/sub/dir/blk brw------- 0:0 7:12c",
    "/dev/myfifo prw----r-- 0:0 0:0",
    "/dev/zero crw------- 0:0 1:5",
    "/dev/null crw-rw-rw- 0:0 1:3",
  ]);
});

test("the lab bundle: only CAP_NET_BIND_SERVICE, /proc/sys masked, 64M memory", () => {
  const id = uniqueId("lab");
  const r = md(root, ["run", "-b", `${REPO}/bundles/lab`, id]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(r.stdout.trim().split("\n")).toEqual([
    "CapInh:\t0000000000000400", "CapPrm:\t0000000000000400", "CapEff:\t0000000000000400",
    "CapBnd:\t0000000000000400", "CapAmb:\t0000000000000400", "NoNewPrivs:\t1", String(64 * 1024 * 1024), "0",
  ]);
});

describe("a bind source that does not exist", () => {
  test("fails naming the path and leaves no state, cgroup, mount or process", () => {
    const missing = `/nonexistent-${process.pid}/source`;
    const bundle = makeBundle((s) => {
      s.mounts!.push({ destination: "/mnt/x", type: "bind", source: missing, options: ["rbind"] });
      s.linux!.cgroupsPath = undefined;
    }, ["sh", "-c", "true"]);
    bundles.push(bundle);
    const id = uniqueId("missing-bind");
    const r = md(root, ["run", "-b", bundle, id]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`bind source \\"${missing}\\": ENOENT`); // escaped: a logrus line
    expect(r.stderr).toContain("mounts[7]");
    expect(leftovers(root, id)).toEqual([]);
    expect(processesMentioning(id)).toEqual([]);
    expect(readFileSync("/proc/self/mountinfo", "utf8")).not.toContain(`${bundle}/rootfs`);
    mkdirSync(`${root}/probe-dir-is-writable`); // the root itself stays usable
  });
});

describe("recursive mount attributes (mount_setattr AT_RECURSIVE), as runc", () => {
  // A host directory with a tmpfs submount, rbind-ed into the container.
  const withSubmount = (fn: (dir: string) => void) => {
    const dir = mkdtempSync(`${tmpdir()}/md-rec-`);
    mkdirSync(`${dir}/sub`);
    const mounted = spawnSync(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", `${dir}/sub`]);
    if (!mounted.success) throw new Error(`mount tmpfs: ${mounted.stderr}`);
    try { fn(dir); } finally {
      spawnSync(["umount", `${dir}/sub`]);
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const probe = "for d in /m /m/sub; do (: > $d/f) 2>/dev/null && echo \"$d rw\" || echo \"$d ro\"; done; " +
    "grep -E ' /m(/sub)? ' /proc/self/mountinfo | cut -d' ' -f5,6";

  test("rro makes the submounts of an rbind read-only; ro only the top; rnoatime sets the atime value", () => {
    withSubmount((dir) => {
      const cases: Array<[string[], string[]]> = [
        [["rbind", "rro"], ["/m ro", "/m/sub ro", "/m ro,relatime", "/m/sub ro,relatime"]],
        [["rbind", "ro"], ["/m ro", "/m/sub rw", "/m ro,relatime", "/m/sub rw,relatime"]],
        [["rbind", "rro", "rnoatime", "rnosuid"], ["/m ro", "/m/sub ro", "/m ro,nosuid,noatime", "/m/sub ro,nosuid,noatime"]],
      ];
      for (const [options, expected] of cases) {
        const r = run((s) => { s.mounts!.push({ destination: "/m", type: "bind", source: dir, options }); }, probe);
        expect(r.stderr).toBe("");
        expect(`${options}: ${lines(r.stdout).join(" | ")}`).toBe(`${options}: ${expected.join(" | ")}`);
      }
      expect(readdirSync(`${dir}/sub`)).toEqual(["f"]); // the ro-only case wrote through, on the host's tmpfs
    });
  });

  test("the same mountinfo under runc 1.1.5 for rro", () => {
    withSubmount((dir) => {
      const bundle = makeBundle((s) => {
        s.mounts!.push({ destination: "/m", type: "bind", source: dir, options: ["rbind", "rro"] });
        s.linux!.cgroupsPath = undefined;
      }, ["sh", "-c", probe]);
      bundles.push(bundle);
      const runc = spawnSync(["runc", "--root", `${root}/runc`, "run", "-b", bundle, uniqueId("rro-runc")], { stdin: "ignore" });
      expect(runc.stderr.toString()).toBe("");
      const ours = md(root, ["run", "-b", bundle, uniqueId("rro")]);
      expect(ours.stderr).toBe("");
      expect(ours.stdout).toBe(runc.stdout.toString());
    });
  });

  test("on a tmpfs (not a bind) rro is ignored with a warning, as runc ignores it", () => {
    const r = run((s) => { s.mounts!.push({ destination: "/m", type: "tmpfs", source: "tmpfs", options: ["rro"] }); },
      "(: > /m/f) && echo rw");
    expect(r.stdout).toBe("rw\n");
    expect(r.stderr).toContain('mounts[7].options[0]: \\"rro\\" applies to bind mounts only');
  });
});

test("the cgroup mount's propagation (rshared) reaches its tmpfs and every hierarchy, as under runc", () => {
  const bundle = makeBundle((s) => {
    const cgroup = s.mounts!.find((m) => m.type === "cgroup")!;
    cgroup.options = [...cgroup.options!, "rshared"];
    s.linux!.cgroupsPath = undefined;
  }, ["sh", "-c", "grep ' /sys/fs/cgroup' /proc/self/mountinfo | cut -d' ' -f5,6,7 | sort"]);
  bundles.push(bundle);
  const normalize = (text: string) => text.replace(/shared:\d+/g, "shared:N");
  const ours = md(root, ["run", "-b", bundle, uniqueId("cgprop")]);
  expect(ours.stderr).toBe("");
  expect(ours.stdout).toMatch(/^\/sys\/fs\/cgroup rw,nosuid,nodev,noexec,relatime shared:\d+$/m);
  const runc = spawnSync(["runc", "--root", `${root}/runc`, "run", "-b", bundle, uniqueId("cgprop-runc")], { stdin: "ignore" });
  expect(runc.stderr.toString()).toBe("");
  expect(normalize(ours.stdout)).toBe(normalize(runc.stdout.toString()));
});
