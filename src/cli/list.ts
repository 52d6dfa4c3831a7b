import { stateOf } from "../container/lifecycle.ts";
import { RuntimeError } from "../sys/errors.ts";
import { readText, tryStat } from "../sys/fs.ts";
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
    // runc's list: the owner is the user owning the container's directory (its name, or #uid)
    const names = userNames();
    const states = ctx.store.list().flatMap((id) => {
      try {
        const uid = tryStat(ctx.store.dir(id))?.uid;
        return [{ ...stateOf(ctx, id), owner: uid === undefined ? "" : (names.get(uid) ?? `#${uid}`) }];
      } catch { return []; }
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
    const rows = [["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"], ...states.map((s) => [s.id, String(s.pid), s.status, s.bundle, s.created, s.owner])];
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    for (const r of rows) writeOut(`${r.map((cell, c) => cell.padEnd(widths[c]!)).join("   ").trimEnd()}\n`);
    return 0;
  },
} satisfies Command;

/** uid → user name from the host's /etc/passwd (empty if unreadable). */
function userNames(): Map<number, string> {
  const names = new Map<number, string>();
  let text = "";
  try { text = readText("/etc/passwd"); } catch { return names; }
  for (const line of text.split("\n")) {
    const [name, , uid] = line.split(":");
    if (name && uid && /^\d+$/.test(uid) && !names.has(Number(uid))) names.set(Number(uid), name);
  }
  return names;
}
