// Process fields seen from INSIDE a real container, for what scripts/diff-vs-runc cannot compare:
// fields runc 1.1.5 ignores (domainname, linux.personality, process.scheduler, process.ioPriority)
// and effects its probe does not show (no_new_privs on a setuid binary, the umask on new files,
// every rlimit type, a refused negative oomScoreAdj, additionalGids outside a user namespace's
// map). Needs root, runc on PATH (the rlimit comparison) and busybox-static.
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { spawnSync } from "bun";
import type { Spec } from "../../src/spec/types.ts";
import { leftovers, makeBundle, makeRoot, md, processesMentioning, removeBundle, uniqueId } from "./lib.ts";

const root = makeRoot();
const bundles: string[] = [];
afterAll(() => {
  for (const b of bundles) removeBundle(b);
  rmSync(root, { recursive: true, force: true });
});

function run(edit: (s: Spec) => void, args: string[], prepare?: (rootfs: string) => void) {
  const bundle = makeBundle(edit, args);
  bundles.push(bundle);
  prepare?.(`${bundle}/rootfs`);
  const id = uniqueId("pf");
  return { ...md(root, ["run", "-b", bundle, id]), id, bundle };
}
const sh = (script: string) => ["sh", "-c", script];
const lines = (text: string) => text.trim().split("\n");

// /proc/PID/stat after the comm field: [15] priority, [16] nice, [37] rt_priority, [38] policy
const STAT = "sed 's/^.*) //' /proc/self/stat | cut -d' ' -f16,17,38,39";
const statOf = (line: string) => {
  const [priority, nice, rtPriority, policy] = line.split(" ").map(Number);
  return { priority, nice, rtPriority, policy };
};

describe("domainname and personality", () => {
  test("domainname and hostname are set in the container's UTS namespace, not the host's", () => {
    const hostDomain = readFileSync("/proc/sys/kernel/domainname", "utf8");
    const r = run((s) => { s.hostname = "pf-host"; s.domainname = "pf.example.org"; },
      sh("cat /proc/sys/kernel/domainname; hostname; domainname 2>/dev/null || true"));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(lines(r.stdout).slice(0, 2)).toEqual(["pf.example.org", "pf-host"]);
    expect(readFileSync("/proc/sys/kernel/domainname", "utf8")).toBe(hostDomain);
  });

  test("linux.personality LINUX32: uname -m says i686 (x86_64 host), the persona survives execve", () => {
    const r = run((s) => { s.linux!.personality = { domain: "LINUX32" }; }, sh("uname -m; cat /proc/self/personality"));
    expect(r.stderr).toBe("");
    expect(lines(r.stdout)).toEqual([process.arch === "arm64" ? "armv8l" : "i686", "00000008"]);
  });

  test("linux.personality LINUX: the native machine", () => {
    const r = run((s) => { s.linux!.personality = { domain: "LINUX" }; }, sh("uname -m; cat /proc/self/personality"));
    expect(r.stderr).toBe("");
    expect(lines(r.stdout)).toEqual([process.arch === "arm64" ? "aarch64" : "x86_64", "00000000"]);
  });

  test("personality flags warn (the spec defines none) and the container still runs", () => {
    const r = run((s) => { s.linux!.personality = { domain: "LINUX32", flags: ["ADDR_NO_RANDOMIZE"] }; }, sh("cat /proc/self/personality"));
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe("00000008");
    expect(r.stderr).toContain("personality");
  });
});

