import { describe, expect, test } from "bun:test";
import { cleanName } from "../../../src/image/apply.ts";
import { execUser } from "../../../src/image/config.ts";
import { parsePlatform } from "../../../src/image/manifest.ts";
import { parseSource } from "../../../src/image/source.ts";
import { parseIdMap, parseSize } from "../../../src/cli/unpack.ts";

describe("parseSource", () => {
  test("transports, paths and tags", () => {
    expect(parseSource("oci:/img")).toEqual({ transport: "oci", path: "/img", ref: undefined });
    expect(parseSource("oci:/img:v1")).toEqual({ transport: "oci", path: "/img", ref: "v1" });
    expect(parseSource("oci-archive:a.tar:latest")).toEqual({ transport: "oci-archive", path: "a.tar", ref: "latest" });
    expect(parseSource("docker-archive:a.tar:example/app:1.0")).toEqual({ transport: "docker-archive", path: "a.tar", ref: "example/app:1.0" });
  });
  test("bad input", () => {
    expect(() => parseSource("docker://busybox")).toThrow("expected oci:DIR[:TAG]");
    expect(() => parseSource("/img")).toThrow("expected oci:DIR[:TAG]");
    expect(() => parseSource("oci:")).toThrow("no path");
    expect(() => parseSource("oci:/img:")).toThrow("empty tag");
  });
});

describe("cleanName", () => {
  test("./ prefixes and empty components go; .. and absolute names are refused", () => {
    expect(cleanName("./a//b/./c/")).toEqual(["a", "b", "c"]);
    expect(cleanName("./")).toEqual([]);
    expect(() => cleanName("a/../../b")).toThrow(`leaves the rootfs`);
    expect(() => cleanName("..")).toThrow(`leaves the rootfs`);
    expect(() => cleanName("/etc/passwd")).toThrow("is absolute");
  });
});

describe("execUser (moby/sys/user GetExecUser rules)", () => {
  const passwd = "root:x:0:0:root:/root:/bin/sh\n# comment\nweb:x:1000:1001:web:/home/web:/bin/sh\n";
  const group = "root:x:0:\nweb:x:1001:\nstaff:x:50:web,other\naudio:x:29:web\n";
  test("names, numbers, groups", () => {
    expect(execUser("", passwd, group)).toEqual({ uid: 0, gid: 0, sgids: [], home: "/root" });
    expect(execUser("web", passwd, group)).toEqual({ uid: 1000, gid: 1001, sgids: [50, 29], home: "/home/web" });
    expect(execUser("web:staff", passwd, group)).toEqual({ uid: 1000, gid: 50, sgids: [], home: "/home/web" });
    expect(execUser("1000", passwd, group)).toEqual({ uid: 1000, gid: 1001, sgids: [50, 29], home: "/home/web" });
    expect(execUser("4242:77", passwd, group)).toEqual({ uid: 4242, gid: 77, sgids: [] });
    expect(execUser("4242", undefined, undefined)).toEqual({ uid: 4242, gid: 0, sgids: [] });
  });
  test("bad input", () => {
    expect(() => execUser("nobody", passwd, group)).toThrow(`no user "nobody"`);
    expect(() => execUser("web:nogroup", passwd, group)).toThrow(`no group "nogroup"`);
    expect(() => execUser("99999999999", passwd, group)).toThrow("uid out of range");
  });
});

describe("flags", () => {
  test("--max-size, --uid-map, --platform", () => {
    expect(parseSize("64M")).toBe(64 << 20);
    expect(parseSize("8G")).toBe(8 * 2 ** 30);
    expect(parseSize("1024")).toBe(1024);
    expect(() => parseSize("lots")).toThrow("--max-size");
    expect(parseIdMap("0:100000:65536", "uid-map")).toEqual({ containerID: 0, hostID: 100000, size: 65536 });
    expect(() => parseIdMap("0:1", "uid-map")).toThrow("--uid-map \"0:1\": expected CONTAINER:HOST:SIZE");
    expect(() => parseIdMap("0:1:0", "gid-map")).toThrow("size at least 1");
    expect(parsePlatform("linux/arm64/v8")).toEqual({ os: "linux", architecture: "arm64", variant: "v8" });
    expect(() => parsePlatform("linux")).toThrow("--platform: expected OS/ARCH[/VARIANT]");
    expect(() => parsePlatform("linux/amd64/v1/x")).toThrow("--platform");
  });
});
