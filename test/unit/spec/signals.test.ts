import { describe, expect, test } from "bun:test";
import { parseSignal, signalName, SIGRTMAX, SIGRTMIN } from "../../../src/spec/signals.ts";
import { RuntimeError } from "../../../src/sys/errors.ts";

describe("parseSignal", () => {
  test("takes names with or without SIG, any case, and numbers", () => {
    for (const text of ["KILL", "SIGKILL", "sigkill", "Kill", "9", " 9 "]) expect(parseSignal(text)).toBe(9);
    expect(parseSignal("TERM")).toBe(15);
    expect(parseSignal("SIGHUP")).toBe(1);
    expect(parseSignal("winch")).toBe(28);
    expect(parseSignal("SIGSYS")).toBe(31);
    expect(parseSignal("64")).toBe(64);
    expect(parseSignal("0")).toBe(0); // no signal: does the process exist?
  });

  test("knows glibc's aliases", () => {
    expect(parseSignal("IOT")).toBe(6);
    expect(parseSignal("SIGCLD")).toBe(17);
    expect(parseSignal("POLL")).toBe(29);
  });

  test("reads real-time signals as kill -l writes them", () => {
    expect(SIGRTMIN).toBe(34);
    expect(SIGRTMAX).toBe(64);
    expect(parseSignal("RTMIN")).toBe(34);
    expect(parseSignal("SIGRTMIN+3")).toBe(37);
    expect(parseSignal("rtmax")).toBe(64);
    expect(parseSignal("RTMAX-1")).toBe(63);
    expect(parseSignal("SIGRTMIN+30")).toBe(64);
  });

  for (const bad of ["", "SIG", "BOGUS", "SIGKILLS", "65", "-9", "9x", "1.5", "RTMIN-1", "RTMAX+1", "RTMIN+31", "RTMAX-31", "SIGRTMIN+"])
    test(`refuses ${JSON.stringify(bad)}`, () => {
      expect(() => parseSignal(bad)).toThrow(RuntimeError);
      expect(() => parseSignal(bad)).toThrow(`unknown signal "${bad}"`);
    });
});

describe("signalName", () => {
  test("names standard and real-time signals", () => {
    expect(signalName(9)).toBe("SIGKILL");
    expect(signalName(6)).toBe("SIGABRT");
    expect(signalName(34)).toBe("SIGRTMIN");
    expect(signalName(35)).toBe("SIGRTMIN+1");
    expect(signalName(49)).toBe("SIGRTMIN+15");
    expect(signalName(50)).toBe("SIGRTMAX-14");
    expect(signalName(63)).toBe("SIGRTMAX-1");
    expect(signalName(64)).toBe("SIGRTMAX");
    expect(signalName(32)).toBe("signal 32");
    expect(signalName(0)).toBe("signal 0");
  });

  test("round-trips through parseSignal", () => {
    for (let n = 1; n <= 64; n++) if (n !== 32 && n !== 33) expect(parseSignal(signalName(n))).toBe(n);
  });
});