describe("process.scheduler", () => {
  test("SCHED_BATCH nice 7 for uid 1000: /proc/self/stat and /proc/self/sched, kept by children", () => {
    const r = run((s) => {
      s.process!.user = { uid: 1000, gid: 1000 };
      s.process!.scheduler = { policy: "SCHED_BATCH", nice: 7 };
    }, sh(`${STAT}; grep '^policy' /proc/self/sched | tr -s ' '`));
    expect(r.stderr).toBe("");
    const [stat, sched] = lines(r.stdout);
    expect(statOf(stat!)).toEqual({ priority: 27, nice: 7, rtPriority: 0, policy: 3 });
    expect(sched).toBe("policy : 3");
  });

  test("a negative nice for a non-root user (set while init still has CAP_SYS_NICE)", () => {
    const r = run((s) => {
      s.process!.user = { uid: 1000, gid: 1000 };
      s.process!.scheduler = { policy: "SCHED_OTHER", nice: -5 };
    }, sh(STAT));
    expect(r.stderr).toBe("");
    expect(statOf(r.stdout.trim())).toEqual({ priority: 15, nice: -5, rtPriority: 0, policy: 0 });
  });

  test("SCHED_IDLE", () => {
    const r = run((s) => { s.process!.scheduler = { policy: "SCHED_IDLE" }; }, sh(STAT));
    expect(r.stderr).toBe("");
    expect(statOf(r.stdout.trim()).policy).toBe(5);
  });

  test("SCHED_FLAG_RESET_ON_FORK: the process keeps nice -3, its children start at nice 0", () => {
    const scheduler = { policy: "SCHED_BATCH", nice: -3, flags: ["SCHED_FLAG_RESET_ON_FORK"] };
    const r = run((s) => { s.process!.scheduler = scheduler; },
      sh(`sed 's/^.*) //' /proc/1/stat | cut -d' ' -f16,17,38,39; ${STAT}`));
    expect(r.stderr).toBe("");
    const [pid1, child] = lines(r.stdout);
    expect(statOf(pid1!)).toEqual({ priority: 17, nice: -3, rtPriority: 0, policy: 3 });
    expect(statOf(child!)).toEqual({ priority: 20, nice: 0, rtPriority: 0, policy: 3 });
  });

  test("SCHED_DEADLINE runtime/deadline/period (the process itself: a deadline task cannot fork)", () => {
    const r = run((s) => {
      s.process!.scheduler = { policy: "SCHED_DEADLINE", runtime: 1_000_000, deadline: 5_000_000, period: 10_000_000 };
    }, ["cat", "/proc/self/sched"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^policy\s+:\s+6$/m);
    expect(r.stdout).toMatch(/^prio\s+:\s+-1$/m);
  });

  // cgroup v1 with RT group scheduling: a new cgroup has rt_runtime_us 0 and refuses FIFO/RR.
  const rtGroupSched = existsSync("/sys/fs/cgroup/cpu/cpu.rt_runtime_us");
  test.if(rtGroupSched)("SCHED_FIFO priority 10 with linux.resources.cpu.realtimeRuntime (written before init joins)", () => {
    const cgroupsPath = `/md-rt-${process.pid}`;
    const r = run((s) => {
      s.linux!.cgroupsPath = cgroupsPath;
      s.linux!.resources = { cpu: { realtimeRuntime: 10_000, realtimePeriod: 1_000_000 } };
      s.process!.scheduler = { policy: "SCHED_FIFO", priority: 10 };
    }, sh(`${STAT}; cat /proc/self/cgroup | grep ':cpu'`));
    expect(r.stderr).toBe("");
    const [stat] = lines(r.stdout);
    expect(statOf(stat!)).toEqual({ priority: -11, nice: 0, rtPriority: 10, policy: 1 });
    expect(leftovers(root, r.id)).toEqual([]);
    expect(existsSync(`/sys/fs/cgroup/cpu${cgroupsPath}`)).toBe(false);
  });

  test.if(rtGroupSched)("SCHED_RR without realtime bandwidth fails naming the field and the way out, leaving nothing", () => {
    const r = run((s) => { s.process!.scheduler = { policy: "SCHED_RR", priority: 5 }; }, sh("true"));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('process.scheduler: sched_setattr \\"policy 2\\": EPERM');
    expect(r.stderr).toContain("linux.resources.cpu.realtimeRuntime");
    expect(leftovers(root, r.id)).toEqual([]);
    expect(processesMentioning(r.id)).toEqual([]);
  });
});

describe("process.ioPriority", () => {
  test("IOPRIO_CLASS_BE 6: ionice of pid 1 and of a child", () => {
    const r = run((s) => { s.process!.ioPriority = { class: "IOPRIO_CLASS_BE", priority: 6 }; }, sh("ionice -p 1; ionice"));
    expect(r.stderr).toBe("");
    expect(lines(r.stdout)).toEqual(["best-effort: prio 6", "best-effort: prio 6"]);
  });

  test("IOPRIO_CLASS_RT for uid 1000 (set before capabilities are dropped)", () => {
    const r = run((s) => {
      s.process!.user = { uid: 1000, gid: 1000 };
      s.process!.ioPriority = { class: "IOPRIO_CLASS_RT", priority: 2 };
    }, sh("ionice -p 1"));
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("realtime: prio 2");
  });

  test("IOPRIO_CLASS_IDLE", () => {
    const r = run((s) => { s.process!.ioPriority = { class: "IOPRIO_CLASS_IDLE" }; }, sh("ionice -p 1"));
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("idle");
  });
});

describe("oomScoreAdj, umask, noNewPrivileges, additionalGids", () => {
  test("oomScoreAdj 321 is the process's and its children's", () => {
    const r = run((s) => { s.process!.oomScoreAdj = 321; }, sh("cat /proc/1/oom_score_adj /proc/self/oom_score_adj"));
    expect(r.stderr).toBe("");
    expect(lines(r.stdout)).toEqual(["321", "321"]);
  });

  test("a negative oomScoreAdj needs CAP_SYS_RESOURCE: without it the error names the field and file (runc fails too)", () => {
    const capEff = BigInt(`0x${/^CapEff:\s+(\w+)/m.exec(readFileSync("/proc/self/status", "utf8"))![1]}`);
    const hasSysResource = (capEff & (1n << 24n)) !== 0n;
    const r = run((s) => { s.process!.oomScoreAdj = -500; }, sh("cat /proc/self/oom_score_adj"));
    if (hasSysResource) {
      expect(r.stderr).toBe("");
      expect(r.stdout.trim()).toBe("-500");
    } else {
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/process\.oomScoreAdj: write \\"\/proc\/\d+\/oom_score_adj\\": EACCES/);
      expect(leftovers(root, r.id)).toEqual([]);
    }
  });

  test("in a user namespace too: the runtime writes init's oom_score_adj, as runc's nsexec", () => {
    // init is non-dumpable there (joined or made by itself before Bun starts): its /proc files
    // belong to the host's root, not to the namespace's
    const r = run((s) => {
      s.linux!.namespaces!.push({ type: "user" });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.process!.oomScoreAdj = 321;
    }, sh("cat /proc/1/oom_score_adj /proc/self/oom_score_adj"));
    expect(r.stderr).toBe("");
    expect(lines(r.stdout)).toEqual(["321", "321"]);
  });

  test("umask 027 applies to files the process creates; unset is 0022", () => {
    const script = "umask; touch /dev/shm/f; mkdir /dev/shm/d; stat -c '%a' /dev/shm/f /dev/shm/d";
    const set = run((s) => { s.process!.user = { uid: 1000, gid: 1000, umask: 0o027 }; }, sh(script));
    expect(set.stderr).toBe("");
    expect(lines(set.stdout)).toEqual(["0027", "640", "750"]);
    const unset = run(() => {}, sh(script));
    expect(unset.stderr).toBe("");
    expect(lines(unset.stdout)).toEqual(["0022", "644", "755"]);
  });

  test("noNewPrivileges: a setuid-root binary gains no saved uid 0 (without it, it does)", () => {
    // busybox drops the effective uid of applets it does not mark setuid, but the saved uid shows the gain
    const suid = (rootfs: string) => {
      copyFileSync(`${rootfs}/bin/busybox`, `${rootfs}/bin/suid-busybox`);
      chmodSync(`${rootfs}/bin/suid-busybox`, 0o4755);
      mkdirSync(`${rootfs}/suid`);
      symlinkSync("/bin/suid-busybox", `${rootfs}/suid/grep`);
    };
    const probe = sh("/suid/grep -E '^(Uid|NoNewPrivs):' /proc/self/status");
    const user = { uid: 1000, gid: 1000 };
    const without = run((s) => { s.process!.user = user; s.process!.noNewPrivileges = false; }, probe, suid);
    expect(without.stderr).toBe("");
    expect(lines(without.stdout)).toEqual(["Uid:\t1000\t1000\t0\t1000", "NoNewPrivs:\t0"]);
    const withNnp = run((s) => { s.process!.user = user; s.process!.noNewPrivileges = true; }, probe, suid);
    expect(withNnp.stderr).toBe("");
    expect(lines(withNnp.stdout)).toEqual(["Uid:\t1000\t1000\t1000\t1000", "NoNewPrivs:\t1"]);
  });

  test("additionalGids replace the groups; in a user namespace an unmapped gid fails naming setgroups", () => {
    const ok = run((s) => { s.process!.user = { uid: 1000, gid: 1000, additionalGids: [5, 100, 65534] }; },
      sh("grep '^Groups:' /proc/self/status; id -G"));
    expect(ok.stderr).toBe("");
    expect(lines(ok.stdout)).toEqual(["Groups:\t5 100 65534 ", "1000 5 100 65534"]);

    const r = run((s) => {
      s.linux!.namespaces!.push({ type: "user" });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 1000 }];
      s.linux!.resources = undefined;
      s.mounts = s.mounts!.filter((m) => m.destination !== "/sys/fs/cgroup");
      s.process!.user = { uid: 0, gid: 0, additionalGids: [5, 2000] };
    }, sh("true"));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('setgroups \\"5,2000\\": EINVAL');
    expect(leftovers(root, r.id)).toEqual([]);
  });
});

