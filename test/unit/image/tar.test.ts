import { describe, expect, test } from "bun:test";
import { type TarEntry, TarReader } from "../../../src/image/tar.ts";
import { makeTar } from "../../integration/image-lib.ts";

/** Feed `data` in chunks of `size` bytes; the entries with their data. */
function read(data: Uint8Array, size = data.length) {
  const out: Array<TarEntry & { body: string }> = [];
  const r = new TarReader({
    entry: (e) => out.push({ ...e, body: "" }),
    data: (c) => { out.at(-1)!.body += Buffer.from(c).toString(); },
    endEntry: () => {},
  });
  for (let i = 0; i < data.length; i += size) r.push(data.subarray(i, i + size));
  r.finish();
  return out;
}

/** A GNU tar ('L' long name header before the entry), as GNU tar writes names over 100 bytes. */
function gnuLongName(name: string, body: string): Uint8Array {
  const plain = makeTar([{ path: "placeholder", data: body }], { end: false });
  const longHeader = makeTar([{ path: "././@LongLink", data: `${name}\0` }], { end: false });
  longHeader[156] = "L".charCodeAt(0);
  fixChecksum(longHeader);
  return Buffer.concat([longHeader, plain, new Uint8Array(1024)]);
}

function fixChecksum(h: Uint8Array) {
  h.fill(32, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += h[i]!;
  h.set(new TextEncoder().encode(`${sum.toString(8).padStart(6, "0")}\0 `), 148);
}

describe("TarReader", () => {
  const items = [
    { path: "d/", mode: 0o755 },
    { path: "d/f", data: "hello", mode: 0o4755, uid: 1000, gid: 50 },
    { path: "d/l", type: "symlink" as const, link: "f" },
    { path: `${"x".repeat(150)}/y`, data: "long", xattrs: { "security.capability": new Uint8Array([1, 0, 0, 2]), "user.a": "b" } },
    { path: "dev", type: "char" as const, major: 1, minor: 3 },
  ];

  test("entries and data are the same whatever the chunk size (1 byte, 511, whole)", () => {
    const tar = makeTar(items);
    const whole = read(tar);
    expect(whole.map((e) => [e.path, e.type, e.mode, e.uid, e.gid, e.linkname, e.body])).toEqual([
      ["d/", "dir", 0o755, 0, 0, "", ""], ["d/f", "file", 0o4755, 1000, 50, "", "hello"], ["d/l", "symlink", 0o644, 0, 0, "f", ""],
      [`${"x".repeat(150)}/y`, "file", 0o644, 0, 0, "", "long"], ["dev", "char", 0o644, 0, 0, "", ""],
    ]);
    expect([...whole[3]!.xattrs.keys()]).toEqual(["security.capability", "user.a"]);
    expect([...whole[3]!.xattrs.get("security.capability")!]).toEqual([1, 0, 0, 2]);
    expect(whole[4]).toMatchObject({ devmajor: 1, devminor: 3 });
    expect(read(tar, 1)).toEqual(whole);
    expect(read(tar, 511)).toEqual(whole);
  });

  test("GNU long names ('L' headers)", () => {
    const name = `${"n".repeat(200)}/file`;
    expect(read(gnuLongName(name, "gnu")).map((e) => [e.path, e.body])).toEqual([[name, "gnu"]]);
  });

  test("a base-256 size field", () => {
    const tar = makeTar([{ path: "f", data: "abc" }]);
    tar.fill(0, 124, 136);
    tar[124] = 0x80;
    tar[135] = 3;
    fixChecksum(tar);
    expect(read(tar).map((e) => e.body)).toEqual(["abc"]);
  });

  test("bad input: checksum, truncation, a non-octal field, sparse and unknown types, negative base-256", () => {
    const bad = (data: Uint8Array, message: string) => expect(() => read(data)).toThrow(message);
    const tar = makeTar([{ path: "f", data: "x".repeat(600) }]);
    const corrupt = new Uint8Array(tar); corrupt[0] = 0x71;
    bad(corrupt, "bad checksum");
    bad(tar.subarray(0, 700), "truncated layer");
    bad(tar.subarray(0, 300), "truncated layer");
    const octal = new Uint8Array(tar); octal.set(new TextEncoder().encode("9999999"), 100); fixChecksum(octal);
    bad(octal, "mode is not octal");
    for (const flag of ["S", "V", "M"]) {
      const t = new Uint8Array(tar); t[156] = flag.charCodeAt(0); fixChecksum(t);
      bad(t, `unsupported type "${flag}"`);
    }
    const negative = new Uint8Array(tar); negative.fill(0xff, 124, 136); fixChecksum(negative);
    bad(negative, "negative size");
  });

  test("anything after the end-of-archive blocks is ignored; a missing end is accepted at an entry boundary", () => {
    const tar = makeTar([{ path: "f", data: "x" }]);
    expect(read(Buffer.concat([tar, new Uint8Array(4096).fill(7)])).map((e) => e.path)).toEqual(["f"]);
    expect(read(makeTar([{ path: "f", data: "x" }], { end: false })).map((e) => e.path)).toEqual(["f"]);
  });
});
