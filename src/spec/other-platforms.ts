// Config sections for other platforms (config-{windows,solaris,vm,zos,freebsd}.json).
// A Linux runtime ignores them (validate.ts warns: OTHER_PLATFORMS), but a malformed one is still a malformed
// config.json, so their shape is checked like the JSON schema does: same fields, enums, ranges.
import * as v from "valibot";
import { builtOnFirstUse, fileMode, object, record, strings, uint16, uint32, uint64, uint8 } from "./scalars.ts";

const optional = v.optional;

const WindowsSchema = () => object({
  layerFolders: v.pipe(strings, v.minLength(1)),
  devices: optional(v.array(object({ id: v.string(), idType: v.picklist(["class"]) }))),
  resources: optional(object({
    memory: optional(object({ limit: optional(uint64) })),
    cpu: optional(object({
      count: optional(uint64),
      shares: optional(uint16),
      maximum: optional(uint16),
      affinity: optional(object({ mask: optional(uint64), group: optional(uint32) })),
    })),
    storage: optional(object({ iops: optional(uint64), bps: optional(uint64), sandboxSize: optional(uint64) })),
  })),
  network: optional(object({
    endpointList: optional(strings),
    allowUnqualifiedDNSQuery: optional(v.boolean()),
    DNSSearchList: optional(strings),
    networkSharedContainerName: optional(v.string()),
    networkNamespace: optional(v.string()),
  })),
  credentialSpec: optional(record(v.unknown())),
  servicing: optional(v.boolean()),
  ignoreFlushesDuringBoot: optional(v.boolean()),
  hyperv: optional(object({ utilityVMPath: optional(v.string()) })),
});

const SolarisSchema = () => object({
  milestone: optional(v.string()),
  limitpriv: optional(v.string()),
  maxShmMemory: optional(v.string()),
  cappedCPU: optional(object({ ncpus: optional(v.string()) })),
  cappedMemory: optional(object({ physical: optional(v.string()), swap: optional(v.string()) })),
  anet: optional(v.array(object({
    linkname: optional(v.string()),
    lowerLink: optional(v.string()),
    allowedAddress: optional(v.string()),
    configureAllowedAddress: optional(v.string()),
    defrouter: optional(v.string()),
    macAddress: optional(v.string()),
    linkProtection: optional(v.string()),
  }))),
});

const vmPath = { path: v.string(), parameters: optional(strings) };
const VmSchema = () => object({
  hypervisor: optional(object(vmPath)),
  kernel: object({ ...vmPath, initrd: optional(v.string()) }),
  image: optional(object({ path: v.string(), format: v.picklist(["raw", "qcow2", "vdi", "vmdk", "vhd"]) })),
  hwConfig: optional(object({
    deviceTree: optional(v.string()),
    vcpus: optional(uint32),
    memory: optional(uint64),
    dtdevs: optional(strings),
    iomems: optional(v.array(object({ firstGFN: optional(uint64), firstMFN: uint64, nrMFNs: uint64 }))),
    irqs: optional(v.array(uint32)),
  })),
});

const ZosSchema = () => object({
  namespaces: optional(v.array(object({ type: v.picklist(["mount", "pid", "uts", "ipc"]), path: optional(v.string()) }))),
});

const sharing = v.picklist(["disable", "new", "inherit"]);
const sharingNoDisable = v.picklist(["new", "inherit"]); // a jail can't drop its host or vnet
const FreebsdSchema = () => object({
  devices: optional(v.array(object({ path: optional(v.string()), mode: optional(fileMode) }))),
  jail: optional(object({
    parent: optional(v.string()),
    host: optional(sharingNoDisable),
    ip4: optional(sharing),
    ip4Addr: optional(strings),
    ip6: optional(sharing),
    ip6Addr: optional(strings),
    vnet: optional(sharingNoDisable),
    interface: optional(v.string()),
    vnetInterfaces: optional(strings),
    sysvmsg: optional(sharing),
    sysvsem: optional(sharing),
    sysvshm: optional(sharing),
    enforceStatfs: optional(uint8),
    allow: optional(object({
      setHostname: optional(v.boolean()),
      rawSockets: optional(v.boolean()),
      chflags: optional(v.boolean()),
      mount: optional(strings),
      quotas: optional(v.boolean()),
      socketAf: optional(v.boolean()),
      mlock: optional(v.boolean()),
      reservedPorts: optional(v.boolean()),
      suser: optional(v.boolean()),
    })),
  })),
});

// Built on first use: constructing these schemas cost 1.7 ms and 3.5 MB at every `create`
// (measured), while Linux configs almost never carry these sections.
const lazily = <T extends v.GenericSchema>(build: () => T) => optional(builtOnFirstUse(build));

export const OtherPlatformSchemas = {
  windows: lazily(WindowsSchema),
  solaris: lazily(SolarisSchema),
  vm: lazily(VmSchema),
  zos: lazily(ZosSchema),
  freebsd: lazily(FreebsdSchema),
};
