// cgroup v2 io: io.bfq.weight when BFQ is there (it takes blkio's scale), else io.weight (converted);
// per-device weights only through BFQ; throttles as "major:minor rbps=N" lines in io.max
// (runc libcontainer/cgroups/fs2/io.go).
import { isBlockIOSet } from "../common.ts";
import type { Controller } from "../controller.ts";
import { blkioWeightToIoWeight } from "../convert.ts";
import { CgroupError, hasCgroupFile, readCgroupFile, writeCgroupFile } from "../files.ts";
import type { BlkioEntry, LinuxBlockIO } from "../types.ts";

const F = "linux.resources.blockIO";
const THROTTLES: Array<[keyof LinuxBlockIO, string]> = [
  ["throttleReadBpsDevice", "rbps"],
  ["throttleWriteBpsDevice", "wbps"],
  ["throttleReadIOPSDevice", "riops"],
  ["throttleWriteIOPSDevice", "wiops"],
];

/** io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" → runc's blkio entries. */
export function parseIoStat(text: string) {
  const bytes: BlkioEntry[] = [], ios: BlkioEntry[] = [];
  for (const line of text.split("\n")) {
    const [device, ...pairs] = line.trim().split(/\s+/);
    const m = /^(\d+):(\d+)$/.exec(device ?? "");
    if (!m) continue;
    const values = Object.fromEntries(pairs.map((p) => p.split("=")).map(([k, v]) => [k, Number(v)]));
    const at = { major: Number(m[1]), minor: Number(m[2]) };
    bytes.push({ ...at, op: "Read", value: values.rbytes ?? 0 }, { ...at, op: "Write", value: values.wbytes ?? 0 });
    ios.push({ ...at, op: "Read", value: values.rios ?? 0 }, { ...at, op: "Write", value: values.wios ?? 0 });
  }
  return { ioServiceBytesRecursive: bytes, ioServicedRecursive: ios };
}

export const io: Controller = {
  name: "io",
  isSet: isBlockIOSet,
  apply(dir, r, context) {
    const b = r.blockIO;
    if (!b) return;
    const bfq = hasCgroupFile(dir, "io.bfq.weight");
    if (b.weight) {
      if (bfq) writeCgroupFile(dir, "io.bfq.weight", String(b.weight), `${F}.weight`);
      else writeCgroupFile(dir, "io.weight", String(blkioWeightToIoWeight(b.weight)), `${F}.weight`);
    }
    if (b.leafWeight) context.warn(`${F}.leafWeight is not supported on cgroup v2; ignored`);
    b.weightDevice?.forEach((d, i) => {
      if (!d.weight) return;
      if (!bfq) throw new CgroupError("per-device weight needs the BFQ I/O scheduler (io.bfq.weight)", `${F}.weightDevice[${i}]`, "io.bfq.weight");
      writeCgroupFile(dir, "io.bfq.weight", `${d.major}:${d.minor} ${d.weight}`, `${F}.weightDevice[${i}].weight`);
    });
    for (const [key, name] of THROTTLES)
      (b[key] as LinuxBlockIO["throttleReadBpsDevice"])?.forEach((d, i) =>
        writeCgroupFile(dir, "io.max", `${d.major}:${d.minor} ${name}=${d.rate}`, `${F}.${key}[${i}]`));
  },
  stats(dir, stats) {
    if (hasCgroupFile(dir, "io.stat")) stats.blkio = parseIoStat(readCgroupFile(dir, "io.stat"));
  },
};
