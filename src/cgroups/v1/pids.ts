// pids (same files on v1 and v2): pids.max; a limit <= 0 … runc: 0 = unset, negative = "max".
import type { Controller } from "../controller.ts";
import { readCgroupFile, readNumber, writeCgroupFile } from "../files.ts";

export const pids: Controller = {
  name: "pids",
  isSet: (r) => r.pids !== undefined && r.pids.limit !== 0,
  apply(dir, r) {
    const limit = r.pids?.limit;
    if (limit === undefined || limit === 0) return;
    writeCgroupFile(dir, "pids.max", limit > 0 ? String(limit) : "max", "linux.resources.pids.limit");
  },
  stats(dir, stats) {
    const max = readCgroupFile(dir, "pids.max").trim();
    stats.pids = { current: readNumber(dir, "pids.current"), ...(max === "max" ? {} : { limit: Number(max) }) };
  },
};
