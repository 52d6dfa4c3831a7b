import { describe, expect, test } from "bun:test";
import { compileSeccomp } from "../../../src/linux/seccomp/index.ts";
import { BUILTIN_ARCHES, SECCOMP_FILTER_FLAG, SECCOMP_RET } from "../../../src/linux/seccomp/constants.ts";
import { assemble, BPF, decode, type Item } from "../../../src/linux/seccomp/bpf.ts";
import { runSeccompProgram } from "../../../src/linux/seccomp/interpreter.ts";
import { libseccompSyscallNumber, libseccompVersion } from "../../../src/linux/seccomp/libseccomp.ts";
import type { LinuxSeccomp } from "../../../src/linux/seccomp/types.ts";
import { PROFILES, differential } from "./differential.ts";

const BACKENDS = ["libseccomp", "builtin"] as const;
const X86_64 = 0xc000003e;

test("libseccomp is present on this machine (Debian package libseccomp2)", () => {
  expect(libseccompVersion()).toMatch(/^2\.\d+\.\d+$/);
});

describe("differential: libseccomp vs builtin, same SECCOMP_RET for every probe", () => {
  const rows: string[] = [];
  for (const [name, profile] of Object.entries(PROFILES)) {
    test(name, () => {
      const r = differential(name, profile);
      rows.push(`| ${name} | ${r.probes} | ${r.same} | ${r.differences.length} | ${r.instructions.libseccomp} | ${r.instructions.builtin} |`);
      const shown = r.differences.slice(0, 5).map((d) =>
        `${d.probe.arch} nr=${d.probe.nr} args=${d.probe.args.join(",")}: libseccomp 0x${d.libseccomp.toString(16)} builtin 0x${d.builtin.toString(16)}`);
      expect(shown).toEqual([]);
      expect(r.same).toBe(r.probes);
    });
  }
  test("table", () => {
    console.log(`\nseccomp differential (libseccomp ${libseccompVersion()} vs builtin)\n` +
      "| profile | probes | same | different | insns libseccomp | insns builtin |\n|---|---|---|---|---|---|\n" + rows.join("\n"));
    expect(rows.length).toBe(Object.keys(PROFILES).length);
  });
});

describe("syscall tables", () => {
  for (const [arch, def] of Object.entries(BUILTIN_ARCHES)) {
    test(`${arch}: every name libseccomp knows has libseccomp's number`, () => {
      const wrong = Object.entries(def.syscalls)
        .map(([name, nr]) => [name, nr, libseccompSyscallNumber(arch, name)!] as const)
        .filter(([, nr, theirs]) => theirs >= 0 && theirs !== nr);
      expect(wrong).toEqual([]);
      expect(Object.keys(def.syscalls).length).toBeGreaterThan(300);
    });
  }
});

