// `minidocker unpack`: images built here (synthetic layers, busybox), unpacked by minidocker and
// by umoci 0.4.7 (+ skopeo 1.9 for the archives) and compared tree by tree and config by
// config; hostile images that must fail with one line, touching nothing outside the bundle;
// and an unpacked docker-archive run as a container.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "bun";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { BIN, md, REPO } from "./lib.ts";
import { type LayerSpec, makeDockerArchive, makeOciLayout, makeTar, sha256, type TarItem, tarDir, treeHash } from "./image-lib.ts";

const work = mkdtempSync(`${tmpdir()}/md-unpack-`);
chmodSync(work, 0o755); // a user-namespace root (host uid 100000) must reach its bundle
const stateRoot = `${work}/state`;
let n = 0;
const fresh = (name: string) => `${work}/${name}-${++n}`;

const have = (tool: string) => spawnSync(["sh", "-c", `command -v ${tool}`]).success;
if (!have("umoci") || !have("skopeo")) spawnSync(["apt-get", "install", "-y", "-qq", "umoci", "skopeo"], { stdout: "ignore", stderr: "ignore" });
const toolsMissing = !have("umoci") || !have("skopeo");

function run(cmd: string[]) {
  const p = spawnSync(cmd, { stderr: "pipe", stdout: "pipe" });
  if (!p.success) throw new Error(`${cmd.join(" ")}: ${p.stderr}`);
  return p.stdout.toString();
}

const unpack = (source: string, bundle: string, flags: string[] = []) => md(stateRoot, ["unpack", ...flags, source, bundle], { timeoutMs: 120_000 });

/** Image config fields a runtime cares about, from a config.json. */
function processOf(bundle: string) {
  const spec = JSON.parse(readFileSync(`${bundle}/config.json`, "utf8"));
  const annotations = Object.fromEntries(Object.entries(spec.annotations ?? {}).filter(([, v]) => v !== ""));
  const { uid, gid, additionalGids = [] } = spec.process.user;
  return { args: spec.process.args, env: spec.process.env, cwd: spec.process.cwd, user: { uid, gid, additionalGids }, annotations };
}

afterAll(() => rmSync(work, { recursive: true, force: true }));

// ---------------------------------------------------------------------------------------------
// The same images through minidocker and umoci

const passwd = "root:x:0:0:root:/root:/bin/sh\nweb:x:1000:1000:web:/home/web:/bin/sh\n";
const group = "root:x:0:\nweb:x:1000:\nstaff:x:50:web\naudio:x:29:web\n";
const big = new Uint8Array(3 << 20).map((_, i) => (i * 7919) % 251);

