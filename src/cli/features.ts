import { features } from "../spec/features.ts";
import { writeOut } from "../sys/stdio.ts";
import type { Command } from "./index.ts";

export default {
  meta: { name: "features", description: "print the OCI features JSON: what this runtime really supports" },
  operands: { usage: "", min: 0, max: 0 },
  args: {},
  run() {
    writeOut(`${JSON.stringify(features(), null, 2)}\n`);
    return 0;
  },
} satisfies Command;