describe("compileSeccomp", () => {
  const base: LinuxSeccomp = { defaultAction: "SCMP_ACT_ALLOW", syscalls: [] };
  const bad = (seccomp: Partial<LinuxSeccomp>) => () => compileSeccomp({ ...base, ...seccomp } as LinuxSeccomp, { backend: "builtin" });

  test("errors name the field", () => {
    expect(bad({ syscalls: [{ names: ["a"], action: "SCMP_ACT_ALLOW" }, { names: ["b"], action: "SCMP_ACT_ALLOW" }, { names: ["c"], action: "SCMP_ACT_ALLOW" }, { names: ["mkdir"], action: "SCMP_ACT_FOO" }] }))
      .toThrow('linux.seccomp.syscalls[3].action: unknown action "SCMP_ACT_FOO"');
    expect(bad({ defaultAction: "SCMP_ACT_NOPE" })).toThrow('linux.seccomp.defaultAction: unknown action "SCMP_ACT_NOPE"');
    expect(bad({ architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_Z80"] })).toThrow('linux.seccomp.architectures[1]: unknown architecture "SCMP_ARCH_Z80"');
    expect(bad({ flags: ["SECCOMP_FILTER_FLAG_BOGUS"] })).toThrow('linux.seccomp.flags[0]: unknown flag "SECCOMP_FILTER_FLAG_BOGUS"');
    expect(bad({ syscalls: [{ names: ["dup"], action: "SCMP_ACT_ERRNO", args: [{ index: 0, value: 1, op: "SCMP_CMP_ABOUT" }] }] }))
      .toThrow('linux.seccomp.syscalls[0].args[0].op: unknown operator "SCMP_CMP_ABOUT"');
    expect(bad({ syscalls: [{ names: ["dup"], action: "SCMP_ACT_ERRNO", args: [{ index: 6, value: 1, op: "SCMP_CMP_EQ" }] }] }))
      .toThrow("linux.seccomp.syscalls[0].args[0].index: 6 is not an argument index (0..5)");
    expect(bad({ syscalls: [{ names: ["dup"], action: "SCMP_ACT_ALLOW", errnoRet: 3 }] })).toThrow("linux.seccomp.syscalls[0].errnoRet");
    expect(bad({ defaultAction: "SCMP_ACT_NOTIFY" })).toThrow("linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
    expect(bad({ syscalls: [{ names: ["write"], action: "SCMP_ACT_NOTIFY" }] })).toThrow("cannot be used for the write syscall");
    expect(() => compileSeccomp(base, { backend: "gcc" as "builtin" })).toThrow('unknown seccomp backend "gcc"');
  });

  for (const backend of BACKENDS) {
    test(`${backend}: unknown syscall names warn and are skipped`, () => {
      const r = compileSeccomp({ defaultAction: "SCMP_ACT_ERRNO", syscalls: [{ names: ["read", "no_such_call"], action: "SCMP_ACT_ALLOW" }] }, { backend });
      expect(r.backend).toBe(backend);
      expect(r.warnings).toEqual(['seccomp: unknown syscall "no_such_call" (linux.seccomp.syscalls[0]) ignored']);
      expect(runSeccompProgram(r.program, { arch: X86_64, nr: 0 })).toBe(SECCOMP_RET.ALLOW);
    });

    test(`${backend}: flags, NOTIFY adds NEW_LISTENER (and TSYNC_ESRCH with TSYNC)`, () => {
      const r = compileSeccomp({
        defaultAction: "SCMP_ACT_ALLOW", flags: ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
        syscalls: [{ names: ["mkdir"], action: "SCMP_ACT_NOTIFY" }],
      }, { backend });
      const F = SECCOMP_FILTER_FLAG;
      expect(r.flags).toBe(F.TSYNC | F.LOG | F.SPEC_ALLOW | F.NEW_LISTENER | F.TSYNC_ESRCH);
      expect(r.notify).toBe(true);
      expect(runSeccompProgram(r.program, { arch: X86_64, nr: 83 })).toBe(SECCOMP_RET.USER_NOTIF);
    });

    test(`${backend}: defaultErrnoRet, ERRNO/TRACE default to EPERM, unknown arch → KILL`, () => {
      const r = compileSeccomp({
        defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 38,
        syscalls: [{ names: ["mkdir"], action: "SCMP_ACT_ERRNO" }, { names: ["rmdir"], action: "SCMP_ACT_TRACE" }],
      }, { backend });
      const run = (nr: number, arch = X86_64) => runSeccompProgram(r.program, { arch, nr });
      expect(run(0)).toBe(SECCOMP_RET.ERRNO | 38);
      expect(run(83)).toBe(SECCOMP_RET.ERRNO | 1);
      expect(run(84)).toBe(SECCOMP_RET.TRACE | 1);
      expect(run(0, 0xc00000b7)).toBe(SECCOMP_RET.KILL_THREAD);
    });
  }

  test("WAIT_KILLABLE_RECV is passed to seccomp(2) even when libseccomp cannot set it", () => {
    for (const backend of BACKENDS) {
      const r = compileSeccomp({ ...base, flags: ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"] }, { backend });
      expect(r.flags).toBe(SECCOMP_FILTER_FLAG.WAIT_KILLABLE_RECV);
    }
  });

  test("MINIDOCKER_SECCOMP selects the backend", () => {
    const saved = process.env.MINIDOCKER_SECCOMP;
    try {
      process.env.MINIDOCKER_SECCOMP = "builtin";
      expect(compileSeccomp(base).backend).toBe("builtin");
      process.env.MINIDOCKER_SECCOMP = "libseccomp";
      expect(compileSeccomp(base).backend).toBe("libseccomp");
      delete process.env.MINIDOCKER_SECCOMP;
      expect(compileSeccomp(base).backend).toBe("libseccomp"); // auto, libseccomp present
    } finally {
      if (saved === undefined) delete process.env.MINIDOCKER_SECCOMP; else process.env.MINIDOCKER_SECCOMP = saved;
    }
  });
});

describe("BPF assembler and interpreter", () => {
  test("far conditional jumps become ja (32-bit offsets)", () => {
    const items: Item[] = [
      { kind: "load", offset: 0 },
      { kind: "jump", op: BPF.JEQ, k: 7, ifTrue: "far", ifFalse: "near" },
      { kind: "label", name: "near" },
      ...Array.from({ length: 300 }, (): Item => ({ kind: "ret", value: 1 })),
      { kind: "label", name: "far" },
      { kind: "ret", value: 2 },
    ];
    const program = assemble(items);
    expect(program.length).toBe(1 + 3 + 300 + 1);
    const bytes = new Uint8Array(program.length * 8);
    const view = new DataView(bytes.buffer);
    program.forEach((f, i) => { view.setUint16(i * 8, f.code, true); view.setUint8(i * 8 + 2, f.jt); view.setUint8(i * 8 + 3, f.jf); view.setUint32(i * 8 + 4, f.k, true); });
    expect(decode(bytes)).toEqual(program);
    expect(runSeccompProgram(bytes, { arch: 0, nr: 7 })).toBe(2);
    expect(runSeccompProgram(bytes, { arch: 0, nr: 8 })).toBe(1);
  });

  test("the interpreter refuses malformed programs", () => {
    expect(() => runSeccompProgram(new Uint8Array(7), { arch: 0, nr: 0 })).toThrow("not a whole number");
    expect(() => runSeccompProgram(new Uint8Array(8), { arch: 0, nr: 0 })).toThrow("past its end"); // ld [0], no ret
  });
});
