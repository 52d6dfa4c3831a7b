// The container's root filesystem seen from inside, beside runc 1.1.5 on the same bundle:
// rootfsPropagation, bundles reached through symlinks, proc/sysfs destinations, --no-pivot.
// Needs root (and busybox-static).
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { spawnSync } from "bun";
import type { Spec } from "../../src/spec/types.ts";
import { BIN, makeBundle, makeRoot, md, removeBundle, uniqueId } from "./lib.ts";

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

/** runc 1.1.5 on the same bundle; output through files, as md(): a detached container keeps pipes open. */
function runc(args: string[]) {
  return md(`${root}/runc`, args, { env: {}, bin: "runc" });
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

describe("a bundle and a --root reached through symlinks (/var/run -> /run is common)", () => {
  // <tmp>/real/b is the bundle, <tmp>/link -> real; state under <tmp>/link/state
  function linkedBundle(script: string, edit: Parameters<typeof makeBundle>[0] = () => {}) {
    const bundle = bundleOf(edit, script);
    const top = mkdtempSync(`${tmpdir()}/md-linked-`);
    bundles.push(top);
    mkdirSync(`${top}/real/state`, { recursive: true });
    renameSync(bundle, `${top}/real/b`);
    symlinkSync("real", `${top}/link`);
    return { top, real: `${top}/real/b`, viaLink: `${top}/link/b`, stateViaLink: `${top}/link/state` };
  }

  test("run -b <link>/b mounts everything; state names the canonical bundle and rootfs, as runc's", () => {
    const b = linkedBundle("sleep 30");
    const id = uniqueId("linked");
    const ours = md(b.stateViaLink, ["run", "-d", "-b", b.viaLink, id]);
    expect(ours.stderr).toBe("");
    expect(ours.code).toBe(0);
    const state = JSON.parse(md(b.stateViaLink, ["state", id]).stdout);
    expect([state.bundle, state.rootfs]).toEqual([b.real, `${b.real}/rootfs`]);
    // --root through the link: exec, list and delete find the container
    expect(md(b.stateViaLink, ["exec", id, "sh", "-c", "grep -c ' /proc ' /proc/self/mountinfo"]).stdout).toBe("1\n");
    expect(md(b.stateViaLink, ["list", "-q"]).stdout).toBe(`${id}\n`);
    expect(md(b.stateViaLink, ["delete", "-f", id]).code).toBe(0);
    expect(readdirSync(`${b.top}/real/state`)).toEqual([]);

    const runcId = uniqueId("linked-runc");
    expect(runc(["run", "-d", "-b", b.viaLink, runcId]).stderr).toBe("");
    const theirs = JSON.parse(runc(["state", runcId]).stdout);
    runc(["delete", "-f", runcId]);
    expect([theirs.bundle, theirs.rootfs]).toEqual([state.bundle, state.rootfs]);
  });

  test("a relative bind source is taken in the (canonical) bundle, not the caller's cwd, as runc", () => {
    const b = linkedBundle("cat /data/marker", (s) => {
      s.mounts!.push({ destination: "/data", type: "bind", source: "data", options: ["rbind", "ro"] });
    });
    mkdirSync(`${b.real}/data`);
    writeFileSync(`${b.real}/data/marker`, "in the bundle\n");
    const ours = spawnSync([BIN, "--root", root, "run", "-b", b.real, uniqueId("relsrc")], { cwd: "/", stdin: "ignore" });
    expect(ours.stderr.toString()).toBe("");
    expect(ours.stdout.toString()).toBe("in the bundle\n");
    const theirs = spawnSync(["runc", "--root", `${root}/runc`, "run", "-b", b.real, uniqueId("relsrc-runc")], { cwd: "/", stdin: "ignore" });
    expect(theirs.stdout.toString()).toBe("in the bundle\n");
  });
});

describe("proc and sysfs only on an ordinary directory, never through a symlink (runc)", () => {
  const cases: Array<[string, string, string]> = [
    ["proc", "/symlink", "a link to a missing path"],
    ["proc", "/etc", "a link to a directory"],
    ["sys", "/tmp", "a link to a directory"],
  ];
  for (const [dir, target, what] of cases)
    test(`rootfs/${dir} is ${what} (${target}): refused like runc, no state left`, () => {
      const bundle = bundleOf(() => {}, "true");
      rmSync(`${bundle}/rootfs/${dir}`, { recursive: true, force: true });
      symlinkSync(target, `${bundle}/rootfs/${dir}`);
      const type = dir === "proc" ? "proc" : "sysfs";
      const id = uniqueId("procsym");
      const ours = md(root, ["run", "-b", bundle, id]);
      expect(ours.stderr).toContain(`filesystem \\"${type}\\" must be mounted on ordinary directory`);
      expect(ours.code).toBe(1);
      expect(readdirSync(root)).not.toContain(id);
      const theirs = runc(["run", "-b", bundle, uniqueId("procsym-runc")]);
      expect(theirs.stderr).toContain(`filesystem \\"${type}\\" must be mounted on ordinary directory`);
      expect(theirs.code).toBe(1);
    });
});

describe("fields minidocker does not apply are refused by name, never silently ignored", () => {
  const cases: Array<[string, (s: Spec) => void, string]> = [
    ["linux.netDevices", (s) => { s.linux!.netDevices = { lo: { name: "lo2" } }; }, "linux.netDevices: not supported by minidocker"],
    ["linux.intelRdt", (s) => { s.linux!.intelRdt = { closID: "md-test" }; }, "linux.intelRdt: not supported by minidocker"],
    ["mounts[].uidMappings", (s) => {
      s.mounts!.push({ destination: "/m", type: "bind", source: "/tmp", options: ["rbind"],
        uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }], gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }] });
    }, "mounts[7].uidMappings: an idmapped mount needs the container's user namespace (linux.namespaces has none): other mappings are not supported by minidocker"],
    ["mounts[].uidMappings other than the container's", (s) => {
      s.linux!.namespaces!.push({ type: "user" });
      s.linux!.uidMappings = s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.mounts!.push({ destination: "/m", type: "bind", source: "/tmp", options: ["rbind"],
        uidMappings: [{ containerID: 0, hostID: 200000, size: 65536 }], gidMappings: [{ containerID: 0, hostID: 200000, size: 65536 }] });
    }, "mounts[7].uidMappings: only the container's own mappings (linux.uidMappings/gidMappings) are supported for idmapped mounts; others are not supported by minidocker"],
    ["mounts[].options idmap", (s) => { s.mounts!.push({ destination: "/m", type: "bind", source: "/tmp", options: ["rbind", "idmap"] }); },
      "mounts[7].options: an idmapped mount needs the container's user namespace (linux.namespaces has none): other mappings are not supported by minidocker"],
  ];
  for (const [field, edit, message] of cases)
    test(field, () => {
      const bundle = bundleOf(edit, "true");
      const id = uniqueId("unsupported");
      const r = md(root, ["run", "-b", bundle, id]);
      expect(r.stderr).toContain(`config.json: ${message}`);
      expect(r.code).toBe(1);
      expect(readdirSync(root)).not.toContain(id);
    });
});

