import { lintConfig } from "../spec/parse.ts";
import { readText } from "../sys/fs.ts";
import { writeOut } from "../sys/stdio.ts";
import type { Command } from "./index.ts";

// Validates config files without root and without touching the system: every problem, one
// path-tagged line each. Two levels: an error is what `create` refuses (exit 1); a warning is
// allowed by the spec but likely a mistake (e.g. no `process`), exit 0 — or 1 with --strict, for CI.
export default {
  meta: { name: "lint", description: "validate config.json files and print every problem (no root needed)" },
  operands: { usage: "[config.json…]", min: 0 },
  args: { strict: { type: "boolean", description: "warnings fail too (exit 1)" } },
  run(_ctx, inv) {
    const files = inv.positionals.length ? inv.positionals : ["config.json"];
    let failed = false;
    for (const file of files) {
      let json: unknown;
      try {
        json = JSON.parse(readText(file));
      } catch (e) {
        writeOut(`${file}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : `invalid JSON: ${(e as Error).message}`}\n`);
        failed = true;
        continue;
      }
      const { errors, warnings } = lintConfig(json, file);
      for (const line of errors) writeOut(`${line}\n`);
      for (const line of warnings) writeOut(`${line} (warning)\n`);
      if (errors.length || (inv.flags.strict === true && warnings.length)) failed = true;
    }
    return failed ? 1 : 0;
  },
} satisfies Command;
