// rdma (same file on v1 and v2): rdma.max, one "device hca_handle=N hca_object=M" line per device.
import type { Controller } from "../controller.ts";
import { writeCgroupFile } from "../files.ts";

export function rdmaLine(device: string, limit: { hcaHandles?: number; hcaObjects?: number }): string | undefined {
  const parts = [device];
  if (limit.hcaHandles !== undefined) parts.push(`hca_handle=${limit.hcaHandles}`);
  if (limit.hcaObjects !== undefined) parts.push(`hca_object=${limit.hcaObjects}`);
  return parts.length > 1 ? parts.join(" ") : undefined;
}

export const rdma: Controller = {
  name: "rdma",
  isSet: (r) => Object.keys(r.rdma ?? {}).length > 0,
  apply(dir, r) {
    for (const [device, limit] of Object.entries(r.rdma ?? {})) {
      const line = rdmaLine(device, limit);
      if (line) writeCgroupFile(dir, "rdma.max", line, `linux.resources.rdma.${device}`);
    }
  },
};