describe("rlimits", () => {
  // Every type getrlimit(2) has, each with its own values (hard limits at or below the host's:
  // raising one needs CAP_SYS_RESOURCE; NICE and RTPRIO are 0 on Debian).
  const RLIMITS = [
    ["RLIMIT_CPU", 1000, 2000, "Max cpu time"], ["RLIMIT_FSIZE", 2 ** 30, 2 ** 31, "Max file size"],
    ["RLIMIT_DATA", 1 << 30, 2 ** 31 + 4096, "Max data size"], ["RLIMIT_STACK", 4 << 20, 16 << 20, "Max stack size"],
    ["RLIMIT_CORE", 0, 1 << 20, "Max core file size"], ["RLIMIT_RSS", 1 << 29, 1 << 30, "Max resident set"],
    ["RLIMIT_NPROC", 300, 400, "Max processes"], ["RLIMIT_NOFILE", 64, 128, "Max open files"],
    ["RLIMIT_MEMLOCK", 32768, 65536, "Max locked memory"], ["RLIMIT_AS", 2 ** 32, 2 ** 33, "Max address space"],
    ["RLIMIT_LOCKS", 50, 60, "Max file locks"], ["RLIMIT_SIGPENDING", 100, 200, "Max pending signals"],
    ["RLIMIT_MSGQUEUE", 100000, 200000, "Max msgqueue size"], ["RLIMIT_NICE", 0, 0, "Max nice priority"],
    ["RLIMIT_RTPRIO", 0, 0, "Max realtime priority"], ["RLIMIT_RTTIME", 500000, 1000000, "Max realtime timeout"],
  ] as const;
  const limitsOf = (text: string) => new Map(lines(text).slice(1).map((l) => {
    const [name, soft, hard] = [l.slice(0, 26).trim(), ...l.slice(26).trim().split(/\s+/)];
    return [name, `${soft} ${hard}`];
  }));

  test("all sixteen types, as /proc/self/limits shows them, the same as under runc", () => {
    const edit = (s: Spec) => { s.process!.rlimits = RLIMITS.map(([type, soft, hard]) => ({ type, soft, hard })); };
    const r = run(edit, ["cat", "/proc/self/limits"]);
    expect(r.stderr).toBe("");
    const ours = limitsOf(r.stdout);
    for (const [, soft, hard, name] of RLIMITS) expect(`${name} ${ours.get(name)}`).toBe(`${name} ${soft} ${hard}`);

    // runc run of the same bundle
    const bundle = makeBundle(edit, ["cat", "/proc/self/limits"]);
    bundles.push(bundle);
    const config = JSON.parse(readFileSync(`${bundle}/config.json`, "utf8"));
    config.linux.cgroupsPath = undefined;
    writeFileSync(`${bundle}/config.json`, JSON.stringify(config));
    const runc = spawnSync(["runc", "--root", `${root}/runc`, "run", "-b", bundle, uniqueId("pf-runc")], { stdin: "ignore" });
    expect(runc.stderr.toString()).toBe("");
    expect(ours).toEqual(limitsOf(runc.stdout.toString()));
  });

  test("limits are enforced: RLIMIT_NOFILE 8 refuses fd 8, RLIMIT_FSIZE 4096 cuts a write", () => {
    const nofile = run((s) => { s.process!.rlimits = [{ type: "RLIMIT_NOFILE", soft: 8, hard: 8 }]; },
      sh("exec 3</dev/null 4</dev/null 5</dev/null 6</dev/null 7</dev/null && echo fd-7; exec 8</dev/null; echo fd-8"));
    expect(nofile.stdout).toBe("fd-7\n");
    expect(nofile.stderr).toBe("sh: can't open /dev/null: Too many open files\n");
    const fsize = run((s) => { s.process!.rlimits = [{ type: "RLIMIT_FSIZE", soft: 4096, hard: 4096 }]; },
      sh("trap '' XFSZ; head -c 8192 /dev/zero > /dev/shm/big; stat -c %s /dev/shm/big"));
    expect(fsize.stderr).toBe("head: standard output: File too large\n");
    expect(fsize.stdout).toBe("4096\n");
  });

  test("a tiny RLIMIT_NOFILE and RLIMIT_AS still start the container (init sets them after its rootfs, as runc)", () => {
    const r = run((s) => {
      s.process!.rlimits = [{ type: "RLIMIT_NOFILE", soft: 6, hard: 6 }, { type: "RLIMIT_AS", soft: 64 << 20, hard: 64 << 20 }];
    }, ["cat", "/proc/self/limits"]);
    expect(r.stderr).toBe("");
    const limits = limitsOf(r.stdout);
    expect(limits.get("Max open files")).toBe("6 6");
    expect(limits.get("Max address space")).toBe(`${64 << 20} ${64 << 20}`);
  });

  // A uid nobody else on the host runs as: RLIMIT_NPROC counts every process of the uid, host-wide
  // (other tests' uid-1000 processes made this fail on a busy machine).
  test("RLIMIT_NPROC 1 for an otherwise unused uid: execve is not refused (the exec'ing thread changes uid first)", () => {
    const r = run((s) => {
      s.process!.user = { uid: 47123, gid: 47123 };
      s.process!.rlimits = [{ type: "RLIMIT_NPROC", soft: 1, hard: 1 }];
    }, ["id", "-u"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("47123\n");
  });
});
