// Classic BPF as seccomp uses it: opcodes, a label-based assembler that turns too-long
// conditional jumps (8-bit offsets) into jumps over `ja` (32-bit offsets), and the encoding of
// struct sock_filter { u16 code; u8 jt; u8 jf; u32 k } (8 bytes, host byte order).

export const BPF = {
  LD: 0x00, LDX: 0x01, ST: 0x02, STX: 0x03, ALU: 0x04, JMP: 0x05, RET: 0x06, MISC: 0x07,
  W: 0x00, H: 0x08, B: 0x10, IMM: 0x00, ABS: 0x20, IND: 0x40, MEM: 0x60, LEN: 0x80,
  ADD: 0x00, SUB: 0x10, MUL: 0x20, DIV: 0x30, OR: 0x40, AND: 0x50, LSH: 0x60, RSH: 0x70,
  NEG: 0x80, MOD: 0x90, XOR: 0xa0,
  JA: 0x00, JEQ: 0x10, JGT: 0x20, JGE: 0x30, JSET: 0x40,
  K: 0x00, X: 0x08, A: 0x10,
  TAX: 0x00, TXA: 0x80,
} as const;

export const SOCK_FILTER_SIZE = 8;
/** The kernel's BPF_MAXINSNS: a longer seccomp program is refused with EINVAL. */
export const BPF_MAXINSNS = 4096;

export interface SockFilter { code: number; jt: number; jf: number; k: number }

export type JumpOp = typeof BPF.JEQ | typeof BPF.JGT | typeof BPF.JGE | typeof BPF.JSET;

/** One assembler item; jumps name their targets by label and only ever jump forward. */
export type Item =
  | { kind: "label"; name: string }
  | { kind: "load"; offset: number }
  | { kind: "and"; mask: number }
  | { kind: "jump"; op: JumpOp; k: number; ifTrue: string; ifFalse: string }
  | { kind: "ret"; value: number };

export function encode(filters: SockFilter[]): Uint8Array {
  const bytes = new Uint8Array(filters.length * SOCK_FILTER_SIZE);
  const view = new DataView(bytes.buffer);
  filters.forEach((f, i) => {
    const at = i * SOCK_FILTER_SIZE;
    view.setUint16(at, f.code, true);
    view.setUint8(at + 2, f.jt);
    view.setUint8(at + 3, f.jf);
    view.setUint32(at + 4, f.k >>> 0, true);
  });
  return bytes;
}

export function decode(program: Uint8Array): SockFilter[] {
  if (program.length % SOCK_FILTER_SIZE) throw new Error(`BPF program of ${program.length} bytes is not a whole number of instructions`);
  const view = new DataView(program.buffer, program.byteOffset, program.byteLength);
  return Array.from({ length: program.length / SOCK_FILTER_SIZE }, (_, i) => {
    const at = i * SOCK_FILTER_SIZE;
    return { code: view.getUint16(at, true), jt: view.getUint8(at + 2), jf: view.getUint8(at + 3), k: view.getUint32(at + 4, true) };
  });
}

const MAX_SHORT_JUMP = 255;

/** Lay out the items: a conditional jump whose target is too far becomes `jX 0,1; ja T; ja F`. */
export function assemble(items: Item[]): SockFilter[] {
  const long = new Set<number>(); // indexes of jumps that need the long form
  for (;;) {
    const position = new Map<string, number>();
    const at: number[] = [];
    let pc = 0;
    items.forEach((item, i) => {
      at[i] = pc;
      if (item.kind === "label") position.set(item.name, pc);
      else pc += item.kind === "jump" && long.has(i) ? 3 : 1;
    });
    const distance = (i: number, label: string) => {
      const target = position.get(label);
      if (target === undefined) throw new Error(`BPF assembler: no label "${label}"`);
      const d = target - (at[i]! + 1);
      if (d < 0) throw new Error(`BPF assembler: backward jump to "${label}"`);
      return d;
    };
    let grew = false;
    items.forEach((item, i) => {
      if (item.kind !== "jump" || long.has(i)) return;
      if (distance(i, item.ifTrue) > MAX_SHORT_JUMP || distance(i, item.ifFalse) > MAX_SHORT_JUMP) {
        long.add(i);
        grew = true;
      }
    });
    if (grew) continue;

    const out: SockFilter[] = [];
    items.forEach((item, i) => {
      switch (item.kind) {
        case "label": return;
        case "load": out.push({ code: BPF.LD | BPF.W | BPF.ABS, jt: 0, jf: 0, k: item.offset }); return;
        case "and": out.push({ code: BPF.ALU | BPF.AND | BPF.K, jt: 0, jf: 0, k: item.mask }); return;
        case "ret": out.push({ code: BPF.RET | BPF.K, jt: 0, jf: 0, k: item.value }); return;
        case "jump": {
          const code = BPF.JMP | item.op | BPF.K;
          if (!long.has(i)) {
            out.push({ code, jt: distance(i, item.ifTrue), jf: distance(i, item.ifFalse), k: item.k });
            return;
          }
          out.push({ code, jt: 0, jf: 1, k: item.k });
          out.push({ code: BPF.JMP | BPF.JA, jt: 0, jf: 0, k: distance(i, item.ifTrue) - 1 });
          out.push({ code: BPF.JMP | BPF.JA, jt: 0, jf: 0, k: distance(i, item.ifFalse) - 2 });
        }
      }
    });
    return out;
  }
}