describe("--no-pivot keeps the host's proc and sysfs out of reach (runc's msMoveRoot)", () => {
  // a nested user namespace may mount procfs only while a full, uncovered one is visible (mount_too_revealing)
  const probe = `unshare -mrpf sh -c "mount -t proc none /proc && echo PROC-MOUNTED"; grep -c ' /proc ' /proc/self/mountinfo`;
  const withUnshareCaps = (s: Spec) => {
    const caps = s.process!.capabilities!;
    for (const set of ["bounding", "effective", "permitted"] as const) caps[set] = [...caps[set]!, "CAP_SETUID", "CAP_SETGID", "CAP_SETFCAP"];
  };

  test("a nested user namespace cannot mount a fresh procfs; the container's own /proc is there", () => {
    const bundle = bundleOf(withUnshareCaps, probe);
    const ours = md(root, ["run", "--no-pivot", "-b", bundle, uniqueId("nopivot")]);
    expect(ours.stderr).toContain("mount: permission denied");
    expect(ours.stdout).toBe("1\n");
    expect(ours.code).toBe(0);
    const theirs = runc(["run", "--no-pivot", "-b", bundle, uniqueId("nopivot-runc")]);
    expect(theirs.stdout).toBe(ours.stdout);
    expect(theirs.stderr).toBe(ours.stderr);
  });

  test("rootfsPropagation [r]private with --no-pivot is refused, as runc", () => {
    for (const propagation of ["private", "rprivate"]) {
      const bundle = bundleOf((s) => { s.linux!.rootfsPropagation = propagation; }, "true");
      const ours = md(root, ["run", "--no-pivot", "-b", bundle, uniqueId("nopivot-prop")]);
      expect(ours.stderr).toContain(`linux.rootfsPropagation: \\"${propagation}\\" is not safe without pivot_root`);
      expect(ours.code).toBe(1);
      expect(runc(["run", "--no-pivot", "-b", bundle, uniqueId("nopivot-prop-runc")]).stderr).toContain("rootfsPropagation of [r]private is not safe without pivot_root");
    }
  });
});

