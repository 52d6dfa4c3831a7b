import { cgroupOf } from "../container/cgroup.ts";
import { statusOf } from "../container/lifecycle.ts";
import { RuntimeError } from "../sys/errors.ts";
import { type Command, requireId } from "./index.ts";

/** runc's duration syntax for --interval: 5s, 500ms, 1m. */
export function parseInterval(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  if (!m) throw new RuntimeError(`--interval: invalid duration "${text}"`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "ms"];
}

export default {
  meta: { name: "events", description: "print resource stats and OOM events as JSON lines" },
  args: {
    stats: { type: "boolean", description: "print the stats once and exit" },
    interval: { type: "string", description: "stats interval (default 5s)", default: "5s" },
  },
  async run(ctx, inv) {
    const id = requireId(inv, "events");
    const state = ctx.store.read(id);
    const cg = cgroupOf(state);
    if (!cg) throw new RuntimeError("container has no cgroup");
    const emit = (type: string, data?: unknown) =>
      process.stdout.write(`${JSON.stringify({ type, id, ...(data === undefined ? {} : { data }) })}\n`);
    if (inv.flags.stats) {
      emit("stats", cg.stats());
      return 0;
    }
    const interval = parseInterval(inv.flags.interval as string);
    let ooms = cg.oomCount();
    let nextStats = 0;
    while (statusOf(ctx, state) !== "stopped") {
      const now = Date.now();
      const seen = cg.oomCount();
      if (seen > ooms) { emit("oom"); ooms = seen; }
      if (now >= nextStats) { emit("stats", cg.stats()); nextStats = now + interval; }
      await Bun.sleep(Math.min(200, interval));
    }
    const seen = cg.oomCount();
    if (seen > ooms) emit("oom");
    return 0;
  },
} satisfies Command;
