import { cgroupOf } from "../container/cgroup.ts";
import { withContainer } from "../container/lifecycle.ts";
import { RuntimeError } from "../sys/errors.ts";
import { type Command, requireId } from "./index.ts";

export default {
  meta: { name: "pause", description: "freeze every process of the container (cgroup freezer)" },
  args: {},
  run(ctx, inv) {
    withContainer(ctx, requireId(inv, "pause"), (state, status) => {
      if (status !== "running" && status !== "created") throw new RuntimeError(`container not running`);
      const cg = cgroupOf(state);
      if (!cg) throw new RuntimeError("container has no cgroup");
      cg.freeze();
    });
    return 0;
  },
} satisfies Command;
