// The runc-compatible CLI: global flags BEFORE the subcommand (`--root D`, `--root=D`), then a
// subcommand whose module is loaded only when it runs. As with runc's urfave/cli, a subcommand's
// flags may also follow the container id (`delete web --force`), except for `exec` and `ps`
// whose flags end at the id: everything after it belongs to the process (`exec web sh -c "ls --help"`).
import type { ArgsDef } from "citty";
import { createLogger, formatLine, type LogFormat, openLogFile } from "../log/logger.ts";
import { type Context, type GlobalOptions, makeContext } from "../container/context.ts";
import { RuntimeError } from "../sys/errors.ts";
import { writeErr, writeOut } from "../sys/stdio.ts";
import pkg from "../../package.json" with { type: "json" };

export interface Invocation {
  flags: Record<string, unknown>;
  positionals: string[];
  /** the raw flag tokens, for repeated flags (`-e A=1 -e B=2`) */
  flagTokens: string[];
}

export interface Command {
  meta: { name: string; description: string };
  args: ArgsDef;
  /** What follows the flags and how many (runc's checkArgs); by default exactly one container id. */
  operands?: { usage: string; min: number; max?: number };
  /** Flags end at the container id; the rest is the process's (runc's SkipArgReorder: exec, ps). */
  passThrough?: boolean;
  /**
   * How a failure once the command runs is reported (usage errors stay exit 1): runc's exec says
   * `exec failed: …` and exits 255, which a script can tell from the process's own exit status.
   */
  failure?: { prefix: string; exitCode: number };
  run(ctx: Context, inv: Invocation): number | Promise<number>;
}

const ONE_ID = { usage: "<container-id>", min: 1, max: 1 };

const COMMANDS: Record<string, [string, () => Promise<{ default: Command }>]> = {
  create: ["create a container", () => import("./create.ts")],
  start: ["start a created container (run its process)", () => import("./start.ts")],
  run: ["create and start a container", () => import("./run.ts")],
  state: ["print the state of a container", () => import("./state.ts")],
  kill: ["send a signal to the container's init process", () => import("./kill.ts")],
  delete: ["delete a container and everything made for it", () => import("./delete.ts")],
  list: ["list containers", () => import("./list.ts")],
  ps: ["list the processes of a container", () => import("./ps.ts")],
  exec: ["run a new process in a running container", () => import("./exec.ts")],
  pause: ["freeze every process of a container", () => import("./pause.ts")],
  resume: ["thaw a paused container", () => import("./resume.ts")],
  update: ["change a container's resource limits", () => import("./update.ts")],
  events: ["print container events and resource statistics", () => import("./events.ts")],
  spec: ["write a default config.json", () => import("./spec.ts")],
  features: ["print the features this runtime supports (OCI features JSON)", () => import("./features.ts")],
  lint: ["validate config.json files, printing every problem", () => import("./lint.ts")],
  checkpoint: ["not supported (runc's needs CRIU)", () => import("./criu.ts").then((m) => ({ default: m.checkpoint }))],
  restore: ["not supported (runc's needs CRIU)", () => import("./criu.ts").then((m) => ({ default: m.restore }))],
  unpack: ["make a bundle from an OCI layout, oci-archive or docker-archive image", () => import("./unpack.ts")],
};

const GLOBAL_VALUE_FLAGS = new Set(["root", "log", "log-format", "criu", "rootless"]);
const GLOBAL_BOOL_FLAGS = new Set(["debug", "systemd-cgroup", "version", "help", "v", "h"]);

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return [
    `minidocker ${pkg.version}: an OCI container runtime, a drop-in for runc`,
    "",
    "USAGE: minidocker [global options] COMMAND [options] [ID] [args…]",
    "",
    "GLOBAL OPTIONS (before the command):",
    "  --root DIR            state directory (default /run/minidocker)",
    "  --log FILE            log file (default stderr)",
    "  --log-format FORMAT   text or json (logrus formats)",
    "  --debug               debug logging",
    "  --systemd-cgroup      not supported (cgroupfs is managed directly)",
    "  --version, -v         print the version",
    "  --help, -h            this help",
    "",
    "COMMANDS:",
    ...Object.entries(COMMANDS).map(([name, [desc]]) => `  ${name.padEnd(width)}  ${desc}`),
    "",
    "Run 'minidocker COMMAND --help' for a command's options.",
  ].join("\n");
}

