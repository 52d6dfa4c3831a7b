// set_mempolicy(2): the NUMA memory policy of the calling thread, kept across execve.
import { errno } from "../../ffi/libc.ts";
import { SysError } from "./errors.ts";
import { syscall } from "./linux.ts";

const NR_SET_MEMPOLICY = process.arch === "arm64" ? 237 : 238;
export const MAX_NUMA_NODES = 1024;

/** set_mempolicy(mode | flags, nodes as a bitmask); no nodes: a NULL mask (MPOL_DEFAULT, MPOL_LOCAL). */
export function setMempolicy(modeAndFlags: number, nodes: readonly number[]) {
  const mask = new BigUint64Array(MAX_NUMA_NODES / 64);
  for (const node of nodes) mask[node >> 6]! |= 1n << BigInt(node & 63);
  // maxnode counts one more than the bits the kernel reads (numactl passes size + 1)
  const ret = nodes.length ? syscall(NR_SET_MEMPOLICY, modeAndFlags, mask, MAX_NUMA_NODES + 1) : syscall(NR_SET_MEMPOLICY, modeAndFlags, 0, 0);
  if (ret < 0) throw new SysError("set_mempolicy", errno());
}
