import { stateOf } from "../container/lifecycle.ts";
import { writeOut } from "../sys/stdio.ts";
import { type Command, requireId } from "./index.ts";

export default {
  meta: { name: "state", description: "print the container's state JSON (OCI runtime spec)" },
  args: {},
  run(ctx, inv) {
    writeOut(`${JSON.stringify(stateOf(ctx, requireId(inv, "state")), null, 2)}\n`);
    return 0;
  },
} satisfies Command;
