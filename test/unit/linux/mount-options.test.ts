import { describe, expect, test } from "bun:test";
import { isBind, KNOWN_MOUNT_OPTIONS, MOUNT_ATTR, parseMountOptions } from "../../../src/linux/mount-options.ts";
import { MS } from "../../../src/sys/linux.ts";

describe("parseMountOptions", () => {
  test("flags set and cleared in order, data kept, propagation listed", () => {
    const o = parseMountOptions(["rbind", "ro", "nosuid", "rw", "rslave", "size=64k", "mode=755"]);
    expect(o.flags).toBe(MS.BIND | MS.REC | MS.NOSUID);
    expect(o.propagation).toEqual([MS.SLAVE | MS.REC]);
    expect(o.data).toBe("size=64k,mode=755");
    expect(isBind(undefined, o)).toBe(true);
  });

  test("recursive attributes: the last of a pair wins", () => {
    expect(parseMountOptions(["rro", "rnosuid", "rrw"])).toMatchObject({ attrSet: MOUNT_ATTR.NOSUID, attrClear: MOUNT_ATTR.RDONLY });
    expect(parseMountOptions(["rrw", "rro"])).toMatchObject({ attrSet: MOUNT_ATTR.RDONLY, attrClear: 0 });
  });

  test("recursive atime options set one value with all of MOUNT_ATTR__ATIME cleared (else mount_setattr: EINVAL)", () => {
    expect(parseMountOptions(["rnoatime"])).toMatchObject({ attrSet: MOUNT_ATTR.NOATIME, attrClear: 0x70 });
    expect(parseMountOptions(["rnoatime", "rstrictatime"])).toMatchObject({ attrSet: MOUNT_ATTR.STRICTATIME, attrClear: 0x70 });
    expect(parseMountOptions(["rro", "ratime"])).toMatchObject({ attrSet: MOUNT_ATTR.RDONLY, attrClear: 0x70 });
    expect(parseMountOptions(["rnorelatime"]).attrSet).toBe(MOUNT_ATTR.STRICTATIME);
    expect(parseMountOptions(["rnodiratime", "rrelatime"])).toMatchObject({ attrSet: MOUNT_ATTR.NODIRATIME, attrClear: 0x70 });
  });

  test("every recursive option runc 1.1 lists is known (features)", () => {
    for (const opt of ["rro", "rrw", "rnosuid", "rsuid", "rnodev", "rdev", "rnoexec", "rexec", "rnodiratime", "rdiratime",
      "rrelatime", "rnorelatime", "rnoatime", "ratime", "rstrictatime", "rnostrictatime", "rnosymfollow", "rsymfollow"])
      expect(KNOWN_MOUNT_OPTIONS).toContain(opt);
    expect(parseMountOptions(["rrelatime", "rnostrictatime"]).data).toBe("");
  });
});

describe("parseMountinfo", () => {
  test("fields, optional tags, super options; \\040 in paths unescaped", async () => {
    const { parseMountinfo } = await import("../../../src/linux/rootfs.ts");
    const text = [
      "36 35 98:0 /mnt1 /mnt/with\\040space rw,nosuid,noexec shared:1 master:2 - ext3 /dev/root rw,errors=continue",
      "40 25 0:35 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,memory",
      "garbage line",
    ].join("\n");
    const [a, b, ...rest] = parseMountinfo(text);
    expect(rest).toEqual([]);
    expect(a).toEqual({ root: "/mnt1", mountPoint: "/mnt/with space", options: ["rw", "nosuid", "noexec"], optional: "shared:1 master:2", fstype: "ext3", superOptions: ["rw", "errors=continue"] });
    expect(b!.fstype).toBe("cgroup");
    expect(b!.superOptions).toEqual(["rw", "memory"]);
  });
});
