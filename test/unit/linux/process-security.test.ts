import { describe, expect, test } from "bun:test";
import { applyProcessSecurity } from "../../../src/linux/process-security.ts";
import { FakeProcessSys } from "./fake-process-sys.ts";

const proc = {
  user: { uid: 1000, gid: 1000, umask: 0o027 },
  env: ["PATH=/bin"],
  capabilities: { bounding: ["CAP_NET_BIND_SERVICE", "CAP_SETPCAP"], permitted: ["CAP_NET_BIND_SERVICE"],
    effective: ["CAP_NET_BIND_SERVICE"], inheritable: ["CAP_NET_BIND_SERVICE"], ambient: ["CAP_NET_BIND_SERVICE"] },
  rlimits: [{ type: "RLIMIT_NOFILE", soft: 100, hard: 200 }],
  oomScoreAdj: 100,
  scheduler: { policy: "SCHED_BATCH" },
  ioPriority: { class: "IOPRIO_CLASS_BE", priority: 3 },
};

/** The call sequence with the bounding-set drops folded into one entry. */
function sequence(sys: FakeProcessSys, marks: string[]) {
  const names = sys.names().filter((name, i, all) =>
    !(name.startsWith("prctl PR_CAPBSET_DROP") && all[i - 1]?.startsWith("prctl PR_CAPBSET_DROP")));
  return names.map((name) => (name.startsWith("prctl PR_CAPBSET_DROP") ? "bounding drops" : name)).concat(marks);
}

describe("applyProcessSecurity", () => {
  test("runc's order, seccomp last (late(), right before execve) with noNewPrivileges", () => {
    const sys = new FakeProcessSys();
    sys.pdeathsig = 9;
    const marks: string[] = [];
    const loadSeccomp = () => marks.push(`seccomp after ${sys.calls.length} calls`);
    const { env, warnings, late } = applyProcessSecurity({ ...proc, noNewPrivileges: true },
      { sys, loadSeccomp, giveStdio: false, personality: { domain: "LINUX" } });
    expect(marks).toEqual([]); // not yet: init loads it after the exec.fifo wait
    late();
    expect(warnings).toEqual([]);
    expect(env).toEqual(["PATH=/bin", "HOME=/"]);
    const calls = sys.calls.length;
    expect(sequence(sys, [])).toEqual([
      "prlimit", "writeFile", "umask", "prctl PR_SET_NO_NEW_PRIVS", "schedSetattr", "ioprioSet",
      "capget", "bounding drops", "prctl PR_SET_KEEPCAPS 1", "setgroups", "setresgid", "setresuid",
      "prctl PR_SET_KEEPCAPS 0", "capset", "prctl PR_CAP_AMBIENT_CLEAR_ALL",
      "prctl PR_CAP_AMBIENT_RAISE CAP_NET_BIND_SERVICE", "prctl PR_SET_PDEATHSIG", "personality",
    ]);
    expect(marks).toEqual([`seccomp after ${calls} calls`]); // after everything, personality included
  });

  test("without noNewPrivileges (or with seccompEarly) seccomp comes before the capabilities are dropped", () => {
    const sys = new FakeProcessSys();
    const marks: string[] = [];
    applyProcessSecurity(proc, { sys, giveStdio: false, loadSeccomp: () => marks.push(sys.names().at(-1)!) }).late();
    expect(marks).toEqual(["ioprioSet"]);
    const early = new FakeProcessSys();
    const earlyMarks: string[] = [];
    applyProcessSecurity({ ...proc, noNewPrivileges: true }, { sys: early, giveStdio: false, seccompEarly: true, loadSeccomp: () => earlyMarks.push(early.names().at(-1)!) }).late();
    expect(earlyMarks).toEqual(["ioprioSet"]);
    expect(sys.names()).not.toContain("prctl PR_SET_NO_NEW_PRIVS");
    expect(sys.names()).not.toContain("prctl PR_SET_PDEATHSIG"); // none to restore
  });

  test("rlimits set by the parent are not set again; warnings are collected", () => {
    const sys = new FakeProcessSys();
    const { warnings } = applyProcessSecurity(
      { ...proc, capabilities: { bounding: ["CAP_NOPE"] } },
      { sys, giveStdio: false, rlimitsSetByParent: true, personality: { flags: ["X"] } });
    expect(sys.names()).not.toContain("prlimit");
    expect(warnings).toEqual([
      "ignoring unknown or unavailable capabilities: CAP_NOPE",
      "ignoring personality flags X: the runtime spec defines none",
    ]);
  });

  test("a failing step stops everything after it", () => {
    const sys = new FakeProcessSys();
    sys.failures.set("setresuid", 1);
    expect(() => applyProcessSecurity(proc, { sys, giveStdio: false })).toThrow('setresuid "1000": EPERM');
    expect(sys.names()).not.toContain("capset");
  });

  test("beforeSwitch (init's privileged chdir) runs before the early seccomp load and the user switch; afterSwitch right after it", () => {
    const sys = new FakeProcessSys();
    const marks: string[] = [];
    const mark = (what: string) => () => marks.push(`${what} after ${sys.names().at(-1)}`);
    applyProcessSecurity(proc, {
      sys, giveStdio: false, loadSeccomp: mark("seccomp"), beforeSwitch: mark("beforeSwitch"), afterSwitch: mark("afterSwitch"),
    }).late();
    expect(marks).toEqual(["beforeSwitch after ioprioSet", "seccomp after ioprioSet", "afterSwitch after prctl PR_CAP_AMBIENT_RAISE CAP_NET_BIND_SERVICE"]);
  });
});
