import { cgroupOf } from "../container/cgroup.ts";
import { withContainer } from "../container/lifecycle.ts";
import { RuntimeError } from "../sys/errors.ts";
import { type Command, requireId } from "./index.ts";

export default {
  meta: { name: "resume", description: "thaw a paused container" },
  args: {},
  run(ctx, inv) {
    withContainer(ctx, requireId(inv, "resume"), (state, status) => {
      if (status !== "paused") throw new RuntimeError("container not paused");
      const cg = cgroupOf(state);
      if (!cg) throw new RuntimeError("container has no cgroup");
      cg.thaw();
    });
    return 0;
  },
} satisfies Command;
