// What `spec` writes: the same config as `runc spec` (runc 1.1.5, libcontainer/specconv/example.go),
// with `--rootless` applied as runc's ToRootless does, and runc's ociVersion (SPEC_VERSION_WRITTEN).
// No valibot: plain data, checked against the schema in test/unit/spec/defaults.test.ts.
import type { Spec } from "./types.ts";

/** The runtime-spec version we implement (features' ociVersionMax; validation takes every 1.x). */
export const OCI_VERSION = "1.3.0";
/**
 * The ociVersion `spec` writes: runc 1.1's. Debian 12's crun 1.8.1 refuses any version but 1.0.x
 * ("unknown version specified"), so a bundle made here must run under runc and crun alike.
 */
export const SPEC_VERSION_WRITTEN = "1.0.2-dev";

export interface DefaultSpecOptions {
  /** Like `runc spec --rootless`: a user namespace mapping the caller's ids, no network namespace. */
  rootless?: boolean;
  args?: string[];
}

const DEFAULT_CAPABILITIES = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"];

export function defaultSpec({ rootless = false, args = ["sh"] }: DefaultSpecOptions = {}): Spec {
  const spec: Spec = {
    ociVersion: SPEC_VERSION_WRITTEN,
    process: {
      terminal: true,
      user: { uid: 0, gid: 0 },
      args: [...args],
      env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
      cwd: "/",
      capabilities: {
        bounding: [...DEFAULT_CAPABILITIES],
        effective: [...DEFAULT_CAPABILITIES],
        permitted: [...DEFAULT_CAPABILITIES],
        ambient: [...DEFAULT_CAPABILITIES],
      },
      rlimits: [{ type: "RLIMIT_NOFILE", hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: "rootfs", readonly: true },
    hostname: "runc",
    mounts: [
      { destination: "/proc", type: "proc", source: "proc" },
      { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
      {
        destination: "/dev/pts",
        type: "devpts",
        source: "devpts",
        options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
      },
      { destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
      { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
      { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] },
      { destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", "ro"] },
    ],
    linux: {
      resources: { devices: [{ allow: false, access: "rwm" }] },
      namespaces: [{ type: "pid" }, { type: "network" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }],
      maskedPaths: [
        "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
      ],
      readonlyPaths: ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
    },
  };
  return rootless ? toRootless(spec) : spec;
}

/** runc's specconv.ToRootless: what an unprivileged user can set up. */
function toRootless(spec: Spec): Spec {
  const { namespaces = [], maskedPaths, readonlyPaths } = spec.linux!;
  // A user namespace mapping root in the container to the caller; no network namespace
  // (it could not be configured) and no cgroup resources (no cgroup delegation assumed).
  // Built anew to keep runc's key order: the output is meant to be diffed against `runc spec --rootless`.
  spec.linux = {
    uidMappings: [{ containerID: 0, hostID: process.geteuid?.() ?? 0, size: 1 }],
    gidMappings: [{ containerID: 0, hostID: process.getegid?.() ?? 0, size: 1 }],
    namespaces: [...namespaces.filter((ns) => ns.type !== "network" && ns.type !== "user"), { type: "user" }],
    maskedPaths,
    readonlyPaths,
  };
  for (const mount of spec.mounts!) {
    // A new sysfs needs a network namespace owned by the user namespace: bind the host's instead.
    if (mount.destination === "/sys") Object.assign(mount, { type: "none", source: "/sys", options: ["rbind", "nosuid", "noexec", "nodev", "ro"] });
    // gid 5 (tty) is not mapped in the user namespace.
    mount.options = mount.options?.filter((option) => !option.startsWith("gid=") && !option.startsWith("uid="));
  }
  for (const mount of spec.mounts!) if (mount.options === undefined) delete mount.options;
  return spec;
}
