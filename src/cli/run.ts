import { createContainer } from "../container/create.ts";
import { becomeSubreaper, foregroundConsole, stopBeingSubreaper } from "../container/foreground.ts";
import { destroy, startContainer, statusOf, waitUntilReady } from "../container/lifecycle.ts";
import { createArgs, createOptions } from "./create.ts";
import { type Command, requireId } from "./index.ts";

export default {
  meta: { name: "run", description: "create and start a container; in the foreground, return its exit status" },
  args: {
    ...createArgs,
    detach: { type: "boolean", alias: "d", description: "return once the container runs" },
    keep: { type: "boolean", description: "do not delete the container after its process exits: it stays stopped until `delete`" },
    "no-subreaper": { type: "boolean", description: "do not reap processes orphaned in the container (they go to the host's reaper)" },
  },
  async run(ctx, inv) {
    const opts = createOptions(inv.flags, requireId(inv, "run"));
    const detach = inv.flags.detach === true;
    if (!detach) becomeSubreaper();
    const console = detach ? undefined : foregroundConsole(!opts.consoleSocket);
    const { state } = createContainer(ctx, { ...opts, consoleFd: console?.theirs, detach });
    // init is our child by now, even from a double fork (reaped during create): only later
    // orphans are left to the host's reaper
    if (!detach && inv.flags["no-subreaper"] === true) stopBeingSubreaper();
    let started: ReturnType<typeof startContainer>;
    try {
      console?.attach();
      started = startContainer(ctx, state.id);
    } catch (e) {
      destroy(ctx, state, statusOf(ctx, state));
      throw e;
    }
    if (detach) {
      waitUntilReady(ctx, started); // NOTIFY_SOCKET: like runc, only once the process is ready
      return 0;
    }
    const code = await console!.wait(state.pid, started.notify);
    // runc run removes a foreground container once its process has exited, unless --keep.
    if (inv.flags.keep === true) return code;
    const unlock = ctx.store.lock(state.id);
    try { destroy(ctx, state, statusOf(ctx, state)); } finally { unlock(); }
    return code;
  },
} satisfies Command;
