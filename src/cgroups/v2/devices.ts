// cgroup v2 devices: no files, an eBPF BPF_PROG_TYPE_CGROUP_DEVICE program attached to the directory.
import type { Controller } from "../controller.ts";
import { setDeviceFilter } from "../../sys/bpf.ts";
import { deviceFilterInstructions, encodeInstructions } from "./devicefilter.ts";
import { CgroupError } from "../files.ts";

export const devices: Controller = {
  name: "devices",
  alwaysAvailable: true,
  isSet: (r) => r.devices !== undefined,
  apply(dir, r) {
    if (!r.devices) return;
    const program = encodeInstructions(deviceFilterInstructions(r.devices));
    try {
      setDeviceFilter(dir, program);
    } catch (e) {
      if (e instanceof CgroupError) throw e;
      throw new CgroupError((e as Error).message, "linux.resources.devices", "", { cause: e });
    }
  },
};