/** Parse `[global flags] command rest…`; exported for unit tests. */
export function parseGlobal(argv: string[]): { global: GlobalOptions & { version: boolean; help: boolean }; command?: string; rest: string[] } {
  const g = { root: "/run/minidocker", log: undefined as string | undefined, logFormat: "text" as LogFormat, debug: false, systemdCgroup: false, version: false, help: false };
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("-") || arg === "-") break;
    const eq = arg.indexOf("=");
    const name = arg.replace(/^--?/, "").slice(0, eq < 0 ? undefined : eq - (arg.startsWith("--") ? 2 : 1));
    let value: string | undefined = eq < 0 ? undefined : arg.slice(eq + 1);
    if (GLOBAL_VALUE_FLAGS.has(name)) {
      if (value === undefined) {
        value = argv[++i];
        if (value === undefined) throw new RuntimeError(`flag needs an argument: --${name}`);
      }
      if (name === "root") g.root = value;
      else if (name === "log") g.log = value;
      else if (name === "log-format") {
        if (value !== "text" && value !== "json") throw new RuntimeError(`--log-format: expected text or json, got "${value}"`);
        g.logFormat = value;
      }
    } else if (GLOBAL_BOOL_FLAGS.has(name)) {
      const on = value === undefined || value === "true";
      if (name === "debug") g.debug = on;
      else if (name === "systemd-cgroup") g.systemdCgroup = on;
      else if (name === "version" || name === "v") g.version = on;
      else g.help = on;
    } else {
      throw new RuntimeError(`flag provided but not defined: ${arg}`);
    }
  }
  return { global: g, command: argv[i], rest: argv.slice(i + 1) };
}

/**
 * Split a subcommand's args into flag tokens and operands. runc's urfave/cli moves every flag
 * before the operands (`update u1 --memory 1G`, `delete k2 --force`), up to a `--`; with
 * `passThrough` (exec, ps) flags end at the first operand. Unlike urfave/cli, a boolean flag
 * never takes the next argument as its value (runc reads `kill x --all 9` as container "9").
 */
export function splitArgs(rest: string[], args: ArgsDef, passThrough = true): { flagTokens: string[]; positionals: string[] } {
  const valued = new Set<string>();
  for (const [name, def] of Object.entries(args)) {
    if (def.type !== "string" && def.type !== "enum") continue;
    valued.add(name);
    const alias = (def as { alias?: string | string[] }).alias;
    for (const a of Array.isArray(alias) ? alias : alias ? [alias] : []) valued.add(a);
  }
  const flagTokens: string[] = [];
  const positionals: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === "--") { positionals.push(...rest.slice(i + 1)); break; }
    if (!arg.startsWith("-") || arg === "-") {
      if (passThrough) { positionals.push(...rest.slice(i)); break; }
      positionals.push(arg);
      continue;
    }
    flagTokens.push(arg);
    const name = arg.replace(/^--?/, "");
    if (!name.includes("=") && valued.has(name) && i + 1 < rest.length) flagTokens.push(rest[++i]!);
  }
  return { flagTokens, positionals };
}

/** runc's checkArgs: the number of operands, or `"delete" requires exactly 1 argument(s)`. */
export function checkOperands(command: string, count: number, { min, max }: { min: number; max?: number }) {
  const fail = (what: string, n: number) => new RuntimeError(`"${command}" requires ${what} ${n} argument(s)`);
  if (min === max && count !== min) throw fail("exactly", min);
  if (count < min) throw fail("a minimum of", min);
  if (max !== undefined && count > max) throw fail("a maximum of", max);
}

