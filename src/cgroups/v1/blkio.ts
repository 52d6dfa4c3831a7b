// cgroup v1 blkio: weights (BFQ's blkio.bfq.* when present, as runc), per-device weights and
// throttles, one "major:minor value" line per write (runc libcontainer/cgroups/fs/blkio.go).
import { isBlockIOSet } from "../common.ts";
import type { Controller } from "../controller.ts";
import { hasCgroupFile, readCgroupFile, writeCgroupFile } from "../files.ts";
import type { BlkioEntry, LinuxBlockIO } from "../types.ts";

const F = "linux.resources.blockIO";
const THROTTLES: Array<[keyof LinuxBlockIO, string]> = [
  ["throttleReadBpsDevice", "blkio.throttle.read_bps_device"],
  ["throttleWriteBpsDevice", "blkio.throttle.write_bps_device"],
  ["throttleReadIOPSDevice", "blkio.throttle.read_iops_device"],
  ["throttleWriteIOPSDevice", "blkio.throttle.write_iops_device"],
];

/** "8:0 Read 4096" lines (the "Total" line has no device and is dropped). */
export function parseBlkioEntries(text: string): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of text.split("\n")) {
    const m = /^(\d+):(\d+) (\S+) (\d+)$/.exec(line.trim());
    if (m) out.push({ major: Number(m[1]), minor: Number(m[2]), op: m[3], value: Number(m[4]) });
  }
  return out;
}

export const blkio: Controller = {
  name: "blkio",
  isSet: isBlockIOSet,
  apply(dir, r) {
    const b = r.blockIO;
    if (!b) return;
    const bfq = hasCgroupFile(dir, "blkio.bfq.weight");
    if (b.weight) writeCgroupFile(dir, bfq ? "blkio.bfq.weight" : "blkio.weight", String(b.weight), `${F}.weight`);
    if (b.leafWeight) writeCgroupFile(dir, "blkio.leaf_weight", String(b.leafWeight), `${F}.leafWeight`);
    b.weightDevice?.forEach((d, i) => {
      if (d.weight) writeCgroupFile(dir, bfq ? "blkio.bfq.weight_device" : "blkio.weight_device",
        `${d.major}:${d.minor} ${d.weight}`, `${F}.weightDevice[${i}].weight`);
      if (d.leafWeight) writeCgroupFile(dir, "blkio.leaf_weight_device", `${d.major}:${d.minor} ${d.leafWeight}`,
        `${F}.weightDevice[${i}].leafWeight`);
    });
    for (const [key, file] of THROTTLES)
      (b[key] as LinuxBlockIO["throttleReadBpsDevice"])?.forEach((d, i) =>
        writeCgroupFile(dir, file, `${d.major}:${d.minor} ${d.rate}`, `${F}.${key}[${i}]`));
  },
  stats(dir, stats) {
    const read = (file: string) => (hasCgroupFile(dir, file) ? parseBlkioEntries(readCgroupFile(dir, file)) : []);
    stats.blkio = {
      ioServiceBytesRecursive: read("blkio.throttle.io_service_bytes_recursive"),
      ioServicedRecursive: read("blkio.throttle.io_serviced_recursive"),
    };
  },
};