const base: TarItem[] = [
  { path: "etc/", mode: 0o755 }, { path: "etc/passwd", data: passwd }, { path: "etc/group", data: group },
  { path: "bin/", mode: 0o755 }, { path: "bin/tool", data: "#!/bin/sh\necho tool\n", mode: 0o4755 },
  { path: "bin/sgid", data: "g", mode: 0o2711, uid: 0, gid: 50 },
  { path: "tmp/", mode: 0o1777 }, { path: "home/", mode: 0o755 }, { path: "home/web/", mode: 0o700, uid: 1000, gid: 1000 },
  { path: "home/web/.profile", data: "export A=1\n", uid: 1000, gid: 1000, mode: 0o600 },
  { path: "usr/", mode: 0o755 }, { path: "usr/lib/", mode: 0o755 }, { path: "lib", type: "symlink", link: "usr/lib" },
  { path: "usr/lib/libbig.so", data: big, mode: 0o755 },
  { path: "data/", mode: 0o755 }, { path: "data/a", data: "lower a" }, { path: "data/b", data: "lower b" },
  { path: "data/sub/", mode: 0o755 }, { path: "data/sub/deep", data: "deep" },
  { path: "gone/", mode: 0o755 }, { path: "gone/x", data: "x" }, { path: "gonefile", data: "y" },
  { path: "shared", data: "shared content", mode: 0o640, uid: 7, gid: 8 },
  { path: "bin/ping", data: "ping", mode: 0o755, xattrs: { "security.capability": new Uint8Array([1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]) } },
  { path: "bin/tagged", data: "t", xattrs: { "user.origin": "layer1", "trusted.note": "x" } },
  { path: "dev/", mode: 0o755 }, { path: "dev/null", type: "char", major: 1, minor: 3, mode: 0o666 },
  { path: "dev/loop9", type: "block", major: 7, minor: 9, mode: 0o660, gid: 6 }, { path: "dev/fifo", type: "fifo", mode: 0o620 },
  { path: "long/" + "d".repeat(120) + "/", mode: 0o755 }, { path: "long/" + "d".repeat(120) + "/" + "f".repeat(110), data: "long name" },
];
const upper: TarItem[] = [
  { path: "data/", mode: 0o750 }, { path: "data/.wh.a" }, { path: "data/c", data: "upper c" },
  { path: "gone/", mode: 0o755 }, { path: "gone/new", data: "new in opaque" }, { path: "gone/.wh..wh..opq" },
  { path: ".wh.gonefile" },
  { path: "hardlink-to-lower", type: "hardlink", link: "shared" },
  { path: "bin/tool", data: "#!/bin/sh\necho tool v2\n", mode: 0o4750, gid: 50 },
  { path: "lib/libnew.so", data: "through the lib symlink", mode: 0o755 },
  { path: "links/", mode: 0o755 }, { path: "links/abs", type: "symlink", link: "/etc/passwd" }, { path: "links/dangling", type: "symlink", link: "../nowhere" },
];
const third: TarItem[] = [
  { path: "data/sub/", mode: 0o755 }, { path: "data/sub/.wh..wh..opq" },
  { path: "links/hl1", data: "one inode", uid: 1000 }, { path: "links/hl2", type: "hardlink", link: "links/hl1" },
  { path: "shared", data: "replaced: the hard link of layer 2 keeps the old content" },
];
const config = {
  Entrypoint: ["/bin/tool"], Cmd: ["--flag", "x y"], Env: ["PATH=/usr/bin:/bin", "LANG=C.UTF-8"], WorkingDir: "/home/web",
  User: "web", Labels: { "org.example.team": "infra", version: "3" }, StopSignal: "SIGQUIT", ExposedPorts: { "80/tcp": {}, "53/udp": {} },
};
const CASES: Array<[string, LayerSpec[], object]> = [
  ["three gzip layers: whiteouts, opaque dirs, hard links across layers, setuid, xattrs, devices", [
    { tar: makeTar(base) }, { tar: makeTar(upper) }, { tar: makeTar(third) }], config],
  ["gzip and uncompressed layers, numeric user:group", [
    { tar: makeTar(base) }, { tar: makeTar(upper), compression: "none" }], { Cmd: ["sh"], User: "1000:50" }],
  ["user by name with group by name", [{ tar: makeTar(base) }], { User: "web:staff", Env: ["HOME=/custom"] }],
];

