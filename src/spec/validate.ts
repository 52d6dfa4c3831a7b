// What config.json MEANS, once its shape is right (schema.ts): the rules the spec text states
// and runc enforces (libcontainer/configs/validate/validator.go, libcontainer/specconv), each
// reported with the JSON path of the field at fault. Errors stop `create`; warnings don't
// (e.g. an unknown capability or syscall: the spec says to go on). No valibot here.
import { isCapabilityName } from "./capabilities-list.ts";
import { KNOWN_SYSCALLS } from "./syscall-names.ts";
import type {
  Hooks, IdMapping, Linux, LinuxNamespace, LinuxResources, LinuxSeccomp, Mount, NamespaceType, Process, Spec,
} from "./types.ts";

export interface Problem {
  path: string;
  detail: string;
}

export class Findings {
  readonly errors: Problem[] = [];
  readonly warnings: Problem[] = [];
  /** Problems the spec allows but this runtime (like runc) won't run: errors for `create`, warnings for `lint`. */
  readonly refusals: Problem[] = [];
  /** Values outside the spec that runc takes and so do we: `lint` warns, `create` keeps quiet. */
  readonly portability: Problem[] = [];
  error(path: string, detail: string) { this.errors.push({ path, detail }); }
  warn(path: string, detail: string) { this.warnings.push({ path, detail }); }
  refuse(path: string, detail: string) { this.refusals.push({ path, detail }); }
  notPortable(path: string, detail: string) { this.portability.push({ path, detail }); }
}

/**
 * `at("linux.resources", "devices", 2, "type")` → "linux.resources.devices[2].type". The first
 * argument is a path already built; keys after it that aren't plain names are quoted:
 * `at("linux.sysctl", "net.ipv4.ip_forward")` → `linux.sysctl["net.ipv4.ip_forward"]`.
 */
