import { resolvePath } from "../sys/path.ts";
import { defaultSpec } from "../spec/defaults.ts";
import { RuntimeError } from "../sys/errors.ts";
import { exists, writeText } from "../sys/fs.ts";
import type { Command } from "./index.ts";

export default {
  meta: { name: "spec", description: "write a default config.json (like runc spec)" },
  operands: { usage: "", min: 0, max: 0 },
  args: {
    bundle: { type: "string", alias: "b", description: "bundle directory to write config.json in" },
    rootless: { type: "boolean", description: "a spec for a rootless container" },
  },
  run(_ctx, inv) {
    const file = resolvePath((inv.flags.bundle as string | undefined) ?? ".", "config.json");
    if (exists(file)) throw new RuntimeError(`File ${file} exists. Remove it first`);
    writeText(file, `${JSON.stringify(defaultSpec({ rootless: inv.flags.rootless === true }), null, "\t")}\n`);
    return 0;
  },
} satisfies Command;
