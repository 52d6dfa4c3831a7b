import { startContainer, waitUntilReady } from "../container/lifecycle.ts";
import { type Command, requireId } from "./index.ts";

export default {
  meta: { name: "start", description: "start a created container: its process runs now" },
  args: {},
  run(ctx, inv) {
    waitUntilReady(ctx, startContainer(ctx, requireId(inv, "start")));
    return 0;
  },
} satisfies Command;
