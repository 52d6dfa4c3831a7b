// The 2025 runc advisories, tried from an image or volume the way an attacker would, against
// the compiled runtime. runc 1.1.5's behaviour on the same bundles is in docs/differences.md.
// Needs root (and busybox-static).
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { spawnSync } from "bun";
import type { Spec } from "../../src/spec/types.ts";
import { makeBundle, makeRoot, md, REPO, removeBundle, uniqueId } from "./lib.ts";

const root = makeRoot();
const bundles: string[] = [];
afterAll(() => {
  for (const b of bundles) removeBundle(b);
  rmSync(root, { recursive: true, force: true });
});

function attack(edit: (s: Spec, bundle: string) => void, script: string, prepare: (bundle: string) => void) {
  let bundleDir = "";
  const bundle = makeBundle((s) => { s.linux!.cgroupsPath = undefined; }, ["sh", "-c", script]);
  bundleDir = bundle;
  bundles.push(bundle);
  prepare(bundle);
  const spec = JSON.parse(readFileSync(`${bundle}/config.json`, "utf8")) as Spec;
  edit(spec, bundleDir);
  writeFileSync(`${bundle}/config.json`, JSON.stringify(spec));
  const id = uniqueId("attack");
  return { ...md(root, ["run", "-b", bundle, id]), id, bundle };
}

/** /dev bound from a directory of the bundle (a volume the container's owner fills), devpts and co. inside. */
function devFromVolume(s: Spec, bundle: string) {
  const dev = s.mounts!.findIndex((m) => m.destination === "/dev");
  s.mounts![dev] = { destination: "/dev", type: "bind", source: `${bundle}/devdir`, options: ["rbind"] };
}
const makeDevDir = (bundle: string, nullTarget: string) => {
  for (const d of ["pts", "shm", "mqueue"]) mkdirSync(`${bundle}/devdir/${d}`, { recursive: true });
  symlinkSync(nullTarget, `${bundle}/devdir/null`);
};

describe("CVE-2025-31133: masked paths are masked with the null device only", () => {
  test("a /dev/null that is a link to /proc/sys/kernel/core_pattern is refused, never bound onto a masked path", () => {
    const r = attack((s, b) => { devFromVolume(s, b); s.linux!.maskedPaths = ["/proc/timer_list"]; },
      "grep ' /proc/timer_list ' /proc/self/mountinfo | cut -d' ' -f4,6,9", (b) => makeDevDir(b, "/proc/sys/kernel/core_pattern"));
    // runc 1.1.5 runs it: /proc/timer_list becomes "/sys/kernel/core_pattern rw proc", a writable core_pattern
    expect(r.stdout).not.toContain("core_pattern");
    expect(r.stderr).toContain(`\\"/dev/null\\" is not the null device (char 1:3) but \\"/proc/sys/kernel/core_pattern\\"`);
    expect(r.code).toBe(1);
  });

  test("a missing /dev/null fails the masking instead of skipping it", () => {
    const r = attack((s, b) => { devFromVolume(s, b); s.linux!.maskedPaths = ["/proc/timer_list"]; },
      "cat /proc/timer_list | head -c 20", (b) => makeDevDir(b, "/nonexistent"));
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("masked path");
    expect(r.code).toBe(1);
  });
});

describe("CVE-2025-52881: no mount lands inside /proc or /sys through a symlink of the image", () => {
  const cases: Array<[string, string, string]> = [
    ["tmpfs", "/data", "/proc/sys"],
    ["tmpfs", "/data", "../../proc/sys/kernel"],
    ["tmpfs", "/vol", "/sys/kernel"],
    ["mqueue", "/mq", "/proc/sys/fs"],
    ["bind", "/etc/conf.d", "/proc/sys/kernel"],
  ];
  for (const [type, destination, link] of cases)
    test(`${type} on ${destination} -> ${link}: refused`, () => {
      const r = attack((s) => {
        s.mounts!.push(type === "bind"
          ? { destination, type, source: "/etc/hostname", options: ["bind"] }
          : { destination, type, source: type });
      }, "grep -E ' /(proc|sys)/' /proc/self/mountinfo | cut -d' ' -f5,9", (b) => {
        mkdirSync(`${b}/rootfs${destination.replace(/\/[^/]*$/, "")}`, { recursive: true });
        symlinkSync(link, `${b}/rootfs${destination}`);
      });
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(/through a symlink; refusing to mount inside \/proc or \/sys|cannot be mounted because it is inside \/proc/);
      expect(r.code).toBe(1);
    });

  test("the same destinations the config itself puts under /sys still work (/sys/fs/cgroup)", () => {
    const r = attack(() => {}, "grep -c ' /sys/fs/cgroup ' /proc/self/mountinfo", () => {});
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("1\n");
  });
});

describe("CVE-2025-52881: sysctl writes reach the real /proc file, whatever is mounted over it", () => {
  test("a bind over /proc/sys/kernel/domainname neither receives the write nor hides it", () => {
    const dir = `${root}/procwrite`;
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/decoy`, "decoy\n");
    writeFileSync(`${dir}/write.ts`, `import { writeProcFile } from "${REPO}/src/sys/procfs.ts";
writeProcFile("sys/kernel/domainname", "md-written");`);
    // a private mount and UTS namespace: the host's domainname is never touched
    const script = `mount --bind ${dir}/decoy /proc/sys/kernel/domainname && ${REPO}/node_modules/.bin/bun ${dir}/write.ts;
      echo "exit $?"; cat ${dir}/decoy; mkdir -p ${dir}/p && mount -t proc proc ${dir}/p && cat ${dir}/p/sys/kernel/domainname; umount ${dir}/p`;
    const p = spawnSync(["unshare", "--mount", "--uts", "--propagation", "private", "sh", "-c", script]);
    expect(p.stderr.toString()).toBe("");
    expect(p.stdout.toString()).toBe("exit 0\ndecoy\nmd-written\n");
  });
});

describe("CVE-2025-52881: linux.devices never land in /proc through the image's /dev", () => {
  // in a user namespace devices are binds of the host's nodes: the old code bound /dev/fuse onto core_pattern
  test("user namespace, no /dev mount, the image's /dev/fuse -> /proc/sys/kernel/core_pattern, a device /dev/fuse: refused", () => {
    const r = attack((s) => {
      s.mounts = s.mounts!.filter((m) => m.destination !== "/dev");
      s.linux!.namespaces!.push({ type: "user" });
      s.linux!.uidMappings = s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.linux!.devices = [{ path: "/dev/fuse", type: "c", major: 10, minor: 229, fileMode: 0o666 }];
    }, "grep core_pattern /proc/self/mountinfo", (b) => {
      for (const d of ["pts", "shm", "mqueue"]) mkdirSync(`${b}/rootfs/dev/${d}`, { recursive: true });
      chmodSync(`${b}/rootfs/dev`, 0o777); // the container's root makes the default nodes there
      symlinkSync("/proc/sys/kernel/core_pattern", `${b}/rootfs/dev/fuse`);
    });
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("through a symlink; refusing to mount inside /proc or /sys");
    expect(r.code).toBe(1);
  });
});