export function at(base: string, ...keys: Array<string | number>): string {
  let out = base;
  for (const key of keys) {
    if (typeof key === "number") out += `[${key}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out;
}

const isAbsolute = (path: string) => path.startsWith("/");
const quote = (value: unknown) => JSON.stringify(value);

// ── config.json ────────────────────────────────────────────────────────────────────────

type Check = (spec: Spec, findings: Findings) => void;

/** Every semantic check of a whole config, in document order. */
export const SPEC_CHECKS: ReadonlyArray<[string, Check]> = [
  ["ociVersion", (spec, f) => checkOciVersion(spec.ociVersion, f)],
  ["root", (spec, f) => checkRoot(spec, f)],
  // runc refuses a config without a process at create (the spec needs one only at start).
  ["process", (spec, f) => (spec.process ? checkProcess(spec.process, "process", f) : f.refuse("process", "required to create a container"))],
  ["hostname", (spec, f) => checkUts(spec, f)],
  ["mounts", (spec, f) => checkMounts(spec.mounts ?? [], spec.linux, f)],
  ["hooks", (spec, f) => spec.hooks && checkHooks(spec.hooks, f)],
  ["linux", (spec, f) => checkLinux(spec.linux ?? {}, f)],
  ["platforms", (spec, f) => checkOtherPlatforms(spec, f)],
];

export function checkSpec(spec: Spec, findings = new Findings()): Findings {
  for (const [, check] of SPEC_CHECKS) check(spec, findings);
  return findings;
}

// SemVer 2.0.0, as the spec requires of ociVersion.
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

function checkOciVersion(version: string, f: Findings) {
  const match = SEMVER.exec(version);
  if (!match) return f.error("ociVersion", `${quote(version)} is not a SemVer version (like "1.2.0")`);
  if (match[1] !== "1") f.warn("ociVersion", `${quote(version)}: this runtime implements spec 1.x`);
}

function checkRoot(spec: Spec, f: Findings) {
  // config.md: root is OPTIONAL on Windows only; "on all other platforms, this field is REQUIRED".
  if (!spec.root) return f.error("root", "required on Linux");
  if (spec.root.path === "") f.error("root.path", "must not be empty");
  // A relative path is fine: it is relative to the bundle directory.
}

function checkUts(spec: Spec, f: Findings) {
  // runc: "unable to set hostname without a private UTS namespace".
  const uts = findNamespace(spec.linux, "uts");
  // The spec allows it (the container may share the runtime's UTS namespace); runc refuses to rename the host.
  if (spec.hostname && !uts) f.refuse("hostname", "needs a UTS namespace (linux.namespaces has none)");
  if (spec.domainname && !uts) f.refuse("domainname", "needs a UTS namespace (linux.namespaces has none)");
}

/** Sections other-platforms.ts checks for shape only. */
export const OTHER_PLATFORMS = ["windows", "solaris", "vm", "zos", "freebsd"] as const;

function checkOtherPlatforms(spec: Spec, f: Findings) {
  for (const platform of OTHER_PLATFORMS)
    if (spec[platform] !== undefined) f.warn(platform, "settings for another platform, ignored on Linux");
}

// ── process ────────────────────────────────────────────────────────────────────────────

/** getrlimit(2) resources. */
export const RLIMITS = [
  "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE", "RLIMIT_RSS",
  "RLIMIT_NPROC", "RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS", "RLIMIT_LOCKS",
  "RLIMIT_SIGPENDING", "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
] as const;

/** `base` is "process" in config.json and "" in an `exec --process` file. */
export function checkProcess(process: Process, base: string, f: Findings) {
  // runc's validateProcessSpec; config.md: cwd "MUST be an absolute path", args "at least one entry is REQUIRED".
  if (!isAbsolute(process.cwd)) f.error(at(base, "cwd"), `${quote(process.cwd)} is not an absolute path`);
  if (!process.args?.length) f.error(at(base, "args"), "needs at least one entry (the program to run)");

  // config.md makes uid and gid REQUIRED on POSIX platforms; runc takes 0 when they are missing.
  for (const id of ["uid", "gid"] as const)
    if (process.user?.[id] === undefined) f.warn(at(base, "user", id), "missing, using 0 (the spec requires it)");

  process.env?.forEach((entry, i) => {
    const equals = entry.indexOf("=");
    if (equals < 0) f.error(at(base, "env", i), `${quote(entry)} is not NAME=value`);
    else if (equals === 0) f.error(at(base, "env", i), `${quote(entry)} has an empty name`);
  });

  for (const [set, names] of Object.entries(process.capabilities ?? {}))
    names?.forEach((name, i) => {
      // config.md: unknown capabilities are logged, not fatal (a newer kernel may know them).
      if (!isCapabilityName(name)) f.warn(at(base, "capabilities", set, i), `unknown capability ${quote(name)}, ignored`);
    });

  const seenRlimits = new Map<string, number>();
  process.rlimits?.forEach((rlimit, i) => {
    const path = at(base, "rlimits", i);
    if (!(RLIMITS as readonly string[]).includes(rlimit.type)) f.error(at(path, "type"), `unknown resource ${quote(rlimit.type)}`);
    const first = seenRlimits.get(rlimit.type);
    if (first !== undefined) f.error(at(path, "type"), `duplicate ${quote(rlimit.type)} (also at [${first}])`);
    else seenRlimits.set(rlimit.type, i);
    if (rlimit.soft > rlimit.hard) f.error(at(path, "soft"), `${rlimit.soft} is above hard ${rlimit.hard}`);
  });

  // The kernel's range for /proc/PID/oom_score_adj.
  const oom = process.oomScoreAdj;
  if (oom !== undefined && (oom < -1000 || oom > 1000)) f.error(at(base, "oomScoreAdj"), `${oom} is outside -1000..1000`);

  const scheduler = process.scheduler;
  if (scheduler) {
    // runc's scheduler check, after sched_setattr(2).
    const path = at(base, "scheduler");
    const { policy, nice, priority } = scheduler;
    if (nice !== undefined && (nice < -20 || nice > 19)) f.error(at(path, "nice"), `${nice} is outside -20..19`);
    if (priority && policy !== "SCHED_FIFO" && policy !== "SCHED_RR")
      f.error(at(path, "priority"), `only SCHED_FIFO and SCHED_RR take a priority, not ${policy}`);
    if (policy !== "SCHED_DEADLINE")
      for (const key of ["runtime", "deadline", "period"] as const)
        if (scheduler[key]) f.error(at(path, key), `only SCHED_DEADLINE takes ${key}, not ${policy}`);
  }

  // ioprio_set(2): priority levels 0 (highest) .. 7.
  const ioPriority = process.ioPriority?.priority;
  if (ioPriority !== undefined && (ioPriority < 0 || ioPriority > 7))
    f.error(at(base, "ioPriority", "priority"), `${ioPriority} is outside 0..7`);
}

// ── mounts and hooks ───────────────────────────────────────────────────────────────────

// mount_setattr(2) AT_RECURSIVE options (rro, rnosuid, …): not rbind or the r* propagations.
const RECURSIVE_ATTRIBUTE = /^r(ro|rw|nosuid|suid|nodev|dev|noexec|exec|noatime|atime|nodiratime|diratime|relatime|norelatime|strictatime|nostrictatime|nosymfollow|symfollow)$/;

// Fields the spec defines that this runtime does not apply: refused, never silently ignored
// (`features` leaves them out).
const UNSUPPORTED = "not supported by minidocker";

function checkMounts(mounts: Mount[], linux: Linux | undefined, f: Findings) {
  mounts.forEach((mount, i) => {
    const path = at("mounts", i);
    const options = mount.options ?? [];
    // runc 1.1 applies them to bind mounts only (mountToRootfs → setRecAttr); so do we.
    if (mount.type !== "bind" && !options.includes("bind") && !options.includes("rbind"))
      options.forEach((option, j) => {
        if (RECURSIVE_ATTRIBUTE.test(option))
          f.warn(at(path, "options", j), `${quote(option)} applies to bind mounts only, ignored for type ${quote(mount.type ?? "none")}`);
      });
    if (mount.destination === "") f.error(at(path, "destination"), "must not be empty");
    // config.md (Linux): relative destinations are deprecated and taken relative to "/"; runc warns too.
    else if (!isAbsolute(mount.destination))
      f.warn(at(path, "destination"), `${quote(mount.destination)} is relative (deprecated), taken as "/${mount.destination}"`);

    if (mount.uidMappings || mount.gidMappings) {
      // An idmapped mount (mount_setattr MOUNT_ATTR_IDMAP) needs both maps and a bind source.
      if (!mount.uidMappings || !mount.gidMappings)
        f.error(path, "an idmapped mount needs both uidMappings and gidMappings");
      const options = mount.options ?? [];
      if (!options.includes("bind") && !options.includes("rbind") && mount.type !== "bind")
        f.error(at(path, "options"), `uidMappings/gidMappings need a bind mount ("bind" or "rbind")`);
      if (mount.source !== undefined && !isAbsolute(mount.source))
        f.error(at(path, "source"), `${quote(mount.source)}: an idmapped mount needs an absolute source`);
      mount.uidMappings?.forEach((m, j) => checkIdMapping(m, at(path, "uidMappings", j), f));
      mount.gidMappings?.forEach((m, j) => checkIdMapping(m, at(path, "gidMappings", j), f));
    }
    options.forEach((option, j) => {
      if ((option === "idmap" || option === "ridmap") && !options.includes("bind") && !options.includes("rbind") && mount.type !== "bind")
        f.error(at(path, "options", j), `${quote(option)} needs a bind mount ("bind" or "rbind")`);
    });
    if (isIdmapped(mount)) checkIdmappedMount(mount, path, linux, f);
  });
}

export const isIdmapped = (mount: Mount) =>
  !!(mount.uidMappings || mount.gidMappings || mount.options?.some((o) => o === "idmap" || o === "ridmap"));

/**
 * minidocker maps a mount through the container's own user namespace (mount_setattr
 * MOUNT_ATTR_IDMAP with its fd); runc also makes a namespace for other mappings: refused here.
 */
function checkIdmappedMount(mount: Mount, path: string, linux: Linux | undefined, f: Findings) {
  const user = findNamespace(linux, "user");
  const field = mount.uidMappings ? at(path, "uidMappings") : mount.gidMappings ? at(path, "gidMappings") : at(path, "options");
  if (!user) return f.refuse(field, `an idmapped mount needs the container's user namespace (linux.namespaces has none): other mappings are ${UNSUPPORTED}`);
  if (!mount.uidMappings && !mount.gidMappings) return; // the container's own mappings
  const same = (a: IdMapping[] | undefined, b: IdMapping[] | undefined) =>
    JSON.stringify((a ?? []).map((m) => [m.containerID, m.hostID, m.size])) === JSON.stringify((b ?? []).map((m) => [m.containerID, m.hostID, m.size]));
  if (user.path || !same(mount.uidMappings, linux?.uidMappings) || !same(mount.gidMappings, linux?.gidMappings))
    f.refuse(field, `only the container's own mappings (linux.uidMappings/gidMappings) are supported for idmapped mounts; others are ${UNSUPPORTED}`);
}

const HOOK_NAMES = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"] as const;

function checkHooks(hooks: Hooks, f: Findings) {
  for (const name of HOOK_NAMES)
    hooks[name]?.forEach((hook, i) => {
      // config.md: hook path "MUST be absolute".
      if (!isAbsolute(hook.path)) f.error(at("hooks", name, i, "path"), `${quote(hook.path)} is not an absolute path`);
    });
  if (hooks.prestart?.length) f.warn(at("hooks", "prestart"), "deprecated: use createRuntime (still run, as runc does)");
}

// ── linux ──────────────────────────────────────────────────────────────────────────────

export const findNamespace = (linux: Linux | undefined, type: NamespaceType): LinuxNamespace | undefined =>
  linux?.namespaces?.find((ns) => ns.type === type);

/** A namespace the container gets anew (listed, without a path to join). */
const createsNamespace = (linux: Linux, type: NamespaceType) => {
  const ns = findNamespace(linux, type);
  return ns !== undefined && !ns.path;
};

export function checkLinux(linux: Linux, f: Findings) {
  checkNamespaces(linux, f);
  checkIdMappings(linux, f);
  checkTimeOffsets(linux, f);
  checkDevices(linux, f);
  checkCgroupsPath(linux.cgroupsPath, f);
  if (linux.resources) checkResources(linux.resources, "linux.resources", f);
  checkSysctl(linux, f);
  if (linux.seccomp) checkSeccomp(linux.seccomp, f);
  checkPathLists(linux, f);
  checkNetDevices(linux, f);
  checkMiscellaneous(linux, f);
}

function checkNamespaces(linux: Linux, f: Findings) {
  const first = new Map<string, number>();
  linux.namespaces?.forEach((ns, i) => {
    const path = at("linux", "namespaces", i);
    // config-linux.md: "a runtime MUST generate an error" for a duplicated namespace type.
    const earlier = first.get(ns.type);
    if (earlier !== undefined) f.error(at(path, "type"), `duplicate ${quote(ns.type)} (also at [${earlier}])`);
    else first.set(ns.type, i);
    // config-linux.md: path "MUST be an absolute path in the runtime mount namespace".
    if (ns.path !== undefined && !isAbsolute(ns.path)) f.error(at(path, "path"), `${quote(ns.path)} is not an absolute path`);
  });
}

function checkIdMapping(mapping: IdMapping, path: string, f: Findings) {
  // The kernel refuses a map line with a count of 0 (user_namespaces(7)).
  if (mapping.size === 0) f.error(at(path, "size"), "must be at least 1");
}

function checkIdMappings(linux: Linux, f: Findings) {
  const user = findNamespace(linux, "user");
  const hasUid = (linux.uidMappings?.length ?? 0) > 0;
  const hasGid = (linux.gidMappings?.length ?? 0) > 0;
  linux.uidMappings?.forEach((m, i) => checkIdMapping(m, at("linux", "uidMappings", i), f));
  linux.gidMappings?.forEach((m, i) => checkIdMapping(m, at("linux", "gidMappings", i), f));
  if (!user) {
    // runc: "User namespace mappings specified, but USER namespace isn't enabled in the config".
    if (linux.uidMappings) f.error("linux.uidMappings", "given, but linux.namespaces has no user namespace");
    if (linux.gidMappings) f.error("linux.gidMappings", "given, but linux.namespaces has no user namespace");
  } else if (user.path) {
    // config-linux.md: a joined namespace is already set up; anything else about it is an error.
    if (hasUid) f.error("linux.uidMappings", `the user namespace is joined (${user.path}): its mappings are already set`);
    if (hasGid) f.error("linux.gidMappings", `the user namespace is joined (${user.path}): its mappings are already set`);
  } else {
    // runc (specconv): "user namespaces enabled, but no uid/gid mappings found".
    if (!hasUid) f.error("linux.uidMappings", "a new user namespace needs uid mappings");
    if (!hasGid) f.error("linux.gidMappings", "a new user namespace needs gid mappings");
  }
}

function checkTimeOffsets(linux: Linux, f: Findings) {
  if (!linux.timeOffsets) return;
  const time = findNamespace(linux, "time");
  // runc: "time namespace offsets specified, but time namespace isn't enabled in the config".
  if (!time) f.error("linux.timeOffsets", "given, but linux.namespaces has no time namespace");
  else if (time.path) f.error("linux.timeOffsets", `the time namespace is joined (${time.path}): its offsets are already set`);
  for (const clock of ["boottime", "monotonic"] as const) {
    const nanosecs = linux.timeOffsets[clock]?.nanosecs;
    if (nanosecs !== undefined && nanosecs >= 1e9) f.error(at("linux", "timeOffsets", clock, "nanosecs"), `${nanosecs} is not below 1000000000`);
  }
}

function checkDevices(linux: Linux, f: Findings) {
  linux.devices?.forEach((device, i) => {
    const path = at("linux", "devices", i);
    if (!isAbsolute(device.path)) f.error(at(path, "path"), `${quote(device.path)} is not an absolute path`);
    // config-linux.md: major and minor are REQUIRED unless the type is "p" (a FIFO).
    if (device.type !== "p")
      for (const key of ["major", "minor"] as const)
        if (device[key] === undefined) f.error(at(path, key), `required for a device of type ${quote(device.type)}`);
  });
}

function checkCgroupsPath(cgroupsPath: string | undefined, f: Findings) {
  if (cgroupsPath === undefined) return;
  // "slice:prefix:name" (systemd) or a path; neither may climb out of the cgroup root.
  if (cgroupsPath.split(/[/:]/).includes("..")) f.error("linux.cgroupsPath", `${quote(cgroupsPath)} climbs out with ".."`);
}

const CPU_LIST = /^\s*(\d+(-\d+)?)(\s*,\s*\d+(-\d+)?)*\s*$/; // cpuset format: "0-3,8"

/** Also used for `update --resources` (base ""). */
export function checkResources(resources: LinuxResources, base: string, f: Findings) {
  resources.devices?.forEach((rule, i) => {
    const path = at(base, "devices", i);
    // Device cgroup rule letters (devices.allow / the eBPF program of cgroup v2).
    if (rule.type !== undefined && !["a", "b", "c"].includes(rule.type))
      f.error(at(path, "type"), `${quote(rule.type)} is not "a", "b" or "c"`);
    if (rule.access !== undefined && !/^[rwm]*$/.test(rule.access))
      f.error(at(path, "access"), `${quote(rule.access)} may only hold the letters r, w, m`);
  });
  const memory = resources.memory;
  // memory.swap is memory+swap (runc: "memory+swap limit should be >= memory limit").
  if (memory?.swap !== undefined && memory.limit !== undefined && memory.swap > 0 && memory.limit > 0 && memory.swap < memory.limit)
    f.error(at(base, "memory", "swap"), `${memory.swap} (memory+swap) is below memory.limit ${memory.limit}`);
  if (memory?.swappiness !== undefined && memory.swappiness > 100 && memory.swappiness !== 18446744073709551615)
    f.error(at(base, "memory", "swappiness"), `${memory.swappiness} is outside 0..100`);
  for (const key of ["cpus", "mems"] as const) {
    const list = resources.cpu?.[key];
    if (list && !CPU_LIST.test(list)) f.error(at(base, "cpu", key), `${quote(list)} is not a list like "0-3,8"`);
  }
  for (const file of Object.keys(resources.unified ?? {}))
    // runc (fs2): "unified resource %q must be a file name (no slashes)".
    if (file.includes("/") || file === "" || file === "." || file === "..")
      f.error(at(base, "unified", file), "must be a cgroup file name (no slashes)");
}

// Sysctls the kernel keeps per IPC namespace (ipc_namespace.c, mqueue); runc's list.
const IPC_SYSCTLS = new Set([
  "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
  "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
]);

/** sysctl(8) also takes "/" as separator: "net/ipv4/ip_forward" is "net.ipv4.ip_forward". */
export function normalizeSysctlName(name: string): string {
  const first = name.search(/[./]/);
  if (first < 0 || name[first] === ".") return name;
  return name.replace(/[./]/g, (c) => (c === "/" ? "." : "/"));
}

/**
 * The namespace holding its own copy of a sysctl (runc's validator): IPC ones, net.*, and
 * kernel.domainname/hostname in the UTS namespace; undefined for a sysctl of the whole host.
 */
export function sysctlNamespace(name: string): "ipc" | "network" | "uts" | undefined {
  if (IPC_SYSCTLS.has(name) || name.startsWith("fs.mqueue.")) return "ipc";
  if (name.startsWith("net.")) return "network";
  if (name === "kernel.domainname" || name === "kernel.hostname") return "uts";
  return undefined;
}

const NAMESPACE_WORD = { ipc: "an IPC", network: "a network", uts: "a UTS" } as const;

function checkSysctl(linux: Linux, f: Findings) {
  // /proc/sys is only partly namespaced: a sysctl is allowed only if the container has its own
  // copy of it (runc's sysctl check). Otherwise it would change the host. A namespace joined by
  // path may still be the host's own: `create` compares it with ours.
  for (const raw of Object.keys(linux.sysctl ?? {})) {
    const name = normalizeSysctlName(raw);
    const path = at("linux", "sysctl", raw);
    // init writes /proc/sys/<name with dots as slashes>: no empty, "." or ".." parts
    if (name.split(/[./]/).some((part) => part === "" || part === "." || part === "..")) {
      f.error(path, "is not a sysctl name (like \"net.ipv4.ip_forward\")");
      continue;
    }
    const kind = sysctlNamespace(name);
    if (!kind || (kind === "uts" && !findNamespace(linux, "uts"))) f.error(path, "is not namespaced: it would change the host");
    else if (!findNamespace(linux, kind)) f.error(path, `needs ${NAMESPACE_WORD[kind]} namespace (else it changes the host's)`);
    else if (name === "kernel.hostname") f.error(path, `conflicts with the "hostname" field: set that instead`);
  }
}

function checkSeccomp(seccomp: LinuxSeccomp, f: Findings) {
  const base = "linux.seccomp";
  const takesErrno = (action: string) => action === "SCMP_ACT_ERRNO" || action === "SCMP_ACT_TRACE";
  // config-linux.md: "When the action doesn't support an errno, the runtime MUST print and error and fail."
  if (seccomp.defaultErrnoRet !== undefined && !takesErrno(seccomp.defaultAction))
    f.error(at(base, "defaultErrnoRet"), `${seccomp.defaultAction} takes no errno`);
  // runc: notify as the default would also trap the syscalls the runtime itself needs.
  if (seccomp.defaultAction === "SCMP_ACT_NOTIFY") f.error(at(base, "defaultAction"), "SCMP_ACT_NOTIFY cannot be the default action");

  let notifies = false;
  seccomp.syscalls?.forEach((rule, i) => {
    const path = at(base, "syscalls", i);
    if (rule.errnoRet !== undefined && !takesErrno(rule.action)) f.error(at(path, "errnoRet"), `${rule.action} takes no errno`);
    if (rule.action === "SCMP_ACT_NOTIFY") {
      notifies = true;
      // runc: the runtime writes to the listener socket itself, so notifying on write deadlocks.
      if (rule.names.includes("write")) f.error(at(path, "names"), `SCMP_ACT_NOTIFY cannot be used for "write"`);
    }
    rule.names.forEach((name, j) => {
      // config-linux.md: unknown syscalls are skipped (a profile may list syscalls of newer kernels).
      if (!KNOWN_SYSCALLS.has(name)) f.warn(at(path, "names", j), `unknown syscall ${quote(name)}, ignored`);
    });
    rule.args?.forEach((arg, j) => {
      // A syscall has 6 argument registers (struct seccomp_data.args[6]).
      if (arg.index > 5) f.error(at(path, "args", j, "index"), `${arg.index} is above 5 (a syscall has 6 arguments)`);
    });
  });
  // config-linux.md: listenerPath is where the seccomp notify fd goes: needed for SCMP_ACT_NOTIFY.
  if (notifies && !seccomp.listenerPath) f.error(at(base, "listenerPath"), "required when a rule uses SCMP_ACT_NOTIFY");
  if (seccomp.listenerPath !== undefined && !isAbsolute(seccomp.listenerPath))
    f.error(at(base, "listenerPath"), `${quote(seccomp.listenerPath)} is not an absolute path`);
}

function checkPathLists(linux: Linux, f: Findings) {
  for (const list of ["maskedPaths", "readonlyPaths"] as const) {
    // config-linux.md: "The values MUST be absolute paths in the container namespace."
    linux[list]?.forEach((path, i) => {
      if (!isAbsolute(path)) f.error(at("linux", list, i), `${quote(path)} is not an absolute path`);
    });
    // runc: "unable to restrict sys entries without a private MNT namespace".
    if (linux[list]?.length && !findNamespace(linux, "mount"))
      f.error(at("linux", list), "needs a mount namespace (else it changes the host's /proc)");
  }
}

// IFNAMSIZ is 16 with the NUL; dev_valid_name() refuses "", ".", "..", "/", ":" and spaces.
const validInterfaceName = (name: string) =>
  name.length > 0 && name.length < 16 && name !== "." && name !== ".." && !/[/:\s]/.test(name);

function checkNetDevices(linux: Linux, f: Findings) {
  if (!linux.netDevices) return;
  const entries = Object.entries(linux.netDevices);
  // runc: "unable to move network devices without a NET namespace" (the schema doesn't require one).
  if (entries.length && !findNamespace(linux, "network")) f.refuse("linux.netDevices", "needs a network namespace");
  else if (entries.length) f.refuse("linux.netDevices", UNSUPPORTED);
  const targets = new Map<string, string>();
  for (const [hostName, device] of entries) {
    const path = at("linux", "netDevices", hostName);
    if (!validInterfaceName(hostName)) f.error(path, `${quote(hostName)} is not a valid interface name`);
    const name = device.name ?? hostName;
    if (device.name !== undefined && !validInterfaceName(name)) f.error(at(path, "name"), `${quote(name)} is not a valid interface name`);
    const other = targets.get(name);
    if (other !== undefined) f.error(path, `same name in the container as ${quote(other)}: ${quote(name)}`);
    else targets.set(name, hostName);
  }
}

/** A NUMA node list (set_mempolicy): "0-3,7" → [0, 1, 2, 3, 7]; a string naming the problem when it is no node list. */
export function parseNodeList(text: string, max = 1024): number[] | string {
  const nodes = new Set<number>();
  for (const part of text.split(",")) {
    const m = /^\s*(\d+)(?:-(\d+))?\s*$/.exec(part);
    if (!m) return `"${part}" is not a node number or range (like "0-3,7")`;
    const from = Number(m[1]), to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) return `"${part}": the range ends before it starts`;
    if (to >= max) return `node ${to} is beyond ${max - 1}`;
    for (let n = from; n <= to; n++) nodes.add(n);
  }
  return [...nodes].sort((a, b) => a - b);
}