describe("user namespace: bind sources the container's root cannot reach (opened before it, as runc)", () => {
  test("a 0700 host-root directory (bind and rbind) and a file inside it are mounted; the container sees them unmapped", () => {
    const secret = mkdtempSync(`${tmpdir()}/md-secret-`);
    bundles.push(secret);
    mkdirSync(`${secret}/dir`);
    writeFileSync(`${secret}/dir/file`, "host only\n");
    chmodSync(secret, 0o700); // host uid 100000 (the container's root) cannot even look inside
    const bundle = bundleOf((s) => {
      s.linux!.namespaces!.push({ type: "user" });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.mounts!.push(
        { destination: "/bound", type: "bind", source: `${secret}/dir`, options: ["bind", "ro"] },
        { destination: "/rbound", type: "bind", source: secret, options: ["rbind"] },
        { destination: "/file", type: "bind", source: `${secret}/dir/file`, options: ["bind"] },
      );
    }, "stat -c '%n %u %F' /bound /rbound /file; grep -E ' /(bound|rbound|file) ' /proc/self/mountinfo | cut -d' ' -f5,6 | sed 's/,.*//'");
    // the mount points exist: the image belongs to the host's root too
    mkdirSync(`${bundle}/rootfs/bound`);
    mkdirSync(`${bundle}/rootfs/rbound`);
    writeFileSync(`${bundle}/rootfs/file`, "");
    const expected = "/bound 65534 directory\n/rbound 65534 directory\n/file 65534 regular file\n/bound ro\n/rbound rw\n/file rw\n";
    const ours = md(root, ["run", "-b", bundle, uniqueId("userns-src")]);
    expect(ours.stderr).toBe("");
    expect(ours.stdout).toBe(expected);
    const theirs = runc(["run", "-b", bundle, uniqueId("userns-src-runc")]);
    expect(theirs.stderr).toBe("");
    expect(theirs.stdout).toBe(expected);
  });
});

describe("idmapped mounts (mount_setattr MOUNT_ATTR_IDMAP) through the container's user namespace", () => {
  test("idmap: files of the host's root are the container's root's, writes land as the host's root; a plain bind shows them unmapped", () => {
    const dir = mkdtempSync(`${tmpdir()}/md-idmap-`);
    bundles.push(dir);
    chmodSync(dir, 0o755);
    mkdirSync(`${dir}/sub`);
    writeFileSync(`${dir}/f`, "host\n");
    const mapping = [{ containerID: 0, hostID: 100000, size: 65536 }];
    const bundle = bundleOf((s) => {
      s.linux!.namespaces!.push({ type: "user" });
      s.linux!.uidMappings = mapping;
      s.linux!.gidMappings = mapping;
      s.mounts!.push(
        { destination: "/idm", type: "bind", source: dir, options: ["rbind", "idmap"] },
        { destination: "/explicit", type: "bind", source: dir, options: ["bind"], uidMappings: mapping, gidMappings: mapping },
        { destination: "/plain", type: "bind", source: dir, options: ["rbind"] },
      );
    }, "stat -c '%n %u:%g' /idm/f /explicit/f /plain/f; echo new > /idm/made && echo wrote; " +
      "grep -E ' /(idm|explicit|plain) ' /proc/self/mountinfo | cut -d' ' -f5,6 | sed 's/rw,relatime,\\?//'");
    for (const d of ["idm", "explicit", "plain"]) mkdirSync(`${bundle}/rootfs/${d}`);
    const ours = md(root, ["run", "-b", bundle, uniqueId("idmap")]);
    expect(ours.stderr).toBe("");
    expect(ours.stdout).toBe("/idm/f 0:0\n/explicit/f 0:0\n/plain/f 65534:65534\nwrote\n/idm idmapped\n/explicit idmapped\n/plain \n");
    expect(statSync(`${dir}/made`).uid).toBe(0);
  });
});
