// bpf(2) for the device filter: load a BPF_PROG_TYPE_CGROUP_DEVICE program and make it the one
// attached to a cgroup directory (attach the new one first, then detach the old ones, so the cgroup
// is never without a filter). Through libc's syscall(); glibc has no bpf() wrapper.
import { addressOf, check, close, cstr, keepAlive, NR, O, open, syscall } from "./linux.ts";

const BPF_PROG_LOAD = 5, BPF_PROG_ATTACH = 8, BPF_PROG_DETACH = 9, BPF_PROG_GET_FD_BY_ID = 13, BPF_PROG_QUERY = 16;
const BPF_PROG_TYPE_CGROUP_DEVICE = 15;
const BPF_CGROUP_DEVICE = 6;
const BPF_F_ALLOW_MULTI = 2;
const ATTR_SIZE = 128; // zero tail beyond what the kernel knows is accepted

/** bpf(cmd, attr); `pointees` are the buffers attr's pointer fields point to. */
const bpf = (cmd: number, attr: Uint8Array, what: string, subject: string, pointees: readonly ArrayBufferView[] = []): number =>
  check(keepAlive(pointees, () => syscall(NR.bpf, cmd, attr, ATTR_SIZE)), what, subject);

const openCgroupDir = (dir: string) => open(dir, O.RDONLY | O.DIRECTORY | O.CLOEXEC);

function loadDeviceProgram(instructions: Uint8Array): number {
  const license = cstr("Apache");
  const log = new Uint8Array(64 * 1024);
  const attr = new Uint8Array(ATTR_SIZE);
  const view = new DataView(attr.buffer);
  view.setUint32(0, BPF_PROG_TYPE_CGROUP_DEVICE, true);
  view.setUint32(4, instructions.length / 8, true);
  view.setBigUint64(8, addressOf(instructions), true);
  view.setBigUint64(16, addressOf(license), true);
  view.setUint32(24, 1, true);              // log_level: the verifier explains a refusal
  view.setUint32(28, log.length, true);
  view.setBigUint64(32, addressOf(log), true);
  try {
    return bpf(BPF_PROG_LOAD, attr, "bpf BPF_PROG_LOAD", "device filter", [instructions, license, log]);
  } catch (e) {
    const text = Buffer.from(log).toString("utf8").replace(/\0.*$/s, "").trim();
    if (text) (e as Error).message += `: verifier: ${text.split("\n").slice(-3).join(" | ")}`;
    throw e;
  }
}

function attachedProgramIds(cgroupFd: number, dir: string): number[] {
  const ids = new Uint32Array(64);
  const attr = new Uint8Array(ATTR_SIZE);
  const view = new DataView(attr.buffer);
  view.setUint32(0, cgroupFd, true);
  view.setUint32(4, BPF_CGROUP_DEVICE, true);
  view.setBigUint64(16, addressOf(ids), true);
  view.setUint32(24, ids.length, true);
  bpf(BPF_PROG_QUERY, attr, "bpf BPF_PROG_QUERY", dir, [ids]);
  return [...ids.subarray(0, view.getUint32(24, true))];
}

function programFdById(id: number): number {
  const attr = new Uint8Array(ATTR_SIZE);
  new DataView(attr.buffer).setUint32(0, id, true);
  return bpf(BPF_PROG_GET_FD_BY_ID, attr, "bpf BPF_PROG_GET_FD_BY_ID", String(id));
}

function attachOrDetach(cmd: number, cgroupFd: number, programFd: number, flags: number, dir: string) {
  const attr = new Uint8Array(ATTR_SIZE);
  const view = new DataView(attr.buffer);
  view.setUint32(0, cgroupFd, true);
  view.setUint32(4, programFd, true);
  view.setUint32(8, BPF_CGROUP_DEVICE, true);
  view.setUint32(12, flags, true);
  bpf(cmd, attr, cmd === BPF_PROG_ATTACH ? "bpf BPF_PROG_ATTACH" : "bpf BPF_PROG_DETACH", dir);
}

/** Replace the device filter of cgroup `dir` with `instructions` (struct bpf_insn[]). */
export function setDeviceFilter(dir: string, instructions: Uint8Array): void {
  const cgroupFd = openCgroupDir(dir);
  try {
    const old = attachedProgramIds(cgroupFd, dir);
    const programFd = loadDeviceProgram(instructions);
    try {
      attachOrDetach(BPF_PROG_ATTACH, cgroupFd, programFd, BPF_F_ALLOW_MULTI, dir);
    } finally {
      close(programFd); // the attachment keeps the program alive
    }
    for (const id of old) {
      const oldFd = programFdById(id);
      try { attachOrDetach(BPF_PROG_DETACH, cgroupFd, oldFd, 0, dir); } finally { close(oldFd); }
    }
  } finally {
    close(cgroupFd);
  }
}

/** How many device programs are attached directly to `dir` (for tests and diagnostics). */
export function deviceFilterCount(dir: string): number {
  const cgroupFd = openCgroupDir(dir);
  try { return attachedProgramIds(cgroupFd, dir).length; } finally { close(cgroupFd); }
}
