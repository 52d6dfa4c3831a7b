import { killContainer } from "../container/lifecycle.ts";
import { parseSignal } from "../spec/signals.ts";
import { type Command, requireId } from "./index.ts";

export default {
  meta: { name: "kill", description: "send a signal (default TERM; KILL, SIGKILL or 9) to the container" },
  operands: { usage: "<container-id> [signal]", min: 1, max: 2 },
  args: { all: { type: "boolean", alias: "a", description: "signal every process of the container's cgroup" } },
  run(ctx, inv) {
    const id = requireId(inv, "kill");
    killContainer(ctx, id, parseSignal(inv.positionals[1] ?? "TERM"), inv.flags.all === true);
    return 0;
  },
} satisfies Command;
