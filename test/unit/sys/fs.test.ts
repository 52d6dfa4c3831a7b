// sys/fs.ts against node:fs on temp files: the same answers, errors carrying node's `.code`.
import { afterEach, describe, expect, test } from "bun:test";
import * as node from "node:fs";
import * as fs from "../../../src/sys/fs.ts";
import { SysError } from "../../../src/sys/errors.ts";
import { O } from "../../../src/sys/linux.ts";

const temps: string[] = [];
afterEach(() => { for (const t of temps.splice(0)) node.rmSync(t, { recursive: true, force: true }); });
const tempDir = () => { const d = node.mkdtempSync("/tmp/md-fs-"); temps.push(d); return d; };

/** The error `run` throws (fails the test when it throws none). */
function thrown(run: () => unknown): SysError {
  try { run(); } catch (e) { return e as SysError; }
  throw new Error("expected an error");
}

describe("stat", () => {
  test("agrees with node's Stats on files, directories, symlinks, devices and fifos", () => {
    const d = tempDir();
    node.writeFileSync(`${d}/f`, "hello", { mode: 0o640 });
    node.mkdirSync(`${d}/dir`, { mode: 0o710 });
    node.symlinkSync("f", `${d}/link`);
    node.symlinkSync("nowhere", `${d}/dangling`);
    Bun.spawnSync(["mkfifo", `${d}/fifo`]);
    for (const p of [`${d}/f`, `${d}/dir`, `${d}/link`, `${d}/fifo`, "/dev/null", "/dev/loop-control", "/proc/self/status", d]) {
      if (!node.existsSync(p)) continue;
      for (const [mine, theirs] of [[fs.stat(p), node.statSync(p)], [fs.lstat(p), node.lstatSync(p)]] as const) {
        const pick = (s: typeof mine | typeof theirs) => ({
          mode: s.mode, uid: s.uid, gid: s.gid, size: s.size, ino: s.ino, nlink: s.nlink, dev: s.dev, rdev: s.rdev,
          mtimeMs: Math.round(s.mtimeMs), file: s.isFile(), dir: s.isDirectory(), link: s.isSymbolicLink(),
          chr: s.isCharacterDevice(), blk: s.isBlockDevice(), fifo: s.isFIFO(), sock: s.isSocket(),
        });
        expect({ p, ...pick(mine) }).toEqual({ p, ...pick(theirs) });
      }
    }
    expect(fs.lstat(`${d}/dangling`).isSymbolicLink()).toBe(true);
    expect(thrown(() => fs.stat(`${d}/dangling`)).code).toBe("ENOENT");
  });

  test("fstat of an open fd", () => {
    const d = tempDir();
    node.writeFileSync(`${d}/f`, "12345");
    const fd = fs.openFile(`${d}/f`, O.RDONLY);
    try {
      expect(fs.fstat(fd).size).toBe(5);
      expect(fs.fstat(fd).ino).toBe(node.statSync(`${d}/f`).ino);
    } finally { fs.closeFd(fd); }
  });

  test("tryStat and tryLstat: undefined where stat would throw", () => {
    const d = tempDir();
    node.symlinkSync("nowhere", `${d}/dangling`);
    expect(fs.tryStat(`${d}/dangling`)).toBeUndefined();
    expect(fs.tryLstat(`${d}/dangling`)?.isSymbolicLink()).toBe(true);
    expect(fs.tryStat(`${d}/missing/x`)).toBeUndefined();
    expect(fs.tryStat(d)?.ino).toBe(node.statSync(d).ino);
  });

  test("exists follows symlinks, as existsSync", () => {
    const d = tempDir();
    node.symlinkSync("nowhere", `${d}/dangling`);
    expect(fs.exists(d)).toBe(true);
    expect(fs.exists(`${d}/dangling`)).toBe(false);
    expect(fs.exists(`${d}/missing/x`)).toBe(false);
  });
});

