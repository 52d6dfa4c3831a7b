// NOTIFY_SOCKET (sd_notify) through the container, as runc 1.1.5: the runtime binds its own socket
// into the container at /run/notify/notify.sock and relays READY=1 with MAINPID=<host pid> to the
// caller's socket; run -d and start return only once the container is ready. The caller here is
// a datagram receiver (test/fixtures/notify-receiver.py, systemd's side), the sender in the
// container a static sd-notify (test/fixtures/sd-notify.c: busybox has none).
import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import type { Spec } from "../../src/spec/types.ts";
import { BIN, leftovers, md, REPO, uniqueId } from "./lib.ts";
import { testScope } from "./scope.ts";

// python's start and a 2 s sleep in the container, on a busy 2-core machine
setDefaultTimeout(120_000);

const { root, scratch, bundle: scopedBundle, track } = testScope("notify");
const SD_NOTIFY = `${scratch}/sd-notify`;

beforeAll(() => {
  // a test that cannot build its sender fails (gcc and libc.a are build dependencies already)
  const cc = Bun.spawnSync(["gcc", "-static", "-O2", "-o", SD_NOTIFY, `${REPO}/test/fixtures/sd-notify.c`], { stderr: "pipe" });
  if (cc.exitCode !== 0) throw new Error(`gcc -static sd-notify.c: ${cc.stderr}`);
});

/** A bundle whose rootfs has /bin/sd-notify; config.json's own NOTIFY_SOCKET must be overridden. */
function bundle(script: string, edit: (s: Spec) => void = () => {}): string {
  const b = scopedBundle((s) => {
    s.process!.env = [...(s.process!.env ?? []), "NOTIFY_SOCKET=/from/config.json"];
    edit(s);
  }, ["sh", "-c", script]);
  copyFileSync(SD_NOTIFY, `${b}/rootfs/bin/sd-notify`);
  return b;
}

interface Datagram { t: number; data: string; fds?: number }

/** A NOTIFY_SOCKET listener (a path, or "@name": abstract), as systemd's. */
async function receiver(address: string) {
  const out = `${scratch}/received-${uniqueId("r")}.jsonl`;
  const p = Bun.spawn(["python3", `${REPO}/test/fixtures/notify-receiver.py`, address, out], { stdin: "ignore", stdout: "inherit", stderr: "inherit" });
  const datagrams = (): Datagram[] => {
    try {
      return readFileSync(out, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l)).filter((d: Datagram) => d.data !== "LISTENING");
    } catch { return []; }
  };
  for (let i = 0; i < 600 && !(existsSync(out) && readFileSync(out, "utf8").includes("LISTENING")); i++) await Bun.sleep(50);
  if (!existsSync(out)) throw new Error("notify-receiver.py did not start");
  return {
    datagrams,
    /** every line received, in order, whatever the datagram boundaries (runc sends READY and MAINPID apart) */
    lines: () => datagrams().flatMap((d) => d.data.split("\n")).filter(Boolean),
    async stop() { p.kill(9); await p.exited; },
  };
}

const state = (id: string, bin = BIN) => JSON.parse(md(root, ["state", id], { bin }).stdout);

// what the container reports about its notify socket, before it notifies
const SEEN = `env | grep NOTIFY_SOCKET; test -S /run/notify/notify.sock && echo socket; grep ' /run/notify ' /proc/self/mounts | cut -d' ' -f2,4 | cut -d, -f1-4`;
const EXPECTED_SEEN = "NOTIFY_SOCKET=/run/notify/notify.sock\nsocket\n/run/notify ro,nosuid,nodev,noexec\n";

