// cgroup v1 hugetlb: hugetlb.<size>.limit_in_bytes per page size.
import type { Controller } from "../controller.ts";
import { applyHugepageLimits, isHugetlbSet } from "../common.ts";
import { readNumber } from "../files.ts";
import { readDir } from "../../sys/fs.ts";

export const hugetlb: Controller = {
  name: "hugetlb",
  isSet: isHugetlbSet,
  apply: (dir, r) => applyHugepageLimits(dir, r, "limit_in_bytes"),
  stats(dir, stats) {
    for (const file of readDir(dir)) {
      const size = /^hugetlb\.(\w+)\.usage_in_bytes$/.exec(file)?.[1];
      if (size) stats.hugetlb[size] = {
        usage: readNumber(dir, file), max: readNumber(dir, `hugetlb.${size}.max_usage_in_bytes`),
        failcnt: readNumber(dir, `hugetlb.${size}.failcnt`),
      };
    }
  },
};
