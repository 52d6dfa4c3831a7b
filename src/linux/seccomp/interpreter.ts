// A classic-BPF interpreter over struct seccomp_data, for tests and for explaining a program
// ("what does this filter return for openat on x86_64?") without loading it into the kernel.
import { BPF, decode } from "./bpf.ts";

export interface SeccompData {
  nr: number;
  arch: number;
  ip?: bigint;
  /** up to six 64-bit arguments */
  args?: Array<bigint | number>;
}

const MEMWORDS = 16;

function seccompDataBytes(data: SeccompData): DataView {
  const view = new DataView(new ArrayBuffer(64));
  view.setInt32(0, data.nr, true);
  view.setUint32(4, data.arch >>> 0, true);
  view.setBigUint64(8, data.ip ?? 0n, true);
  (data.args ?? []).forEach((arg, i) => view.setBigUint64(16 + 8 * i, BigInt.asUintN(64, BigInt(arg)), true));
  return view;
}

/** Run the program on one syscall; returns the SECCOMP_RET_* value. Throws on a malformed program. */
export function runSeccompProgram(program: Uint8Array, data: SeccompData): number {
  const insns = decode(program);
  const input = seccompDataBytes(data);
  const mem = new Uint32Array(MEMWORDS);
  let a = 0;
  let x = 0;
  for (let pc = 0; pc < insns.length; pc++) {
    const { code, jt, jf, k } = insns[pc]!;
    const cls = code & 0x07;
    switch (cls) {
      case BPF.LD:
      case BPF.LDX: {
        const mode = code & 0xe0;
        let value: number;
        if (mode === BPF.ABS) {
          if ((code & 0x18) !== BPF.W || k % 4 || k > 60) throw new Error(`pc ${pc}: bad load at ${k}`);
          value = input.getUint32(k, true);
        } else if (mode === BPF.IMM) value = k;
        else if (mode === BPF.MEM) value = mem[k]!;
        else if (mode === BPF.LEN) value = 64;
        else throw new Error(`pc ${pc}: unsupported load mode 0x${mode.toString(16)}`);
        if (cls === BPF.LD) a = value >>> 0; else x = value >>> 0;
        break;
      }
      case BPF.ST: mem[k] = a; break;
      case BPF.STX: mem[k] = x; break;
      case BPF.ALU: {
        const operand = code & BPF.X ? x : k >>> 0;
        switch (code & 0xf0) {
          case BPF.ADD: a = (a + operand) >>> 0; break;
          case BPF.SUB: a = (a - operand) >>> 0; break;
          case BPF.MUL: a = Number((BigInt(a) * BigInt(operand)) & 0xffffffffn); break;
          case BPF.DIV: if (!operand) return 0; a = Math.floor(a / operand) >>> 0; break;
          case BPF.MOD: if (!operand) return 0; a = (a % operand) >>> 0; break;
          case BPF.OR: a = (a | operand) >>> 0; break;
          case BPF.AND: a = (a & operand) >>> 0; break;
          case BPF.XOR: a = (a ^ operand) >>> 0; break;
          case BPF.LSH: a = operand >= 32 ? 0 : (a << operand) >>> 0; break;
          case BPF.RSH: a = operand >= 32 ? 0 : a >>> operand; break;
          case BPF.NEG: a = -a >>> 0; break;
          default: throw new Error(`pc ${pc}: bad ALU op 0x${code.toString(16)}`);
        }
        break;
      }
      case BPF.JMP: {
        const op = code & 0xf0;
        if (op === BPF.JA) { pc += k; break; }
        const operand = code & BPF.X ? x : k >>> 0;
        const taken =
          op === BPF.JEQ ? a === operand :
          op === BPF.JGT ? a > operand :
          op === BPF.JGE ? a >= operand :
          op === BPF.JSET ? (a & operand) !== 0 :
          (() => { throw new Error(`pc ${pc}: bad jump 0x${code.toString(16)}`); })();
        pc += taken ? jt : jf;
        break;
      }
      case BPF.RET: return ((code & 0x18) === BPF.A ? a : k) >>> 0;
      case BPF.MISC: if ((code & 0xf8) === BPF.TXA) a = x; else x = a; break;
    }
  }
  throw new Error("BPF program ran past its end without a return");
}
