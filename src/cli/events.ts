import { runcEventLine, runcStatsData } from "../cgroups/events-json.ts";
import { cgroupOf } from "../container/cgroup.ts";
import { statusOf } from "../container/lifecycle.ts";
import { RuntimeError } from "../sys/errors.ts";
import { writeOut } from "../sys/stdio.ts";
import { type Command, requireId } from "./index.ts";

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration syntax for --interval ("5s", "500ms", "1m30s"); must be > 0, as runc checks. */
export function parseInterval(text: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)];
  if (!parts.length || parts.map((p) => p[0]).join("") !== text)
    throw new RuntimeError(`--interval: invalid duration "${text}"`);
  const ms = parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_MS[p[2]!]!, 0);
  if (!(ms > 0)) throw new RuntimeError("duration interval must be greater than 0");
  return ms;
}

export default {
  meta: { name: "events", description: "print resource stats and OOM events as JSON lines (runc's format)" },
  args: {
    stats: { type: "boolean", description: "print the stats once and exit" },
    interval: { type: "string", description: "stats interval (default 5s)", default: "5s" },
  },
  async run(ctx, inv) {
    const id = requireId(inv, "events");
    const interval = parseInterval(inv.flags.interval as string);
    const state = ctx.store.read(id);
    if (statusOf(ctx, state) === "stopped") throw new RuntimeError(`container with id ${id} is not running`);
    const cg = cgroupOf(state);
    if (!cg) throw new RuntimeError("container has no cgroup");
    let readerGone = false; // our stdout's reader went away: nobody to report to any more
    const emit = (type: "stats" | "oom", data?: unknown) => { if (!writeOut(runcEventLine({ type, id, data }))) readerGone = true; };
    if (inv.flags.stats) {
      emit("stats", runcStatsData(cg.stats()));
      return 0;
    }
    // OOM kills are polled from the kernel's counter (v1 memory.oom_control, v2 memory.events),
    // which also catches kills between two polls; stats every `interval`; ends when the container stops.
    let ooms = cg.oomCount();
    let nextStats = 0;
    const reportOoms = () => {
      const seen = cg.oomCount();
      for (; ooms < seen; ooms++) emit("oom");
    };
    while (!readerGone && statusOf(ctx, state) !== "stopped" && cg.exists()) {
      try {
        reportOoms();
        const now = Date.now();
        if (now >= nextStats) { emit("stats", runcStatsData(cg.stats())); nextStats = now + interval; }
      } catch (e) {
        if (!cg.exists()) break; // deleted while we read it
        throw e;
      }
      await Bun.sleep(Math.min(100, interval));
    }
    try { reportOoms(); } catch { /* the cgroup went with the container */ }
    return 0;
  },
} satisfies Command;