/**
 * A subcommand's flag tokens → values, by its citty ArgsDef: `--flag value`, `--flag=value`,
 * aliases (`-b`), booleans with `--no-flag`, defaults. runc refuses a flag it does not define
 * ("flag provided but not defined"); so do we: an unknown `--flag value` would otherwise shift
 * `value` into the container id. (citty's own parser is lenient, and loading citty costs ~2 ms
 * of every start: only its ArgsDef type is used; `commandHelp` renders `--help`.)
 */
export function parseFlags(command: string, flagTokens: string[], args: ArgsDef): Record<string, unknown> {
  const flags: Record<string, unknown> = {};
  const byName = new Map<string, [string, ArgsDef[string]]>();
  for (const [name, def] of Object.entries(args)) {
    if ("default" in def && def.default !== undefined) flags[name] = def.default;
    const alias = (def as { alias?: string | string[] }).alias;
    for (const n of [name, ...(Array.isArray(alias) ? alias : alias ? [alias] : [])]) byName.set(n, [name, def]);
  }
  for (let i = 0; i < flagTokens.length; i++) {
    const token = flagTokens[i]!;
    const eq = token.indexOf("=");
    const name = token.replace(/^--?/, "").replace(/=.*$/, "");
    const inline = eq < 0 ? undefined : token.slice(eq + 1);
    const negated = name.startsWith("no-") ? byName.get(name.slice(3)) : undefined;
    if (negated && negated[1].type === "boolean") {
      flags[negated[0]] = false;
      continue;
    }
    const known = byName.get(name);
    if (name === "help" || name === "h") continue;
    if (!known) throw new RuntimeError(`${command}: flag provided but not defined: ${token.replace(/=.*$/, "")}`);
    const [canonical, def] = known;
    if (def.type === "boolean") flags[canonical] = inline === undefined ? true : inline !== "false";
    else flags[canonical] = inline ?? flagTokens[++i] ?? "";
  }
  return flags;
}

/** Refuse unknown flags (see parseFlags). */
export const checkKnownFlags = (command: string, flagTokens: string[], args: ArgsDef) => void parseFlags(command, flagTokens, args);

/** Every value of a repeatable flag, in order (`-e A -e B`, `--env=A`). */
export function collect(tokens: string[], names: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    for (const n of names) {
      const flag = n.length === 1 ? `-${n}` : `--${n}`;
      if (t === flag && i + 1 < tokens.length) { out.push(tokens[++i]!); break; }
      if (t.startsWith(`${flag}=`)) { out.push(t.slice(flag.length + 1)); break; }
    }
  }
  return out;
}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseGlobal(argv);
  } catch (e) {
    writeErr(`minidocker: ${(e as Error).message}\n`);
    return 1;
  }
  const { global, command, rest } = parsed;
  let logFd: number | undefined;
  if (global.log) {
    try {
      logFd = openLogFile(global.log);
    } catch (e) {
      // runc: the open's error on stderr, exit 1, before the command runs (`list` included)
      writeErr(formatLine(global.logFormat, "error", `--log: ${(e as Error).message}`, new Date()));
      return 1;
    }
  }
  const log = createLogger({ fd: logFd, path: global.log, format: global.logFormat, debug: global.debug });
  if (global.version) {
    writeOut(await versionText());
    return 0;
  }
  // `minidocker help CMD` is `CMD --help`; no command at all is the general help, exit 0 (runc)
  const helpFor = command === "help" ? rest[0] : undefined;
  if (helpFor && COMMANDS[helpFor]) {
    writeOut(commandHelp((await COMMANDS[helpFor][1]()).default));
    return 0;
  }
  if (global.help || !command || command === "help") {
    writeOut(`${usage()}\n`);
    return 0;
  }
  const entry = COMMANDS[command];
  if (!entry) {
    const msg = `unknown command "${command}" (see minidocker --help)`;
    log.error(msg);
    if (global.log) writeErr(`minidocker: ${msg}\n`);
    return 1;
  }
  const ctx = makeContext(global, log);
  log.debug(`minidocker ${pkg.version} (root ${global.root}): ${[command, ...rest].join(" ")}`);
  let failure: Command["failure"];
  try {
    const cmd = (await entry[1]()).default;
    const { flagTokens, positionals } = splitArgs(rest, cmd.args, cmd.passThrough === true);
    if (flagTokens.includes("--help") || flagTokens.includes("-h")) {
      writeOut(commandHelp(cmd));
      return 0;
    }
    const flags = parseFlags(command, flagTokens, cmd.args);
    checkOperands(command, positionals.length, cmd.operands ?? ONE_ID);
    failure = cmd.failure;
    return await cmd.run(ctx, { flags, positionals, flagTokens });
  } catch (e) {
    const err = e as Error;
    const message = `${failure?.prefix ?? ""}${err?.message ?? String(e)}`;
    log.error(message);
    if (global.log) writeErr(`minidocker: ${message}\n`);
    if (global.debug && err?.stack) writeErr(`${err.stack}\n`);
    return failure?.exitCode ?? 1;
  }
}

