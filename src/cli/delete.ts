import { deleteContainer } from "../container/lifecycle.ts";
import { type Command, requireId } from "./index.ts";

export default {
  meta: { name: "delete", description: "delete a stopped (or, with --force, any) container" },
  args: { force: { type: "boolean", alias: "f", description: "kill a running container first" } },
  run(ctx, inv) {
    deleteContainer(ctx, requireId(inv, "delete"), inv.flags.force === true);
    return 0;
  },
} satisfies Command;