describe("reading and writing", () => {
  test("proc and sys files (size 0) are read to their end", () => {
    expect(fs.readText("/proc/self/mountinfo")).toBe(node.readFileSync("/proc/self/mountinfo", "utf8"));
    expect(fs.readText("/proc/self/status")).toContain("Name:");
    const big = fs.readText("/proc/self/smaps");
    expect(big.length).toBeGreaterThan(8192); // more than one read(2)
  });

  test("writeText creates with the mode (under the umask), truncates, appends", () => {
    const d = tempDir();
    fs.writeText(`${d}/f`, "long content", { mode: 0o600 });
    expect(node.statSync(`${d}/f`).mode & 0o777).toBe(0o600);
    fs.writeText(`${d}/f`, "short");
    expect(node.readFileSync(`${d}/f`, "utf8")).toBe("short");
    fs.appendText(`${d}/f`, "+more");
    expect(fs.readText(`${d}/f`)).toBe("short+more");
    const bytes = new Uint8Array(300_000).map((_, i) => i % 251);
    fs.writeText(`${d}/bin`, bytes);
    expect(Buffer.compare(fs.readBytes(`${d}/bin`), Buffer.from(bytes))).toBe(0);
    expect(thrown(() => fs.writeText(`${d}/f`, "x", { flags: O.WRONLY | O.CREAT | O.EXCL })).code).toBe("EEXIST");
  });

  test("every fd is close-on-exec", () => {
    const d = tempDir();
    node.writeFileSync(`${d}/f`, "");
    const fd = fs.openFile(`${d}/f`, O.RDONLY);
    try {
      expect(fs.readText(`/proc/self/fdinfo/${fd}`)).toMatch(/flags:\s+0[0-7]*2[0-7]{6}\n/); // O_CLOEXEC 02000000
    } finally { fs.closeFd(fd); }
  });

  test("readAllFd reads a pipe (short reads) and a file to their end", () => {
    const d = tempDir();
    Bun.spawnSync(["mkfifo", `${d}/fifo`]);
    const writer = Bun.spawn(["sh", "-c", `for i in 1 2 3 4; do head -c 50000 /dev/zero; sleep 0.02; done > ${d}/fifo`]);
    const pipe = fs.openFile(`${d}/fifo`, O.RDONLY);
    try { expect(fs.readAllFd(pipe).length).toBe(200000); } finally { fs.closeFd(pipe); }
    writer.kill();
    node.writeFileSync(`${d}/f`, "x".repeat(70000));
    const fd = fs.openFile(`${d}/f`, O.RDONLY);
    try { expect(fs.readAllFd(fd).toString()).toBe("x".repeat(70000)); } finally { fs.closeFd(fd); }
  });

  test("errors carry the call, path and node's code", () => {
    const e = thrown(() => fs.readText("/no/such/file"));
    expect(e).toBeInstanceOf(SysError);
    expect(e.code).toBe("ENOENT");
    expect(e.message).toBe('open "/no/such/file": ENOENT (No such file or directory)');
    expect(thrown(() => fs.readText("/etc/hostname/x")).code).toBe("ENOTDIR");
    expect(thrown(() => fs.readDir("/etc/hostname")).code).toBe("ENOTDIR");
  });
});