/** The container id positional, or a runc-style usage error. */
export function requireId(inv: Invocation, command: string): string {
  const id = inv.positionals[0];
  if (!id) throw new RuntimeError(`"${command}" requires a container id`);
  return id;
}

/**
 * A command's help, as `runc CMD --help` gives it: the usage line with its operands, what it does,
 * and every flag with its aliases, a value placeholder and its default. Plain text, never colours
 * (it is read through pipes and in scripts as often as on a terminal).
 */
export function commandHelp(cmd: Command): string {
  const operands = (cmd.operands ?? ONE_ID).usage;
  const rows = Object.entries(cmd.args).map(([name, def]) => {
    const alias = (def as { alias?: string | string[] }).alias;
    const names = [name, ...(Array.isArray(alias) ? alias : alias ? [alias] : [])]
      .map((n) => `${n.length === 1 ? "-" : "--"}${n}${def.type === "boolean" ? "" : " value"}`).join(", ");
    const fallback = (def as { default?: unknown }).default;
    return [names, `${(def as { description?: string }).description ?? ""}${fallback !== undefined && def.type !== "boolean" ? ` (default: ${JSON.stringify(fallback)})` : ""}`];
  });
  const width = Math.max(0, ...rows.map(([names]) => names!.length));
  return [
    "NAME:",
    `   minidocker ${cmd.meta.name} - ${cmd.meta.description}`,
    "",
    "USAGE:",
    `   minidocker ${cmd.meta.name}${rows.length ? " [command options]" : ""}${operands ? ` ${operands}` : ""}`,
    ...(rows.length ? ["", "OPTIONS:", ...rows.map(([names, text]) => `   ${names!.padEnd(width)}  ${text}`)] : []),
    "",
  ].join("\n");
}

/** `--version`, as runc's: version, commit, spec, the seccomp backend; then the Bun runtime. */
async function versionText(): Promise<string> {
  const { libseccompVersion } = await import("../linux/seccomp/libseccomp.ts");
  const { OCI_VERSION } = await import("../spec/defaults.ts");
  let seccomp: string;
  try {
    const version = libseccompVersion();
    seccomp = version ? `libseccomp: ${version}` : "libseccomp: none (built-in BPF compiler)";
  } catch {
    seccomp = "libseccomp: none (built-in BPF compiler)";
  }
  const commit = typeof BUILD_COMMIT === "string" && BUILD_COMMIT ? BUILD_COMMIT : "unknown";
  return `minidocker version ${pkg.version}\ncommit: ${commit}\nspec: ${OCI_VERSION}\n${seccomp}\nbun: ${Bun.version}\n`;
}
declare const BUILD_COMMIT: string | undefined;
