// cgroup v2 linux.resources.unified: raw "file": "value" pairs, written as given (runc fs2 setUnified).
import type { Controller } from "../controller.ts";
import { CgroupError, errnoOf, readCgroupFile, writeCgroupFile } from "../files.ts";

const ENOENT = 2, EPERM = 1, EACCES = 13;

export const unified: Controller = {
  name: "unified",
  alwaysAvailable: true,
  isSet: (r) => Object.keys(r.unified ?? {}).length > 0,
  apply(dir, r) {
    for (const [key, value] of Object.entries(r.unified ?? {})) {
      const field = `linux.resources.unified.${key}`;
      if (key.includes("/") || key === "." || key === ".." || key === "")
        throw new CgroupError(`unified resource ${JSON.stringify(key)} must be a file name (no slashes)`, field);
      const [controller, parameter] = key.split(/\.(.*)/s);
      if (!parameter) throw new CgroupError(`unified resource ${JSON.stringify(key)} must be in the form CONTROLLER.PARAMETER`, field);
      try {
        writeCgroupFile(dir, key, value, field);
      } catch (e) {
        const errno = errnoOf((e as Error).cause);
        const available = readCgroupFile(dir, "cgroup.controllers").trim().split(/\s+/);
        if ((errno === ENOENT || errno === EPERM || errno === EACCES) && controller !== "cgroup" && !available.includes(controller!))
          throw new CgroupError(`can't write ${JSON.stringify(key)}: controller "${controller}" not available`, field, key, { cause: e });
        throw e;
      }
    }
  },
};
