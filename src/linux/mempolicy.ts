// linux.memoryPolicy compiled in the parent (mode and flags as numbers, the node list parsed);
// init applies it with sys/mempolicy.ts on the thread that execve's the process (the policy is
// per thread and survives execve), as runc 1.3 does.
import type { LinuxMemoryPolicy } from "../spec/types.ts";
import { parseNodeList } from "../spec/validate.ts";

export interface MemoryPolicyPlan { modeAndFlags: number; nodes: number[] }

const MODES: Record<string, number> = {
  MPOL_DEFAULT: 0, MPOL_PREFERRED: 1, MPOL_BIND: 2, MPOL_INTERLEAVE: 3, MPOL_LOCAL: 4,
  MPOL_PREFERRED_MANY: 5, MPOL_WEIGHTED_INTERLEAVE: 6,
};
const FLAGS: Record<string, number> = { MPOL_F_STATIC_NODES: 1 << 15, MPOL_F_RELATIVE_NODES: 1 << 14, MPOL_F_NUMA_BALANCING: 1 << 13 };

export function compileMemoryPolicy(policy: LinuxMemoryPolicy): MemoryPolicyPlan {
  const nodes = policy.nodes ? parseNodeList(policy.nodes) : [];
  if (typeof nodes === "string") throw new Error(nodes); // validate.ts refused it already
  const flags = (policy.flags ?? []).reduce((all, f) => all | FLAGS[f]!, 0);
  return { modeAndFlags: MODES[policy.mode ?? "MPOL_DEFAULT"]! | flags, nodes };
}
