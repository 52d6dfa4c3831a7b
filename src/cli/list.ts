import { stateOf } from "../container/lifecycle.ts";
import { RuntimeError } from "../sys/errors.ts";
import { writeOut } from "../sys/stdio.ts";
import type { Command } from "./index.ts";

export default {
  meta: { name: "list", description: "list containers" },
  operands: { usage: "", min: 0, max: 0 },
  args: {
    format: { type: "string", alias: "f", description: "table or json", default: "table" },
    quiet: { type: "boolean", alias: "q", description: "ids only" },
  },
  run(ctx, inv) {
    const states = ctx.store.list().flatMap((id) => {
      try { return [stateOf(ctx, id)]; } catch { return []; }
    });
    if (inv.flags.quiet) {
      for (const s of states) writeOut(`${s.id}\n`);
      return 0;
    }
    if (inv.flags.format === "json") {
      writeOut(`${JSON.stringify(states)}\n`);
      return 0;
    }
    if (inv.flags.format !== "table") throw new RuntimeError(`invalid format option "${inv.flags.format}"`);
    const rows = [["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"], ...states.map((s) => [s.id, String(s.pid), s.status, s.bundle, s.created, s.owner || "root"])];
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    for (const r of rows) writeOut(`${r.map((cell, c) => cell.padEnd(widths[c]!)).join("   ").trimEnd()}\n`);
    return 0;
  },
} satisfies Command;