describe("NOTIFY_SOCKET", () => {
  for (const runtime of ["minidocker", "runc"] as const) {
    test(`${runtime}: run -d returns only after READY=1, relayed with MAINPID = the container's host pid; the container sees /run/notify/notify.sock`, async () => {
      const r = await receiver(`${scratch}/host-${runtime}.sock`);
      try {
        const id = track(uniqueId(`ready-${runtime}`));
        const b = bundle(`${SEEN}; sleep 2; sd-notify READY=1 STATUS=up; sleep 60`);
        const t0 = Date.now();
        const bin = runtime === "runc" ? "runc" : BIN;
        const run = md(root, ["run", "-d", "-b", b, id], { env: { NOTIFY_SOCKET: `${scratch}/host-${runtime}.sock` }, bin });
        const returned = Date.now();
        expect(run.stderr).toBe("");
        expect(run.code).toBe(0);
        expect(run.stdout).toBe(EXPECTED_SEEN);
        expect(returned - t0).toBeGreaterThanOrEqual(2000); // waited for the container's sleep 2
        const pid = state(id, bin).pid;
        expect(pid).toBeGreaterThan(0);
        // runc 1.1.5 has no barrier: its MAINPID may still be on the way when it returns
        for (let i = 0; i < 100 && !r.lines().includes(`MAINPID=${pid}`); i++) await Bun.sleep(50);
        // runc relays the READY line alone; we relay READY's datagram whole (STATUS= shows in systemctl status)
        const expected = runtime === "runc" ? ["READY=1", `MAINPID=${pid}`] : ["READY=1", "STATUS=up", `MAINPID=${pid}`];
        expect(r.lines().filter((l) => !l.startsWith("BARRIER="))).toEqual(expected);
        const ready = r.datagrams().find((d) => d.data.startsWith("READY=1"))!;
        expect(ready.t * 1000).toBeLessThanOrEqual(returned + 50); // relayed before run -d returned
        md(root, ["delete", "-f", id], { bin });
      } finally {
        await r.stop();
      }
    });
  }

  test("create + start: start waits for READY=1 and relays it to an abstract socket (@name)", async () => {
    const address = `@${uniqueId("minidocker-notify-test")}`;
    const r = await receiver(address);
    try {
      const id = track(uniqueId("start"));
      const b = bundle("sleep 1; sd-notify READY=1; sleep 60");
      expect(md(root, ["create", "-b", b, id], { env: { NOTIFY_SOCKET: address } }).code).toBe(0);
      expect(r.lines()).toEqual([]);
      const t0 = Date.now();
      const start = md(root, ["start", id], { env: { NOTIFY_SOCKET: address } });
      expect(start.stderr).toBe("");
      expect(start.code).toBe(0);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
      const pid = state(id).pid;
      expect(r.datagrams()[0]!.data).toBe(`READY=1\nMAINPID=${pid}\n`);
      expect(r.datagrams()[1]).toMatchObject({ data: "BARRIER=1", fds: 1 });
      expect(md(root, ["delete", "-f", id]).code).toBe(0);
      expect(leftovers(root, id)).toEqual([]);
    } finally {
      await r.stop();
    }
  });

  test("foreground run: READY=1 goes on with MAINPID = the runtime's own pid (as runc), later messages too; the exit code is the container's", async () => {
    const address = `${scratch}/host-fg.sock`;
    const r = await receiver(address);
    try {
      const id = track(uniqueId("fg"));
      const b = bundle("sd-notify STATUS=starting; sleep 0.5; sd-notify READY=1; sleep 0.5; sd-notify STATUS=working MAINPID=1; sleep 0.5; exit 3");
      const p = Bun.spawn([BIN, "--root", root, "run", "-b", b, id], { stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { ...process.env, NOTIFY_SOCKET: address } });
      const code = await p.exited;
      expect(await new Response(p.stderr).text()).toBe("");
      expect(code).toBe(3);
      // MAINPID=1 from the container names its own pid namespace: not relayed
      expect(r.datagrams().map((d) => d.data)).toEqual(["STATUS=starting\n", `READY=1\nMAINPID=${p.pid}\n`, "STATUS=working\n"]);
      expect(leftovers(root, id)).toEqual([]);
    } finally {
      await r.stop();
    }
  });

  test("the process exits without READY=1: run -d and start fail with one line instead of waiting", async () => {
    const address = `${scratch}/host-exit.sock`;
    const r = await receiver(address);
    try {
      const id = track(uniqueId("exit"));
      const run = md(root, ["run", "-d", "-b", bundle("sleep 0.3; exit 0"), id], { env: { NOTIFY_SOCKET: address } });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain("the container's process exited before it sent READY=1 to NOTIFY_SOCKET");
      expect(state(id).status).toBe("stopped");
      expect(r.lines()).toEqual([]);
      md(root, ["delete", id]);

      const id2 = track(uniqueId("exit-start"));
      expect(md(root, ["create", "-b", bundle("exit 0"), id2], { env: { NOTIFY_SOCKET: address } }).code).toBe(0);
      const start = md(root, ["start", id2], { env: { NOTIFY_SOCKET: address } });
      expect(start.code).toBe(1);
      expect(start.stderr).toContain("exited before it sent READY=1");
      md(root, ["delete", id2]);
    } finally {
      await r.stop();
    }
  });

  test("NOTIFY_SOCKET that nobody listens on: run fails before the process runs, naming it; nothing left behind", () => {
    const id = uniqueId("nolistener");
    const b = bundle("touch /mnt/ran; sd-notify READY=1", (s) => s.mounts!.push({ destination: "/mnt", source: scratch, options: ["bind"] }));
    const run = md(root, ["run", "-d", "-b", b, id], { env: { NOTIFY_SOCKET: `${scratch}/nobody.sock` } });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`NOTIFY_SOCKET \\"${scratch}/nobody.sock\\": connect`);
    expect(run.stderr).toContain("ENOENT");
    expect(existsSync(`${scratch}/ran`)).toBe(false);
    expect(leftovers(root, id)).toEqual([]);
  });

  test("without NOTIFY_SOCKET: no /run/notify, config.json's NOTIFY_SOCKET untouched", () => {
    const id = track(uniqueId("none"));
    const run = md(root, ["run", "-b", bundle("env | grep NOTIFY_SOCKET; grep -c ' /run/notify ' /proc/self/mounts"), id]);
    expect(run.stdout).toBe("NOTIFY_SOCKET=/from/config.json\n0\n");
  });
});
