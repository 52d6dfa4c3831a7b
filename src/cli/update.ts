import { cgroupOf } from "../container/cgroup.ts";
import { withContainer } from "../container/lifecycle.ts";
import { resourcesFromFlags, UPDATE_FLAGS } from "../cgroups/update-flags.ts";
import { parseJson, parseResources } from "../spec/parse.ts";
import type { LinuxResources } from "../spec/types.ts";
import { RuntimeError } from "../sys/errors.ts";
import { readAllFd, readText } from "../sys/fs.ts";
import { type Command, requireId } from "./index.ts";

export default {
  meta: { name: "update", description: "change the resource limits of a running container" },
  args: {
    resources: { type: "string", alias: "r", description: "LinuxResources JSON file, or - for stdin" },
    ...UPDATE_FLAGS,
    "l3-cache-schema": { type: "string", description: "Intel RDT/CAT L3 cache schema (not supported: refused)" },
    "mem-bw-schema": { type: "string", description: "Intel RDT/MBA memory bandwidth schema (not supported: refused)" },
  },
  run(ctx, inv) {
    const id = requireId(inv, "update");
    // runc takes them only where resctrl is enabled; minidocker refuses linux.intelRdt altogether
    for (const flag of ["l3-cache-schema", "mem-bw-schema"])
      if (inv.flags[flag] !== undefined) throw new RuntimeError(`update --${flag}: Intel RDT (linux.intelRdt) is not supported`);
    let resources: LinuxResources;
    if (inv.flags.resources !== undefined) {
      const file = inv.flags.resources as string;
      const text = file === "-" ? readAllFd(0, "stdin").toString("utf8") : readText(file);
      resources = parseResources(parseJson(text, file), file).spec;
    } else {
      resources = resourcesFromFlags(inv.flags);
    }
    withContainer(ctx, id, (state, status) => {
      if (status === "stopped") throw new RuntimeError("container not running");
      const cg = cgroupOf(state);
      if (!cg) throw new RuntimeError("container has no cgroup");
      cg.apply(resources);
      // Keep the stored config in step, as runc does, so later reads see the new limits.
      state.spec.linux = { ...state.spec.linux, resources: mergeResources(state.spec.linux?.resources ?? {}, resources) };
      ctx.store.write(state);
    });
    return 0;
  },
} satisfies Command;

function mergeResources(base: LinuxResources, update: LinuxResources): LinuxResources {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(update)) {
    out[k] = v && typeof v === "object" && !Array.isArray(v) ? { ...(out[k] as object), ...v } : v;
  }
  return out as LinuxResources;
}
