// The cgroup v2 device filter: a BPF_PROG_TYPE_CGROUP_DEVICE program assembled here, like runc's
// libcontainer/cgroups/devices/devicefilter.go. Context (struct bpf_cgroup_dev_ctx):
//   u32 access_type  (low 16 bits: BPF_DEVCG_DEV_*, high 16 bits: BPF_DEVCG_ACC_*)
//   u32 major; u32 minor
// Rules are checked last-first (a later rule overrides an earlier one); the first match returns
// 1 (allow) or 0 (deny); no match returns the default.
// Deliberate difference from runc: runc first reduces the rules with its v1 emulator; we compile the
// effective list directly (same verdicts for the spec's allow/deny lists).
import type { LinuxDeviceCgroup } from "../types.ts";
import { effectiveDeviceRules, type DeviceRule } from "../devices.ts";

const BPF_DEVCG_DEV_BLOCK = 1, BPF_DEVCG_DEV_CHAR = 2;
const BPF_DEVCG_ACC_MKNOD = 1, BPF_DEVCG_ACC_READ = 2, BPF_DEVCG_ACC_WRITE = 4;

// opcodes (include/uapi/linux/bpf_common.h, bpf.h)
const LDX_MEM_W = 0x61;   // BPF_LDX | BPF_MEM | BPF_W
const ALU32_AND_K = 0x54; // BPF_ALU | BPF_AND | BPF_K
const ALU32_RSH_K = 0x74; // BPF_ALU | BPF_RSH | BPF_K
const ALU32_MOV_K = 0xb4; // BPF_ALU | BPF_MOV | BPF_K
const ALU32_MOV_X = 0xbc; // BPF_ALU | BPF_MOV | BPF_X
const JMP_JNE_K = 0x55;   // BPF_JMP | BPF_JNE | BPF_K
const JMP_JNE_X = 0x5d;   // BPF_JMP | BPF_JNE | BPF_X
const JMP_EXIT = 0x95;    // BPF_JMP | BPF_EXIT
const R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5;

export interface Insn { code: number; dst: number; src: number; off: number; imm: number }
const insn = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({ code, dst, src, off, imm });

const accessBits = (access: string) =>
  (access.includes("r") ? BPF_DEVCG_ACC_READ : 0) |
  (access.includes("w") ? BPF_DEVCG_ACC_WRITE : 0) |
  (access.includes("m") ? BPF_DEVCG_ACC_MKNOD : 0);

/** One rule's block; `skip` marks jumps to the next block (patched once the block length is known). */
function ruleBlock(rule: DeviceRule): Insn[] {
  const NEXT = Number.NaN;
  const block: Insn[] = [];
  if (rule.type !== "a")
    block.push(insn(JMP_JNE_K, R2, 0, NEXT, rule.type === "c" ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK));
  const bits = accessBits(rule.access);
  if (bits !== 7) // the request must ask for nothing beyond `bits`: (R3 & bits) == R3
    block.push(insn(ALU32_MOV_X, R1, R3, 0, 0), insn(ALU32_AND_K, R1, 0, 0, bits), insn(JMP_JNE_X, R1, R3, NEXT, 0));
  if (rule.major >= 0) block.push(insn(JMP_JNE_K, R4, 0, NEXT, rule.major | 0));
  if (rule.minor >= 0) block.push(insn(JMP_JNE_K, R5, 0, NEXT, rule.minor | 0));
  block.push(insn(ALU32_MOV_K, R0, 0, 0, rule.allow ? 1 : 0), insn(JMP_EXIT, 0, 0, 0, 0));
  // a jump at index i to the first instruction after the block: off = length - (i + 1)
  return block.map((ins, i) => (Number.isNaN(ins.off) ? { ...ins, off: block.length - (i + 1) } : ins));
}

export function deviceFilterInstructions(rules: readonly LinuxDeviceCgroup[], field = "linux.resources.devices"): Insn[] {
  const effective = effectiveDeviceRules(rules, field);
  const program: Insn[] = [
    insn(LDX_MEM_W, R2, R1, 0, 0), insn(ALU32_AND_K, R2, 0, 0, 0xffff), // R2 = device type
    insn(LDX_MEM_W, R3, R1, 0, 0), insn(ALU32_RSH_K, R3, 0, 0, 16),     // R3 = access
    insn(LDX_MEM_W, R4, R1, 4, 0),                                       // R4 = major
    insn(LDX_MEM_W, R5, R1, 8, 0),                                       // R5 = minor
  ];
  for (const rule of [...effective.rules].reverse()) {
    // a rule with the default's verdict still matters: it shadows earlier, opposite rules
    program.push(...ruleBlock(rule));
  }
  program.push(insn(ALU32_MOV_K, R0, 0, 0, effective.defaultAllow ? 1 : 0), insn(JMP_EXIT, 0, 0, 0, 0));
  return program;
}

/** struct bpf_insn[]: u8 code; u8 dst_reg:4, src_reg:4; s16 off; s32 imm (little-endian hosts). */
export function encodeInstructions(program: readonly Insn[]): Uint8Array {
  const bytes = new Uint8Array(program.length * 8);
  const view = new DataView(bytes.buffer);
  program.forEach((ins, i) => {
    view.setUint8(i * 8, ins.code);
    view.setUint8(i * 8 + 1, (ins.src << 4) | ins.dst);
    view.setInt16(i * 8 + 2, ins.off, true);
    view.setInt32(i * 8 + 4, ins.imm, true);
  });
  return bytes;
}

/** A tiny interpreter of the programs above, so unit tests can check verdicts without a kernel. */
export function runDeviceFilter(program: readonly Insn[], type: "c" | "b", major: number, minor: number, access: string): number {
  const ctx = [((accessBits(access) << 16) | (type === "c" ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK)) >>> 0, major >>> 0, minor >>> 0];
  const reg = new Array<number>(11).fill(0);
  for (let pc = 0; pc < program.length; pc++) {
    const { code, dst, src, off, imm } = program[pc]!;
    switch (code) {
      case LDX_MEM_W: reg[dst] = ctx[off / 4]!; break;
      case ALU32_AND_K: reg[dst] = (reg[dst]! & imm) >>> 0; break;
      case ALU32_RSH_K: reg[dst] = reg[dst]! >>> imm; break;
      case ALU32_MOV_K: reg[dst] = imm >>> 0; break;
      case ALU32_MOV_X: reg[dst] = reg[src]! >>> 0; break;
      case JMP_JNE_K: if (reg[dst] !== imm >>> 0) pc += off; break;
      case JMP_JNE_X: if (reg[dst] !== reg[src]) pc += off; break;
      case JMP_EXIT: return reg[R0]!;
      default: throw new Error(`unknown opcode 0x${code.toString(16)} at ${pc}`);
    }
  }
  throw new Error("program fell off its end");
}