describe("directories", () => {
  test("readDir lists what readdirSync lists, readDirEntries with the same types", () => {
    const d = tempDir();
    node.writeFileSync(`${d}/f`, "");
    node.mkdirSync(`${d}/sub`);
    node.symlinkSync("sub", `${d}/link`);
    Bun.spawnSync(["mkfifo", `${d}/fifo`]);
    for (let i = 0; i < 600; i++) node.writeFileSync(`${d}/many-${i}-${"n".repeat(40)}`, ""); // more than one getdents64
    expect(fs.readDir(d).sort()).toEqual(node.readdirSync(d).sort());
    const types = (entries: Array<{ name: string; isDirectory(): boolean; isFile(): boolean; isSymbolicLink(): boolean }>) =>
      entries.map((e) => `${e.name}:${e.isDirectory()}${e.isFile()}${e.isSymbolicLink()}`).sort();
    expect(types(fs.readDirEntries(d))).toEqual(types(node.readdirSync(d, { withFileTypes: true })));
    expect(types(fs.readDirEntries("/proc/self"))).toEqual(types(node.readdirSync("/proc/self", { withFileTypes: true })));
  });

  test("mkdirp makes the missing parents with the mode, accepts a directory, refuses a file", () => {
    const d = tempDir();
    fs.mkdirp(`${d}/a/b/c`, 0o711);
    for (const p of ["a", "a/b", "a/b/c"]) expect(node.statSync(`${d}/${p}`).mode & 0o777).toBe(0o711);
    fs.mkdirp(`${d}/a/b`);
    fs.mkdirp(`${d}/a/b/c/`);
    node.writeFileSync(`${d}/file`, "");
    expect(thrown(() => fs.mkdirp(`${d}/file`)).code).toBe("EEXIST");
    expect(thrown(() => fs.mkdirp(`${d}/file/x`)).code).toBe("ENOTDIR");
    expect(thrown(() => fs.mkdir(`${d}/a`)).code).toBe("EEXIST");
    expect(thrown(() => fs.mkdir(`${d}/x/y`)).code).toBe("ENOENT");
  });

  test("removeTree removes a tree and never follows a symlink out of it", () => {
    const d = tempDir();
    node.mkdirSync(`${d}/outside/keep`, { recursive: true });
    node.writeFileSync(`${d}/outside/keep/file`, "precious");
    node.mkdirSync(`${d}/tree/a/b`, { recursive: true });
    node.writeFileSync(`${d}/tree/a/b/f`, "");
    node.chmodSync(`${d}/tree/a/b/f`, 0);
    node.symlinkSync(`${d}/outside`, `${d}/tree/a/to-outside`);
    node.symlinkSync(`${d}/outside/keep/file`, `${d}/tree/to-file`);
    Bun.spawnSync(["mkfifo", `${d}/tree/a/fifo`]);
    fs.removeTree(`${d}/tree`);
    expect(node.existsSync(`${d}/tree`)).toBe(false);
    expect(node.readFileSync(`${d}/outside/keep/file`, "utf8")).toBe("precious");
    // the path itself a symlink to a directory: the link goes, the directory stays
    node.symlinkSync(`${d}/outside`, `${d}/link`);
    fs.removeTree(`${d}/link`);
    expect(node.existsSync(`${d}/link`)).toBe(false);
    expect(node.existsSync(`${d}/outside/keep/file`)).toBe(true);
    fs.removeTree(`${d}/missing`); // as rm -rf
    node.writeFileSync(`${d}/plain`, "");
    fs.removeTree(`${d}/plain`);
    expect(node.existsSync(`${d}/plain`)).toBe(false);
  });

  test("rmdir, unlink, unlinkIfExists, rename", () => {
    const d = tempDir();
    node.mkdirSync(`${d}/dir`);
    node.writeFileSync(`${d}/dir/f`, "");
    expect(thrown(() => fs.rmdir(`${d}/dir`)).code).toBe("ENOTEMPTY");
    fs.rename(`${d}/dir/f`, `${d}/g`);
    expect(node.existsSync(`${d}/g`)).toBe(true);
    fs.rmdir(`${d}/dir`);
    fs.unlink(`${d}/g`);
    expect(thrown(() => fs.unlink(`${d}/g`)).code).toBe("ENOENT");
    fs.unlinkIfExists(`${d}/g`);
    expect(thrown(() => fs.rename(`${d}/none`, `${d}/x`)).code).toBe("ENOENT");
  });
});

