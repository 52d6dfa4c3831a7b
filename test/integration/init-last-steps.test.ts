// What init does last, before the user's process runs, and what `exec` sets up for its process,
// each seen from inside a real container and compared with runc 1.1.5 (MINIDOCKER_BIN=runc runs
// this file under runc; the tests marked "better than runc" say where runc differs):
// - after the seccomp filter is loaded init needs no syscall the profile may deny (close_range),
//   and startContainer hooks run under the filter;
// - an execve failure after `start` opened the fifo fails `start`;
// - init and exec'd processes get their own session (`kill 0` stays in the container);
// - cwd: entered while privileged, created when missing;
// - env: one entry per name, the last value wins;
// - `exec --cap` never adds to the inheritable set (CVE-2022-29162).
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, chownSync, mkdirSync } from "node:fs";
import type { Spec } from "../../src/spec/types.ts";
import { BIN, leftovers, md, uniqueId } from "./lib.ts";
import { testScope } from "./scope.ts";

setDefaultTimeout(30_000);

const { root, bundle, track } = testScope("init-last");
const underRunc = /(^|\/)runc$/.test(BIN);

const denying = (names: string[], nnp: boolean) => (s: Spec) => {
  s.process!.noNewPrivileges = nnp;
  s.linux!.seccomp = { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names, action: "SCMP_ACT_ERRNO" }] };
};

