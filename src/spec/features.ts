// The OCI features document (features.md): only what this runtime really implements.
import { KNOWN_MOUNT_OPTIONS } from "../linux/mount-options.ts";
import { CAPABILITIES } from "./capabilities-list.ts";
import { OCI_VERSION } from "./defaults.ts";
import { NAMESPACE_TYPES, SECCOMP_ACTIONS, SECCOMP_FLAGS, SECCOMP_OPERATORS } from "./schema.ts";

export function features() {
  return {
    ociVersionMin: "1.0.0",
    ociVersionMax: OCI_VERSION,
    hooks: ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"],
    mountOptions: KNOWN_MOUNT_OPTIONS,
    linux: {
      namespaces: [...NAMESPACE_TYPES].sort(),
      capabilities: Object.keys(CAPABILITIES),
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false, rdma: true },
      seccomp: {
        enabled: true,
        actions: [...SECCOMP_ACTIONS],
        operators: [...SECCOMP_OPERATORS],
        // both backends (libseccomp and our own compiler) cover these
        archs: ["SCMP_ARCH_AARCH64", "SCMP_ARCH_X32", "SCMP_ARCH_X86", "SCMP_ARCH_X86_64"],
        knownFlags: [...SECCOMP_FLAGS],
        supportedFlags: [...SECCOMP_FLAGS],
      },
      apparmor: { enabled: false },
      selinux: { enabled: false },
      intelRdt: { enabled: false },
      mountExtensions: { idmap: { enabled: true } }, // through the container's own user namespace (validate.ts)
      netDevices: { enabled: false }, // refused at create, as intelRdt and memoryPolicy
    },
    annotations: { "org.opencontainers.runtime-spec.features.minidocker.seccomp-builtin": "true" },
  };
}