describe("links and modes", () => {
  test("symlink, readlink, realpath", () => {
    const d = tempDir();
    node.mkdirSync(`${d}/real/inner`, { recursive: true });
    fs.symlink("real", `${d}/link`);
    expect(node.readlinkSync(`${d}/link`)).toBe("real");
    expect(fs.readlink(`${d}/link`)).toBe("real");
    expect(fs.realpath(`${d}/link/inner/../inner`)).toBe(node.realpathSync(`${d}/link/inner/../inner`));
    expect(fs.realpath(`${d}/link`)).toBe(`${node.realpathSync(d)}/real`);
    expect(thrown(() => fs.realpath(`${d}/nothing`)).code).toBe("ENOENT");
    expect(thrown(() => fs.symlink("x", `${d}/link`)).code).toBe("EEXIST");
    expect(thrown(() => fs.readlink(`${d}/real`)).code).toBe("EINVAL");
  });

  test("chmod sets the bits exactly (no umask), access checks them", () => {
    const d = tempDir();
    node.writeFileSync(`${d}/f`, "");
    fs.chmod(`${d}/f`, 0o4755);
    expect(node.statSync(`${d}/f`).mode & 0o7777).toBe(0o4755);
    fs.access(`${d}/f`, fs.X_OK);
    fs.chmod(`${d}/f`, 0o644);
    if (process.getuid?.() === 0) expect(thrown(() => fs.access(`${d}/f`, fs.X_OK)).code).toBe("EACCES");
  });

  test("fchown and fsync on an fd", () => {
    const d = tempDir();
    node.writeFileSync(`${d}/f`, "");
    const fd = fs.openFile(`${d}/f`, O.RDWR);
    try {
      fs.fsync(fd);
      const { uid, gid } = node.statSync(`${d}/f`);
      fs.fchown(fd, uid, gid);
      if (process.getuid?.() === 0) {
        fs.fchown(fd, 1234, 5678);
        expect([node.statSync(`${d}/f`).uid, node.statSync(`${d}/f`).gid]).toEqual([1234, 5678]);
      }
    } finally { fs.closeFd(fd); }
  });
});

describe("openTrustedDir / readTrustedFileAt", () => {
  test("a root-owned 0700 directory under sticky /tmp is trusted, and its 0600 file is read", () => {
    const d = tempDir();
    node.writeFileSync(`${d}/f`, "ok", { mode: 0o600 });
    const fd = fs.openTrustedDir(d);
    try { expect(fs.readTrustedFileAt(fd, "f").toString()).toBe("ok"); } finally { fs.closeFd(fd); }
  });

  test("a fifo planted as the file is refused without blocking on open", () => {
    const d = tempDir();
    Bun.spawnSync(["mkfifo", "-m", "600", `${d}/f`]);
    const fd = fs.openTrustedDir(d);
    try {
      const e = thrown(() => fs.readTrustedFileAt(fd, "f", `${d}/f`));
      expect(e).toBeInstanceOf(fs.UntrustedPathError);
      expect(e.message).toBe(`"${d}/f": not trusted: not a regular file`);
    } finally { fs.closeFd(fd); }
  });

  test("relative paths and .. are refused; a missing directory is ENOENT", () => {
    expect(thrown(() => fs.openTrustedDir("tmp")).message).toMatch(/not an absolute path/);
    expect(thrown(() => fs.openTrustedDir("/tmp/../etc")).message).toMatch(/contains ".."/);
    expect(thrown(() => fs.openTrustedDir(`${tempDir()}/missing`)).code).toBe("ENOENT");
  });

  test("writeNewFileAt never follows or reuses an existing name", () => {
    const d = tempDir();
    node.writeFileSync(`${d}/target`, "keep");
    node.symlinkSync(`${d}/target`, `${d}/link`);
    const fd = fs.openTrustedDir(d);
    try {
      expect(thrown(() => fs.writeNewFileAt(fd, "link", "x", 0o600)).code).toBe("EEXIST");
      expect(thrown(() => fs.writeNewFileAt(fd, "target", "x", 0o600)).code).toBe("EEXIST");
      fs.writeNewFileAt(fd, "new", "x", 0o600);
    } finally { fs.closeFd(fd); }
    expect(node.readFileSync(`${d}/target`, "utf8")).toBe("keep");
    expect(node.statSync(`${d}/new`).mode & 0o777).toBe(0o600);
  });
});