function checkMiscellaneous(linux: Linux, f: Findings) {
  const closID = linux.intelRdt?.closID;
  // runc: the CLOS id is a directory name under /sys/fs/resctrl.
  if (closID !== undefined && (closID === "." || closID === ".." || closID.includes("/")))
    f.error("linux.intelRdt.closID", `${quote(closID)} is not a valid directory name`);
  if (linux.intelRdt) f.refuse("linux.intelRdt", UNSUPPORTED);

  const policy = linux.memoryPolicy;
  if (policy) {
    // config-linux.md: mode is REQUIRED; set_mempolicy(2) refuses both node flags together.
    if (!policy.mode) f.error("linux.memoryPolicy.mode", "required");
    if (policy.flags?.includes("MPOL_F_STATIC_NODES") && policy.flags.includes("MPOL_F_RELATIVE_NODES"))
      f.error("linux.memoryPolicy.flags", "MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other");
    const nodes = policy.nodes === undefined || policy.nodes === "" ? [] : parseNodeList(policy.nodes);
    if (typeof nodes === "string") f.error("linux.memoryPolicy.nodes", nodes);
    // set_mempolicy(2): these modes take no nodes; the others need at least one
    else if ((policy.mode === "MPOL_DEFAULT" || policy.mode === "MPOL_LOCAL") && nodes.length)
      f.error("linux.memoryPolicy.nodes", `${policy.mode} takes no nodes`);
    else if (policy.mode && policy.mode !== "MPOL_DEFAULT" && policy.mode !== "MPOL_LOCAL" && policy.mode !== "MPOL_PREFERRED" && !nodes.length)
      f.error("linux.memoryPolicy.nodes", `${policy.mode} needs nodes`);
  }

  // config-linux.md: "Currently no flag values are supported" for personality.
  if (linux.personality?.flags?.length) f.warn("linux.personality.flags", "no flags are defined yet, ignored");

  const propagation = linux.rootfsPropagation;
  if (propagation?.startsWith("r"))
    f.notPortable("linux.rootfsPropagation", `${quote(propagation)} is not in the runtime spec (runc and crun take it); ${quote(propagation.slice(1))} is`);
}