describe("after the seccomp filter is loaded, init needs only execve", () => {
  for (const nnp of [false, true]) {
    test(`close_range denied, noNewPrivileges ${nnp}: run and create+start run the process`, () => {
      const b = bundle(denying(["close_range"], nnp), ["sh", "-c", "echo hello"]);
      const run = md(root, ["run", "-b", b, uniqueId("cr")]);
      expect(run.stderr).toBe("");
      expect(run.stdout).toBe("hello\n");
      expect(run.code).toBe(0);
      const id = track(uniqueId("cr"));
      expect(md(root, ["create", "-b", b, id]).code).toBe(0);
      const start = md(root, ["start", id]);
      expect(start.stderr + start.stdout).toBe("");
      expect(start.code).toBe(0);
      md(root, ["delete", "--force", id]);
    });

    test(`startContainer hooks run under the filter (noNewPrivileges ${nnp}): a denied mkdir fails the hook`, () => {
      const b = bundle((s) => {
        denying(["mkdir", "mkdirat"], nnp)(s);
        s.root!.readonly = false;
        s.hooks = { startContainer: [{ path: "/bin/sh", args: ["sh", "-c", "mkdir /hook-made-this"] }] };
      }, ["sh", "-c", "echo ran"]);
      const id = uniqueId("hk");
      const r = md(root, ["run", "-b", b, id]);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain("Operation not permitted");
      expect(r.code).toBe(1);
      expect(leftovers(root, id)).toEqual([]);
    });
  }

  test("a startContainer hook leaves no fd to the process: it has 0, 1, 2 only (and ls its directory)", () => {
    const b = bundle((s) => {
      denying(["close_range"], false)(s);
      s.hooks = { startContainer: [{ path: "/bin/true", args: ["true"] }] };
    }, ["ls", "/proc/self/fd"]);
    const r = md(root, ["run", "-b", b, uniqueId("fd")]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("0\n1\n2\n3\n"); // 3: the directory ls reads
  });

  test("better than runc: an execve refused after `start` opened the fifo fails `start`, naming it", () => {
    if (underRunc) return; // runc's start exits 0; the error goes to the container's stderr only
    const b = bundle(denying(["execve"], false), ["echo", "hi"]);
    const id = track(uniqueId("ex"));
    expect(md(root, ["create", "-b", b, id]).code).toBe(0);
    const start = md(root, ["start", id]);
    expect(start.stderr).toContain("/usr/sbin/echo");
    expect(start.stderr).toContain("EPERM");
    expect(start.code).toBe(1);
    expect(JSON.parse(md(root, ["state", id]).stdout).status).toBe("stopped");
    // run: the same error, once, and nothing left
    const runId = uniqueId("ex");
    const run = md(root, ["run", "-b", b, runId]);
    expect(run.code).toBe(1);
    expect(run.stderr.match(/EPERM/g)).toHaveLength(1);
    expect(leftovers(root, runId)).toEqual([]);
  });
});

describe("a session of its own", () => {
  test("`kill -USR1 0` in the container does not reach the caller's process group", () => {
    const b = bundle(() => {}, ["sh", "-c", "kill -USR1 0; sleep 0.2; echo sent; cut -d' ' -f5,6 /proc/1/stat"]);
    // in a new session, so that the old behaviour kills only this wrapper and its sleep
    const script = 'sleep 30 & s=$!; "$0" --root "$1" run -b "$2" "$3"; echo "run=$?"; ' +
      'kill -0 $s 2>/dev/null && echo sibling-alive; kill $s 2>/dev/null; true';
    const p = Bun.spawnSync(["setsid", "-w", "sh", "-c", script, BIN, root, b, uniqueId("sid")], { timeout: 20_000 });
    expect(p.stdout.toString()).toBe("sent\n1 1\nrun=0\nsibling-alive\n");
  });

  test("exec: the process leads its own session and process group", () => {
    const id = track(uniqueId("sid"));
    expect(md(root, ["run", "-d", "-b", bundle(() => {}, ["sleep", "30"]), id]).code).toBe(0);
    const r = md(root, ["exec", id, "sh", "-c", 'echo $$ $(cut -d" " -f5,6 /proc/$$/stat)']);
    expect(r.stderr).toBe("");
    const [pid, pgrp, session] = r.stdout.trim().split(" ");
    expect(`${pgrp} ${session}`).toBe(`${pid} ${pid}`);
  });
});

describe("process.cwd", () => {
  test("exec --user 0 into a cwd only the container's user may enter: entered while privileged", () => {
    const b = bundle((s) => {
      s.process!.user = { uid: 1000, gid: 1000 };
      s.process!.cwd = "/home/u";
    }, ["sleep", "30"]);
    mkdirSync(`${b}/rootfs/home/u`, { recursive: true });
    chownSync(`${b}/rootfs/home/u`, 1000, 1000);
    chmodSync(`${b}/rootfs/home/u`, 0o700);
    const id = track(uniqueId("cwd"));
    expect(md(root, ["run", "-d", "-b", b, id]).code).toBe(0);
    const r = md(root, ["exec", "--user", "0", id, "sh", "-c", "pwd; id -u"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("/home/u\n0\n");
    // the user itself still gets there
    expect(md(root, ["exec", id, "pwd"]).stdout).toBe("/home/u\n");
  });

  test("a missing cwd is created inside the root, mode 0755 (also with a read-only root)", () => {
    for (const readonly of [false, true]) {
      const b = bundle((s) => {
        s.root!.readonly = readonly;
        s.process!.cwd = "/made/by/init";
      }, ["sh", "-c", "pwd; stat -c '%a %u' /made/by/init /made"]);
      const r = md(root, ["run", "-b", b, uniqueId("cwd")]);
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe("/made/by/init\n755 0\n755 0\n");
    }
  });
});

describe("process.env", () => {
  test("exec --env PATH=… replaces the container's PATH: one entry, the new value", () => {
    const id = track(uniqueId("env"));
    expect(md(root, ["run", "-d", "-b", bundle(() => {}, ["sleep", "30"]), id]).code).toBe(0);
    // the process's own environ (a shell would merge duplicates itself)
    const r = md(root, ["exec", "--env", "PATH=/custom:/bin:/usr/bin", "--env", "X=1", id, "cat", "/proc/self/environ"]);
    expect(r.stderr).toBe("");
    expect(r.stdout.split("\0").filter(Boolean)).toEqual(["PATH=/custom:/bin:/usr/bin", "TERM=xterm", "X=1", "HOME=/root"]);
  });

  test("duplicates in process.env: one entry per name, where it first appears, with the last value", () => {
    const b = bundle((s) => { s.process!.env = ["A=1", "PATH=/bin", "B=2", "A=3", "HOME=/h", "B=4"]; }, ["env"]);
    const r = md(root, ["run", "-b", b, uniqueId("env")]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("A=3\nPATH=/bin\nB=4\nHOME=/h\n");
  });
});

describe("exec --cap (CVE-2022-29162)", () => {
  const caps = (status: string) => Object.fromEntries(status.trim().split("\n").map((l) => {
    const [name, hex] = l.split(/:\s+/);
    return [name, BigInt(`0x${hex}`)];
  }));
  const has = (mask: bigint | undefined, bit: bigint) => ((mask ?? 0n) >> bit) & 1n;
  const CAP_SYS_ADMIN = 21n, CAP_NET_RAW = 13n;

  test("bounding, effective and permitted get the capability; inheritable and ambient do not", () => {
    const id = track(uniqueId("cap"));
    expect(md(root, ["run", "-d", "-b", bundle(() => {}, ["sleep", "30"]), id]).code).toBe(0);
    const r = md(root, ["exec", "--cap", "CAP_SYS_ADMIN", id, "grep", "^Cap", "/proc/self/status"]);
    expect(r.stderr).toBe("");
    const c = caps(r.stdout);
    expect([has(c.CapBnd, CAP_SYS_ADMIN), has(c.CapEff, CAP_SYS_ADMIN), has(c.CapPrm, CAP_SYS_ADMIN)]).toEqual([1n, 1n, 1n]);
    expect(c.CapInh).toBe(0n);
    expect(c.CapAmb).toBe(0n);
  });

  test("ambient only where the process's inheritable set already has the capability", () => {
    const id = track(uniqueId("cap"));
    const b = bundle((s) => {
      s.process!.user = { uid: 1000, gid: 1000 };
      // an inheritable cap must be in the bounding set (else capset fails, runc too)
      const caps = s.process!.capabilities!;
      for (const set of [caps.bounding!, caps.effective!, caps.permitted!]) set.push("CAP_NET_RAW");
      caps.inheritable = ["CAP_NET_RAW"];
    }, ["sleep", "30"]);
    expect(md(root, ["run", "-d", "-b", b, id]).code).toBe(0);
    const r = md(root, ["exec", "--cap", "CAP_NET_RAW", "--cap", "CAP_SYS_ADMIN", id, "grep", "^Cap", "/proc/self/status"]);
    expect(r.stderr).toBe("");
    const c = caps(r.stdout);
    expect(c.CapInh).toBe(1n << CAP_NET_RAW);
    expect(c.CapAmb).toBe(1n << CAP_NET_RAW);
    // uid 1000: effective comes from ambient, so SYS_ADMIN is not in it; permitted neither
    expect(has(c.CapEff, CAP_SYS_ADMIN)).toBe(0n);
    expect(has(c.CapEff, CAP_NET_RAW)).toBe(1n);
  });
});
