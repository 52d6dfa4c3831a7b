import { containerPids } from "../container/lifecycle.ts";
import { RuntimeError } from "../sys/errors.ts";
import { writeOut } from "../sys/stdio.ts";
import { type Command, requireId } from "./index.ts";

export default {
  meta: { name: "ps", description: "list the container's processes (json: host pids, as containerd reads them)" },
  operands: { usage: "<container-id> [ps options]", min: 1 },
  passThrough: true,
  args: { format: { type: "string", alias: "f", description: "table or json", default: "table" } },
  run(ctx, inv) {
    const id = requireId(inv, "ps");
    const pids = containerPids(ctx.store.read(id));
    if (inv.flags.format === "json") {
      writeOut(`${JSON.stringify(pids)}\n`);
      return 0;
    }
    if (inv.flags.format !== "table") throw new RuntimeError(`invalid format option "${inv.flags.format}"`);
    // Like runc: ps(1) with the given args (default -ef), filtered to the container's pids.
    const psArgs = inv.positionals.slice(1);
    const out = Bun.spawnSync(["ps", ...(psArgs.length ? psArgs : ["-ef"])], { stderr: "inherit" });
    if (!out.success) throw new RuntimeError(`ps ${psArgs.join(" ")}: exit status ${out.exitCode}`);
    const [header, ...lines] = out.stdout.toString().trimEnd().split("\n");
    const col = header!.trim().split(/\s+/).indexOf("PID");
    if (col < 0) throw new RuntimeError("couldn't find PID field in ps output");
    const wanted = new Set(pids.map(String));
    writeOut(`${[header, ...lines.filter((l) => wanted.has(l.trim().split(/\s+/)[col]!))].join("\n")}\n`);
    return 0;
  },
} satisfies Command;
