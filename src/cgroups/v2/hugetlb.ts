// cgroup v2 hugetlb: hugetlb.<size>.max per page size.
import type { Controller } from "../controller.ts";
import { applyHugepageLimits, isHugetlbSet } from "../common.ts";
import { readFlatKeyed, readNumber } from "../files.ts";
import { readDir } from "../../sys/fs.ts";

export const hugetlb: Controller = {
  name: "hugetlb",
  isSet: isHugetlbSet,
  apply: (dir, r) => applyHugepageLimits(dir, r, "max"),
  stats(dir, stats) {
    for (const file of readDir(dir)) {
      const size = /^hugetlb\.(\w+)\.current$/.exec(file)?.[1];
      if (size) stats.hugetlb[size] = {
        usage: readNumber(dir, file), failcnt: readFlatKeyed(dir, `hugetlb.${size}.events`).max ?? 0,
      };
    }
  },
};
