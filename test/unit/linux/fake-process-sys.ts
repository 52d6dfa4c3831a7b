// A recording ProcessSys: tests assert the call sequence and inject errno per call.
import { SysError } from "../../../src/sys/errors.ts";
import type { CapabilityState, ProcessSys } from "../../../src/sys/process.ts";

type Call = keyof ProcessSys;

export class FakeProcessSys implements ProcessSys {
  calls: Array<[Call, ...unknown[]]> = [];
  /** call → errno; for prctl the key may also be "prctl:<subject>". */
  failures = new Map<string, number>();
  files = new Map<string, string>([["/proc/self/setgroups", "allow\n"]]);
  caps: CapabilityState = { effective: (1n << 41n) - 1n, permitted: (1n << 41n) - 1n, inheritable: 0n };
  kernelLastCap = 40;
  pdeathsig = 0;

  private record(call: Call, subject: string, ...args: unknown[]) {
    this.calls.push([call, ...args]);
    const errno = this.failures.get(`${call}:${subject}`) ?? this.failures.get(call);
    if (errno) throw new SysError(call, errno, subject);
  }
  /** The calls of one kind, without the name. */
  of(call: Call) {
    return this.calls.filter(([name]) => name === call).map(([, ...args]) => args);
  }
  names() {
    return this.calls.map(([name, ...args]) => (name === "prctl" ? `prctl ${args[3]}` : name));
  }

  prctl(option: number, arg2: number, arg3: number, subject: string) {
    this.record("prctl", subject, option, arg2, arg3, subject);
    return 0;
  }
  capget() {
    this.record("capget", "");
    return { ...this.caps };
  }
  capset(state: CapabilityState) {
    this.record("capset", "", state);
  }
  lastCap() {
    return this.kernelLastCap;
  }
  setgroups(gids: readonly number[]) {
    this.record("setgroups", gids.join(","), [...gids]);
  }
  setresgid(gid: number) {
    this.record("setresgid", String(gid), gid);
  }
  setresuid(uid: number) {
    this.record("setresuid", String(uid), uid);
  }
  prlimit(pid: number, resource: number, soft: bigint, hard: bigint, subject: string) {
    this.record("prlimit", subject, pid, resource, soft, hard);
  }
  ioprioSet(ioprio: number) {
    this.record("ioprioSet", String(ioprio), ioprio);
  }
  schedSetattr(attr: Parameters<ProcessSys["schedSetattr"]>[0]) {
    this.record("schedSetattr", "", attr);
  }
  personality(persona: number) {
    this.record("personality", "", persona);
  }
  parentDeathSignal() {
    return this.pdeathsig;
  }
  umask(mask: number) {
    this.record("umask", "", mask);
    return 0o022;
  }
  writeFile(path: string, text: string) {
    this.record("writeFile", path, path, text);
  }
  readFile(path: string) {
    return this.files.get(path);
  }
}
