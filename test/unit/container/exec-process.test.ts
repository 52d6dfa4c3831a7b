// exec's process: the container's process with the CLI's overrides (runc's newProcess), or a
// --process file; bad values name the flag or the field. Also which fds socket activation passes.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { listenFds } from "../../../src/container/create.ts";
import { type ExecOptions, execProcess } from "../../../src/container/exec.ts";
import type { Process } from "../../../src/spec/types.ts";

const base: Process = {
  terminal: true, consoleSize: { height: 10, width: 20 }, args: ["sleep", "9"], cwd: "/srv",
  env: ["PATH=/bin", "A=base"], user: { uid: 5, gid: 6, additionalGids: [7] },
  capabilities: { bounding: ["CAP_CHOWN"], effective: ["CAP_CHOWN"], permitted: ["CAP_CHOWN"] },
  noNewPrivileges: false,
};
const opts = (o: Partial<ExecOptions>): ExecOptions => ({ id: "c", args: ["sh"], env: [], additionalGids: [], caps: [], ...o });

describe("execProcess from flags", () => {
  test("keeps the container's process but args; terminal only with --tty; no consoleSize", () => {
    const p = execProcess(base, opts({ args: ["ls", "-l"] }));
    expect(p.args).toEqual(["ls", "-l"]);
    expect(p.terminal).toBe(false);
    expect(p.consoleSize).toBeUndefined();
    expect(p.cwd).toBe("/srv");
    expect(p.user).toEqual({ uid: 5, gid: 6, additionalGids: [7] });
    expect(execProcess(base, opts({ tty: true })).terminal).toBe(true);
    expect(base.args).toEqual(["sleep", "9"]); // the container's spec is not modified
  });

  test("env appended in order (later wins in the process), cwd, no-new-privs, labels", () => {
    const p = execProcess(base, opts({ env: ["A=1", "B=2"], cwd: "/tmp", noNewPrivs: true, apparmor: "prof", processLabel: "lbl" }));
    expect(p.env).toEqual(["PATH=/bin", "A=base", "A=1", "B=2"]);
    expect(p.cwd).toBe("/tmp");
    expect(p.noNewPrivileges).toBe(true);
    expect(p.apparmorProfile).toBe("prof");
    expect(p.selinuxLabel).toBe("lbl");
  });

  test("--user UID[:GID] (the process's gid kept when absent, as runc) and -g replace the ids", () => {
    expect(execProcess(base, opts({ user: "1000:1001" })).user).toEqual({ uid: 1000, gid: 1001, additionalGids: [7] });
    expect(execProcess(base, opts({ user: "1000" })).user).toEqual({ uid: 1000, gid: 6, additionalGids: [7] });
    expect(execProcess({ ...base, user: undefined }, opts({ user: "1000" })).user).toEqual({ uid: 1000, gid: 0 });
    expect(execProcess(base, opts({ additionalGids: [10, 20] })).user).toEqual({ uid: 5, gid: 6, additionalGids: [10, 20] });
  });

  test("bad --user values name the flag", () => {
    for (const user of ["root", "1000:", ":5", "1000:staff", "-1", "1:2:3"])
      expect(() => execProcess(base, opts({ user }))).toThrow(`exec --user "${user}"`);
  });

  test("-c adds to bounding, effective and permitted, once; never to inheritable (CVE-2022-29162)", () => {
    const caps = execProcess(base, opts({ caps: ["CAP_NET_RAW", "CAP_CHOWN"] })).capabilities!;
    for (const set of ["bounding", "effective", "permitted"] as const)
      expect(`${set} ${caps[set]}`).toBe(`${set} CAP_CHOWN,CAP_NET_RAW`);
    expect(caps.inheritable).toEqual(base.capabilities!.inheritable);
    expect(caps.ambient).toEqual(base.capabilities!.ambient);
  });

  test("-c adds to ambient only a cap that inheritable already has", () => {
    const withInh = { ...base, capabilities: { ...base.capabilities, inheritable: ["CAP_NET_RAW"], ambient: [] } };
    const caps = execProcess(withInh, opts({ caps: ["CAP_NET_RAW", "CAP_SYS_ADMIN"] })).capabilities!;
    expect(caps.inheritable).toEqual(["CAP_NET_RAW"]);
    expect(caps.ambient).toEqual(["CAP_NET_RAW"]);
  });

  test("no command and no --process", () => {
    expect(() => execProcess(base, opts({ args: [] }))).toThrow("arguments");
  });
});

describe("execProcess from --process FILE", () => {
  const dir = mkdtempSync(`${tmpdir()}/md-unit-exec-`);
  const file = (text: string) => {
    const path = `${dir}/p-${Math.random().toString(36).slice(2)}.json`;
    writeFileSync(path, text);
    return path;
  };

  test("the file's process as it is, flags ignored", () => {
    const p = execProcess(base, opts({ processFile: file(JSON.stringify({ args: ["id"], cwd: "/", terminal: true })), env: ["X=1"] }));
    expect(p.args).toEqual(["id"]);
    expect(p.terminal).toBe(true);
    expect(p.env).toBeUndefined();
  });

  test("malformed: the field, bad JSON, a missing file", () => {
    expect(() => execProcess(base, opts({ processFile: file(JSON.stringify({ args: ["id"], cwd: "/", user: { uid: "0", gid: 0 } })) })))
      .toThrow(/process\.json.*user\.uid/);
    expect(() => execProcess(base, opts({ processFile: file(JSON.stringify({ args: "id", cwd: "/" })) }))).toThrow(/process\.json.*args/);
    expect(() => execProcess(base, opts({ processFile: file("{ nope") }))).toThrow("process.json");
    expect(() => execProcess(base, opts({ processFile: `${dir}/missing.json` }))).toThrow(/missing\.json.*ENOENT/);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe("listenFds (socket activation)", () => {
  const saved = { fds: process.env.LISTEN_FDS, pid: process.env.LISTEN_PID };
  afterEach(() => {
    for (const [k, v] of [["LISTEN_FDS", saved.fds], ["LISTEN_PID", saved.pid]] as const)
      if (v === undefined) delete process.env[k]; else process.env[k] = v;
  });
  const withEnv = (fds?: string, pid?: string) => {
    if (fds === undefined) delete process.env.LISTEN_FDS; else process.env.LISTEN_FDS = fds;
    if (pid === undefined) delete process.env.LISTEN_PID; else process.env.LISTEN_PID = pid;
    return listenFds();
  };

  test("only for us: LISTEN_PID must be our pid", () => {
    expect(withEnv("2", String(process.pid))).toBe(2);
    expect(withEnv("2", String(process.pid + 1))).toBe(0);
    expect(withEnv("2", undefined)).toBe(0);
    expect(withEnv(undefined, String(process.pid))).toBe(0);
  });

  test("bad counts are none", () => {
    for (const bad of ["", "0", "-1", "1.5", "two"]) expect(`${bad}: ${withEnv(bad, String(process.pid))}`).toBe(`${bad}: 0`);
  });
});