describe.skipIf(toolsMissing)("same tree and config as umoci 0.4.7", () => {
  for (const [name, layers, cfg] of CASES) {
    test(name, () => {
      const layout = fresh("layout");
      makeOciLayout(layout, layers, cfg);
      const ours = fresh("ours"), theirs = fresh("umoci");
      const r = unpack(`oci:${layout}:latest`, ours);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      run(["umoci", "unpack", "--image", `${layout}:latest`, theirs]);
      const tree = treeHash(`${ours}/rootfs`);
      expect(tree).toBe(treeHash(`${theirs}/rootfs`));
      if (layers.length > 1) expect(tree).toContain("bin/tool f 4750 0:50"); // an upper layer's setuid file over a lower one
      expect(processOf(ours)).toEqual(processOf(theirs));
      expect(md(stateRoot, ["lint", `${ours}/config.json`]).code).toBe(0);
    });
  }

  test("zstd layers (umoci 0.4.7 has no zstd): the same tree as umoci's of the gzip image", () => {
    const gz = fresh("layout"), zst = fresh("layout");
    makeOciLayout(gz, CASES[0]![1], config);
    makeOciLayout(zst, CASES[0]![1].map((l) => ({ ...l, compression: "zstd" as const })), config);
    const ours = fresh("ours"), theirs = fresh("umoci");
    const r = unpack(`oci:${zst}`, ours);
    expect(r.stderr).toBe("");
    run(["umoci", "unpack", "--image", `${gz}:latest`, theirs]);
    expect(treeHash(`${ours}/rootfs`)).toBe(treeHash(`${theirs}/rootfs`));
  });

  test("the three-layer image through skopeo's oci-archive and docker-archive: the same tree as umoci's", () => {
    const layout = fresh("layout");
    makeOciLayout(layout, CASES[0]![1], config, "v1");
    const ociArchive = `${fresh("oa")}.tar`, dockerArchive = `${fresh("da")}.tar`;
    run(["skopeo", "copy", "-q", `oci:${layout}:v1`, `oci-archive:${ociArchive}:v1`]);
    run(["skopeo", "copy", "-q", `oci:${layout}:v1`, `docker-archive:${dockerArchive}:example/app:v1`]);
    const theirs = fresh("umoci");
    run(["umoci", "unpack", "--image", `${layout}:v1`, theirs]);
    const want = treeHash(`${theirs}/rootfs`);
    for (const source of [`oci-archive:${ociArchive}:v1`, `docker-archive:${dockerArchive}:example/app:v1`, `docker-archive:${dockerArchive}`]) {
      const ours = fresh("ours");
      const r = unpack(source, ours);
      expect(`${source}: ${r.stderr}`).toBe(`${source}: `);
      expect(treeHash(`${ours}/rootfs`)).toBe(want);
      const p = processOf(ours), q = processOf(theirs);
      expect([p.args, p.env, p.cwd, p.user]).toEqual([q.args, q.env, q.cwd, q.user]);
    }
  });

  test("a 100 MB layer: the same tree as umoci's", () => {
    const blob = new Uint8Array(100 << 20);
    for (let i = 0; i < blob.length; i += 4096) blob[i] = i % 253;
    const layout = fresh("layout");
    makeOciLayout(layout, [{ tar: makeTar([{ path: "big.bin", data: blob }, { path: "small", data: "s" }]) }], { Cmd: ["sh"] });
    const ours = fresh("ours"), theirs = fresh("umoci");
    expect(unpack(`oci:${layout}`, ours).code).toBe(0);
    run(["umoci", "unpack", "--image", `${layout}:latest`, theirs]);
    expect(treeHash(`${ours}/rootfs`)).toBe(treeHash(`${theirs}/rootfs`));
    rmSync(ours, { recursive: true }); rmSync(theirs, { recursive: true }); rmSync(layout, { recursive: true });
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------
// Layer semantics that need no umoci

describe("layers", () => {
  test("an opaque whiteout after this layer's files in a subdirectory it has no entry for keeps them", () => {
    const layout = fresh("layout");
    makeOciLayout(layout, [
      { tar: makeTar([{ path: "o/", mode: 0o755 }, { path: "o/sub/", mode: 0o755 }, { path: "o/sub/old", data: "old" }, { path: "o/lower", data: "l" }]) },
      { tar: makeTar([{ path: "o/sub/new", data: "new" }, { path: "o/.wh..wh..opq" }]) },
    ]);
    const b = fresh("b");
    expect(unpack(`oci:${layout}`, b).code).toBe(0);
    expect(readdirSync(`${b}/rootfs/o`)).toEqual(["sub"]);
    expect(readdirSync(`${b}/rootfs/o/sub`)).toEqual(["new"]);
  });

  test("memory stays bounded: a 256 MiB layer unpacks in under 160 MiB of RSS", () => {
    const layout = fresh("layout");
    const gib = new Uint8Array(256 << 20);
    makeOciLayout(layout, [{ tar: makeTar([{ path: "huge", data: gib }]), compression: "zstd" }], { Cmd: ["sh"] });
    const b = fresh("b");
    const p = spawnSync(["/usr/bin/time", "-f", "%M", BIN, "--root", stateRoot, "unpack", `oci:${layout}`, b], { stderr: "pipe" });
    expect(p.exitCode).toBe(0);
    const rssMiB = Number(p.stderr.toString().trim().split("\n").at(-1)) / 1024;
    console.log(`unpack of a 256 MiB layer: peak RSS ${rssMiB.toFixed(0)} MiB`);
    expect(rssMiB).toBeLessThan(160);
    expect(statSync(`${b}/rootfs/huge`).size).toBe(256 << 20);
    rmSync(b, { recursive: true }); rmSync(layout, { recursive: true });
  }, 120_000);

  test("a file replacing one with hard links: the other links keep the old content", () => {
    const layout = fresh("layout");
    makeOciLayout(layout, [
      { tar: makeTar([{ path: "a", data: "old" }, { path: "b", type: "hardlink", link: "a" }]) },
      { tar: makeTar([{ path: "a", data: "new" }]) },
    ]);
    const b = fresh("b");
    expect(unpack(`oci:${layout}`, b).code).toBe(0);
    expect([readFileSync(`${b}/rootfs/a`, "utf8"), readFileSync(`${b}/rootfs/b`, "utf8")]).toEqual(["new", "old"]);
  });
});

// ---------------------------------------------------------------------------------------------
// Config details that need no umoci

describe("config.json", () => {
  test("entrypoint+cmd, env, cwd, user and groups, annotations, volumes; terminal false; lint passes", () => {
    const layout = fresh("layout");
    makeOciLayout(layout, [{ tar: makeTar(base) }], { ...config, Volumes: { "/var/cache": {} } });
    const b = fresh("b");
    expect(unpack(`oci:${layout}`, b).code).toBe(0);
    const spec = JSON.parse(readFileSync(`${b}/config.json`, "utf8"));
    expect(spec.process.terminal).toBe(false);
    expect(spec.process.args).toEqual(["/bin/tool", "--flag", "x y"]);
    expect(spec.process.env).toEqual(["PATH=/usr/bin:/bin", "TERM=xterm", "LANG=C.UTF-8", "HOME=/home/web"]);
    expect(spec.process.cwd).toBe("/home/web");
    expect(spec.process.user).toEqual({ uid: 1000, gid: 1000, additionalGids: [50, 29] });
    expect(spec.annotations).toMatchObject({
      "org.example.team": "infra", "org.opencontainers.image.stopSignal": "SIGQUIT", "org.opencontainers.image.exposedPorts": "53/udp,80/tcp",
      "org.opencontainers.image.os": "linux", "org.opencontainers.image.created": "2024-01-02T03:04:05Z", "org.opencontainers.image.author": "tests",
    });
    expect(spec.mounts.at(-1)).toEqual({ destination: "/var/cache", type: "tmpfs", source: "none", options: ["rw", "nosuid", "nodev", "noexec", "relatime"] });
    expect(md(stateRoot, ["lint", `${b}/config.json`])).toMatchObject({ code: 0, stdout: "" });
  });

  test("a user name missing from the image's /etc/passwd is one error line, no bundle", () => {
    const layout = fresh("layout");
    makeOciLayout(layout, [{ tar: makeTar(base) }], { User: "nobody-here" });
    const b = fresh("b");
    const r = unpack(`oci:${layout}`, b);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`User \\"nobody-here\\": no user \\"nobody-here\\" in the image's /etc/passwd`);
    expect(existsSync(b)).toBe(false);
  });

  test("/etc/passwd symlinked to the host's: resolved inside the rootfs (user not found), never the host's", () => {
    const layout = fresh("layout");
    makeOciLayout(layout, [{ tar: makeTar([{ path: "etc/", mode: 0o755 }, { path: "etc/passwd", type: "symlink", link: "/usr/share/base-passwd/passwd.master" }]) }], { User: "root" });
    const r = unpack(`oci:${layout}`, fresh("b"));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`no user \\"root\\"`);
  });

  test("--rootless: spec --rootless's shape, owners shifted by --uid-map/--gid-map, device nodes skipped with a warning", () => {
    const layout = fresh("layout");
    makeOciLayout(layout, [{ tar: makeTar([...base, { path: "dev/null-too", type: "hardlink", link: "dev/null" }]) }], { Cmd: ["sh"] });
    const b = fresh("b");
    const r = unpack(`oci:${layout}`, b, ["--rootless", "--uid-map", "0:100000:65536", "--gid-map", "0:200000:65536"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`rootless: device node \\"dev/null\\" skipped`);
    const spec = JSON.parse(readFileSync(`${b}/config.json`, "utf8"));
    expect(spec.linux.uidMappings).toEqual([{ containerID: 0, hostID: 100000, size: 65536 }]);
    expect(spec.linux.gidMappings).toEqual([{ containerID: 0, hostID: 200000, size: 65536 }]);
    expect(spec.linux.namespaces.map((ns: { type: string }) => ns.type)).toContain("user");
    const tree = treeHash(`${b}/rootfs`);
    expect(tree).toContain("home/web d 0700 101000:201000");
    expect(tree).toContain("bin/tool f 4755 100000:200000");
    expect(tree).toContain("dev/fifo p 0620");
    expect(tree).not.toContain("dev/null");
    expect(statSync(b).uid).toBe(100000);
    expect(md(stateRoot, ["lint", `${b}/config.json`]).code).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// Hostile images: one error line, nothing outside the bundle, no bundle (not even half of one)

describe("hostile images", () => {
  const host = `${work}/host`;
  const victim = `${host}/victim`;
  beforeAll(() => { mkdirSync(host, { recursive: true }); });

  function hostState() {
    return readdirSync(host).sort().map((f) => `${f}:${readFileSync(`${host}/${f}`, "utf8")}`).join("|");
  }

  /** Unpack `layers`; expect failure with `message` (or success when undefined), the host dir as it was, no bundle or temp dir. */
  function attack(layers: LayerSpec[], message: string | undefined, edit?: Parameters<typeof makeOciLayout>[4], flags: string[] = []) {
    writeFileSync(victim, "host data");
    const before = hostState();
    const layout = fresh("layout");
    makeOciLayout(layout, layers, { Cmd: ["sh"] }, "latest", edit);
    const parent = fresh("parent");
    mkdirSync(parent);
    const b = `${parent}/bundle`;
    const r = unpack(`oci:${layout}`, b, flags);
    expect(hostState()).toBe(before);
    expect(existsSync("/etc/pwned")).toBe(false);
    if (message === undefined) {
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      return b;
    }
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(message);
    expect(readdirSync(parent)).toEqual([]); // no bundle, no .bundle.unpack-PID
    return b;
  }
  const layer = (...items: TarItem[]): LayerSpec => ({ tar: makeTar(items) });

  test("path traversal (../)", () => {
    attack([layer({ path: `../../../../../../..${host}/victim`, data: "pwned" })], `leaves the rootfs`);
  });
  test("absolute path", () => {
    attack([layer({ path: victim, data: "pwned" })], `is absolute: refusing to write outside the rootfs`);
  });
  test("symlink to a host directory, then a write through it (same layer and next layer): lands inside the rootfs", () => {
    const b = attack([layer({ path: "esc", type: "symlink", link: host }, { path: "esc/victim", data: "pwned 1" }),
      layer({ path: "esc/new", data: "pwned 2" })], undefined);
    expect(readFileSync(`${b}/rootfs${host}/victim`, "utf8")).toBe("pwned 1");
    expect(readFileSync(`${b}/rootfs${host}/new`, "utf8")).toBe("pwned 2");
  });
  test("symlink with ../ climbing out, then a write through it: inside the rootfs", () => {
    const b = attack([layer({ path: "a/", mode: 0o755 }, { path: "a/up", type: "symlink", link: `../../../../../../../..${host}` }),
      layer({ path: "a/up/victim", data: "pwned" })], undefined);
    expect(readFileSync(`${b}/rootfs${host}/victim`, "utf8")).toBe("pwned");
  });
  test("hard link to a host file (absolute, ../ and through a symlink)", () => {
    const nlink = statSync("/etc/passwd").nlink;
    attack([layer({ path: "pw", type: "hardlink", link: "/etc/passwd" })], `/etc/passwd\\" is absolute`);
    attack([layer({ path: "pw", type: "hardlink", link: "../../../../../etc/passwd" })], `leaves the rootfs`);
    attack([layer({ path: "h", type: "symlink", link: "/etc" }, { path: "pw", type: "hardlink", link: "h/passwd" })], `link \\"pw\\": ENOENT`);
    expect(statSync("/etc/passwd").nlink).toBe(nlink);
  });
  test("whiteout naming a path outside (../.wh.x, .wh..., through a symlink)", () => {
    attack([layer({ path: `../../../../../..${host}/.wh.victim` })], `leaves the rootfs`);
    attack([layer({ path: "d/", mode: 0o755 }, { path: "d/.wh.." })], `names no entry`);
    attack([layer({ path: "s", type: "symlink", link: host }), layer({ path: "s/.wh.victim" })], undefined);
    attack([layer({ path: "s", type: "symlink", link: host }), layer({ path: "s/.wh..wh..opq" })], undefined);
  });
  test("a directory replaced by a symlink, then written under", () => {
    const b = attack([layer({ path: "d/", mode: 0o755 }, { path: "d/f", data: "f" }), layer({ path: "d", type: "symlink", link: host }),
      layer({ path: "d/victim", data: "pwned" })], undefined);
    expect(readFileSync(`${b}/rootfs${host}/victim`, "utf8")).toBe("pwned");
  });
  test("a blob whose digest lies (content changed, size kept)", () => {
    attack([layer({ path: "f", data: "genuine" })], "(corrupt or tampered blob)", (m, blobs) => {
      const d = m.layers[0]!;
      const bad = Buffer.from(blobs.get(d.digest)!);
      bad[bad.length - 9]! ^= 1; // inside gzip's trailer CRC: gunzip would notice too, the digest first
      blobs.set(d.digest, bad);
    });
  });
  test("a blob whose size lies", () => {
    attack([layer({ path: "f", data: "genuine" })], "blob is", (m) => { m.layers[0]!.size += 1; });
  });
  test("a tampered tar under an honest gzip: the diff_id catches it", () => {
    const tar = makeTar([{ path: "f", data: "genuine" }]);
    const evil = makeTar([{ path: "f", data: "evil!!!" }]);
    attack([{ tar, blob: Bun.gzipSync(evil) }], "the image config's diff_id is");
  });
  test("a truncated gzip layer (digest matching the truncated blob)", () => {
    const gz = Bun.gzipSync(makeTar([{ path: "f", data: "x".repeat(100000) }, { path: "g", data: "y" }]));
    attack([{ tar: makeTar([]), blob: gz.subarray(0, gz.length >> 1) }], "gzip data:");
  });
  test("a tar cut in the middle of an entry", () => {
    const tar = makeTar([{ path: "f", data: "x".repeat(5000) }], { end: false });
    attack([{ tar: tar.subarray(0, 2048), compression: "none" }], "truncated layer");
  });
  test("a decompression bomb beyond --max-size", () => {
    const zeros = new Uint8Array(300 << 20);
    attack([{ tar: makeTar([]), blob: Bun.zstdCompressSync(makeTar([{ path: "bomb", data: zeros }])), mediaType: "application/vnd.oci.image.layer.v1.tar+zstd" }],
      "layers expand beyond 64M (a decompression bomb?", undefined, ["--max-size", "64M"]);
  }, 60_000);
  test("SIGTERM or SIGINT in the middle: no bundle, no temporary directory", async () => {
    const layout = fresh("layout");
    const data = new Uint8Array(64 << 20);
    const block = crypto.getRandomValues(new Uint8Array(1 << 16));
    for (let off = 0; off < data.length; off += block.length) data.set(block, off);
    makeOciLayout(layout, [{ tar: makeTar([{ path: "big", data }]), compression: "gzip" }], { Cmd: ["sh"] });
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      const parent = fresh("parent");
      mkdirSync(parent);
      const p = Bun.spawn([BIN, "--root", stateRoot, "unpack", `oci:${layout}`, `${parent}/bundle`], { stderr: "pipe" });
      // wait until the temporary bundle holds part of the file
      for (let i = 0; i < 400 && !readdirSync(parent).some((f) => existsSync(`${parent}/${f}/rootfs/big`)); i++) await Bun.sleep(10);
      expect(readdirSync(parent)).toHaveLength(1);
      p.kill(signal);
      expect(await p.exited).toBe(signal === "SIGTERM" ? 143 : 130);
      expect(readdirSync(parent)).toEqual([]);
    }
  }, 60_000);

  test("a checksum-corrupt tar header", () => {
    const tar = makeTar([{ path: "f", data: "x" }]);
    tar[0] = 0x67;
    attack([{ tar, compression: "none" }], "bad checksum");
  });
});

// ---------------------------------------------------------------------------------------------
// Sources and their errors

describe("sources", () => {
  test("unknown transport, missing tag, many images without a tag, existing bundle: one line each", () => {
    const layout = fresh("layout");
    makeOciLayout(layout, [{ tar: makeTar([{ path: "f", data: "x" }]) }], {}, "v1");
    const cases: Array<[string, string, string]> = [
      ["docker://busybox", fresh("b"), "expected oci:DIR[:TAG], oci-archive:FILE[:TAG] or docker-archive:FILE[:REPO:TAG]"],
      [`oci:${layout}:v2`, fresh("b"), `no image tagged \\"v2\\" (tags: v1)`],
      [`oci:${work}`, fresh("b"), "not an OCI image layout"],
      [`oci:${layout}`, layout, "exists: unpack makes a new one"],
    ];
    for (const [src, b, msg] of cases) {
      const r = unpack(src, b);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toContain(msg);
    }
    // a fifo where a file should be: refused at once, never opened for a read that would block
    const fifoLayout = fresh("layout");
    makeOciLayout(fifoLayout, [{ tar: makeTar([{ path: "f", data: "x" }]) }]);
    rmSync(`${fifoLayout}/index.json`);
    run(["mkfifo", `${fifoLayout}/index.json`, `${work}/fifo-archive-${n}`]);
    for (const [src, msg] of [[`oci:${fifoLayout}`, "index.json\\\" is not a regular file"], [`oci-archive:${work}/fifo-archive-${n}`, "is not a regular file"]]) {
      const f = unpack(src!, fresh("b"));
      expect(f.code).toBe(1);
      expect(f.stderr).toContain(msg!);
    }
    const r = md(stateRoot, ["unpack", "--platform", "linux/s390x", `oci:${layout}`, fresh("b")]);
    expect(r.stderr).toContain("image is for linux/");
    expect(r.code).toBe(1);
  });

  test("docker-archive in Docker 25's layout (blobs/sha256/…)", () => {
    const archive = `${fresh("da")}.tar`;
    makeDockerArchive(archive, fresh("dw"), [makeTar([{ path: "f", data: "one" }]), makeTar([{ path: "g", data: "two" }])], { Cmd: ["sh"] }, "app:v25", { blobs: true });
    const b = fresh("b");
    expect(unpack(`docker-archive:${archive}:app:v25`, b)).toMatchObject({ code: 0, stderr: "" });
    expect(readdirSync(`${b}/rootfs`).sort()).toEqual(["f", "g"]);
  });

  test("a multi-platform index: --platform chooses, the default is this host's, a missing one is one error line", () => {
    const layout = fresh("layout");
    const host = process.arch === "arm64" ? "arm64" : "amd64", other = host === "arm64" ? "amd64" : "arm64";
    // two single-image layouts merged into one index of an index
    const blobs = new Map<string, Uint8Array>();
    const manifests = [host, other].map((arch) => {
      const dir = fresh("part");
      makeOciLayout(dir, [{ tar: makeTar([{ path: `for-${arch}`, data: arch }]) }], { Cmd: ["sh"] });
      for (const f of readdirSync(`${dir}/blobs/sha256`)) blobs.set(f, readFileSync(`${dir}/blobs/sha256/${f}`));
      const d = JSON.parse(readFileSync(`${dir}/index.json`, "utf8")).manifests[0];
      const manifest = JSON.parse(readFileSync(`${dir}/blobs/sha256/${d.digest.slice(7)}`, "utf8"));
      const cfg = JSON.parse(readFileSync(`${dir}/blobs/sha256/${manifest.config.digest.slice(7)}`, "utf8"));
      cfg.architecture = arch;
      const cfgBytes = Buffer.from(JSON.stringify(cfg));
      blobs.set(sha256(cfgBytes).slice(7), cfgBytes);
      manifest.config = { ...manifest.config, digest: sha256(cfgBytes), size: cfgBytes.length };
      const mBytes = Buffer.from(JSON.stringify(manifest));
      blobs.set(sha256(mBytes).slice(7), mBytes);
      return { mediaType: manifest.mediaType, digest: sha256(mBytes), size: mBytes.length, platform: { os: "linux", architecture: arch } };
    });
    const inner = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests }));
    blobs.set(sha256(inner).slice(7), inner);
    mkdirSync(`${layout}/blobs/sha256`, { recursive: true });
    for (const [name, data] of blobs) writeFileSync(`${layout}/blobs/sha256/${name}`, data);
    writeFileSync(`${layout}/oci-layout`, JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    writeFileSync(`${layout}/index.json`, JSON.stringify({ schemaVersion: 2, manifests: [{
      mediaType: "application/vnd.oci.image.index.v1+json", digest: sha256(inner), size: inner.length,
      annotations: { "org.opencontainers.image.ref.name": "multi" } }] }));
    const mine = fresh("b"), theirs = fresh("b");
    expect(unpack(`oci:${layout}:multi`, mine)).toMatchObject({ code: 0, stderr: "" });
    expect(readdirSync(`${mine}/rootfs`)).toEqual([`for-${host}`]);
    expect(unpack(`oci:${layout}:multi`, theirs, ["--platform", `linux/${other}`])).toMatchObject({ code: 0, stderr: "" });
    expect(readdirSync(`${theirs}/rootfs`)).toEqual([`for-${other}`]);
    const r = unpack(`oci:${layout}:multi`, fresh("b"), ["--platform", "linux/riscv64"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`no image for platform linux/riscv64 (offered: linux/${host}, linux/${other}); choose one with --platform`);
  });

  test("docker-archive: layer not matching its diff_id is refused; REPO:TAG picks the image", () => {
    const l1 = makeTar([{ path: "f", data: "one" }]);
    const archive = `${fresh("da")}.tar`;
    makeDockerArchive(archive, fresh("dw"), [l1], { Cmd: ["sh"] }, "example/one:v1");
    expect(unpack(`docker-archive:${archive}:example/one:v1`, fresh("b")).code).toBe(0);
    const r1 = unpack(`docker-archive:${archive}:example/two:v1`, fresh("b"));
    expect(r1.stderr).toContain(`no image tagged \\"example/two:v1\\" (tags: example/one:v1)`);
    const bad = `${fresh("da")}.tar`;
    const work2 = fresh("dw");
    makeDockerArchive(bad, work2, [l1], { Cmd: ["sh"] });
    writeFileSync(`${work2}/l0/layer.tar`, makeTar([{ path: "f", data: "two" }]));
    tarDir(work2, bad);
    const r2 = unpack(`docker-archive:${bad}`, fresh("b"));
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain(`layer 1 (l0/layer.tar): uncompressed content has digest ${sha256(makeTar([{ path: "f", data: "two" }]))}`);
  });
});

// ---------------------------------------------------------------------------------------------
// End to end: a busybox image, saved as a docker-archive, unpacked and run

describe.skipIf(!have("podman"))("end to end, podman save", () => {
  test("podman save --format docker-archive and oci-archive: unpack, then run", () => {
    const store = fresh("podman");
    mkdirSync(`${store}/tmp`, { recursive: true });
    const podman = ["podman", "--root", `${store}/storage`, "--runroot", `${store}/run`, "--storage-driver", "vfs", "--tmpdir", `${store}/tmp`];
    const layerTar = `${fresh("busybox")}.tar`;
    run(["tar", "-C", `${REPO}/bundles/busybox/rootfs`, "--numeric-owner", "-cf", layerTar, "."]);
    run([...podman, "import", "--change", 'CMD ["/bin/sh","-c","echo from podman in $(pwd)"]', "--change", "WORKDIR /tmp", layerTar, "localhost/bb:v1"]);
    const docker = `${fresh("pd")}.tar`, oci = `${fresh("po")}.tar`;
    run([...podman, "save", "-q", "--format", "docker-archive", "-o", docker, "localhost/bb:v1"]);
    run([...podman, "save", "-q", "--format", "oci-archive", "-o", oci, "localhost/bb:v1"]);
    for (const source of [`docker-archive:${docker}`, `docker-archive:${docker}:localhost/bb:v1`, `oci-archive:${oci}`]) {
      const b = fresh("bundle");
      expect(unpack(source, b)).toMatchObject({ code: 0, stderr: "" });
      const r = md(stateRoot, ["run", "-b", b, `unpack-podman-${n}`]);
      expect(`${source}: ${r.stderr}${r.stdout}`).toBe(`${source}: from podman in /tmp\n`);
      expect(r.code).toBe(0);
    }
    rmSync(store, { recursive: true, force: true });
  });
});

describe("end to end, rootless", () => {
  test("a --rootless bundle with --uid-map runs in a user namespace, files owned by its root", () => {
    const layerTar = `${fresh("busybox")}.tar`;
    run(["tar", "-C", `${REPO}/bundles/busybox/rootfs`, "--numeric-owner", "-cf", layerTar, "."]);
    const layout = fresh("layout");
    makeOciLayout(layout, [{ tar: new Uint8Array(readFileSync(layerTar)) }],
      { Entrypoint: ["/bin/sh", "-c"], Cmd: ["id -u; stat -c %u:%g /bin/busybox; cat /proc/self/uid_map"] });
    const b = fresh("bundle");
    expect(unpack(`oci:${layout}`, b, ["--rootless", "--uid-map", "0:100000:65536", "--gid-map", "0:100000:65536"])).toMatchObject({ code: 0, stderr: "" });
    expect([statSync(b).uid, statSync(`${b}/config.json`).uid, statSync(`${b}/rootfs/bin/busybox`).uid]).toEqual([100000, 100000, 100000]);
    const r = md(stateRoot, ["run", "-b", b, `unpack-rootless-${n}`]);
    expect(r.stderr).toBe("");
    expect(r.stdout.split("\n").map((l) => l.trim().replace(/\s+/g, " "))).toEqual(["0", "0:0", "0 100000 65536", ""]);
    expect(r.code).toBe(0);
  });
});

describe.skipIf(toolsMissing)("end to end", () => {
  test("busybox as docker-archive and oci-archive: unpack, then run", () => {
    const rootfs = `${REPO}/bundles/busybox/rootfs`;
    const layerTar = `${fresh("busybox")}.tar`;
    run(["tar", "-C", rootfs, "--numeric-owner", "-cf", layerTar, "."]);
    const layout = fresh("layout");
    makeOciLayout(layout, [{ tar: new Uint8Array(readFileSync(layerTar)) }],
      { Entrypoint: ["/bin/sh", "-c"], Cmd: ["echo \"pid=$$ user=$(id -u) cwd=$(pwd) greeting=$GREETING\""], Env: ["GREETING=hello"], WorkingDir: "/tmp" }, "v1");
    const docker = `${fresh("da")}.tar`, oci = `${fresh("oa")}.tar`;
    run(["skopeo", "copy", "-q", `oci:${layout}:v1`, `docker-archive:${docker}:busybox:v1`]);
    run(["skopeo", "copy", "-q", `oci:${layout}:v1`, `oci-archive:${oci}:v1`]);
    for (const source of [`docker-archive:${docker}`, `oci-archive:${oci}`]) {
      const b = fresh("bundle");
      const u = unpack(source, b);
      expect(u.stderr).toBe("");
      const r = md(stateRoot, ["run", "-b", b, `unpack-e2e-${n}`]);
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe("pid=1 user=0 cwd=/tmp greeting=hello\n");
      expect(r.code).toBe(0);
    }
  });
});

test("the binary under test is the built one", () => { expect(existsSync(BIN)).toBe(true); });
