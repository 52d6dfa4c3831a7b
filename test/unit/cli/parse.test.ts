// CLI parsing as engines call us (../shared/engines-argv.md): global flags before the command in
// both `--flag value` and `--flag=value` forms, numeric signals, everything after the id kept.
import { describe, expect, test } from "bun:test";
import { checkOperands, collect, parseGlobal, splitArgs } from "../../../src/cli/index.ts";
import { createArgs } from "../../../src/cli/create.ts";

describe("global flags", () => {
  test("containerd: --root D --log F --log-format json create …", () => {
    const p = parseGlobal(["--root", "/r", "--log", "/b/log.json", "--log-format", "json", "create", "--bundle", "/b", "x"]);
    expect(p.global.root).toBe("/r");
    expect(p.global.log).toBe("/b/log.json");
    expect(p.global.logFormat).toBe("json");
    expect(p.command).toBe("create");
    expect(p.rest).toEqual(["--bundle", "/b", "x"]);
  });
  test("podman: --log-format=json --log F (the = form), and nothing global at all", () => {
    const p = parseGlobal(["--root", "/r", "--log-format=json", "--log", "/o", "exec", "--detach", "x"]);
    expect([p.global.logFormat, p.global.log, p.command]).toEqual(["json", "/o", "exec"]);
    const bare = parseGlobal(["start", "x"]);
    expect([bare.global.root, bare.command, bare.rest]).toEqual(["/run/minidocker", "start", ["x"]]);
  });
  test("booleans, version, help; bad input is an error naming the flag", () => {
    expect(parseGlobal(["--debug", "--systemd-cgroup", "list"]).global).toMatchObject({ debug: true, systemdCgroup: true });
    expect(parseGlobal(["--version"]).global.version).toBe(true);
    expect(parseGlobal(["-v"]).global.version).toBe(true);
    expect(() => parseGlobal(["--bogus", "list"])).toThrow("flag provided but not defined: --bogus");
    expect(() => parseGlobal(["--root"])).toThrow("flag needs an argument: --root");
    expect(() => parseGlobal(["--log-format", "xml", "list"])).toThrow('--log-format: expected text or json, got "xml"');
  });
});

describe("subcommand args", () => {
  test("flags end at the first positional; the rest belongs to the container", () => {
    const exec = { env: { type: "string", alias: "e" }, tty: { type: "boolean", alias: "t" } } as const;
    const s = splitArgs(["-e", "A=1", "--env=B=2", "-t", "web", "sh", "-c", "ls --help", "-e", "x"], exec);
    expect(s.flagTokens).toEqual(["-e", "A=1", "--env=B=2", "-t"]);
    expect(s.positionals).toEqual(["web", "sh", "-c", "ls --help", "-e", "x"]);
    expect(collect(s.flagTokens, ["env", "e"])).toEqual(["A=1", "B=2"]);
  });
  test("create's flags in engine forms, and -- ends flags", () => {
    const s = splitArgs(["--bundle", "/b", "--pid-file", "/p", "--console-socket", "/s", "id"], createArgs);
    expect(s.positionals).toEqual(["id"]);
    expect(splitArgs(["-b", "/b", "--", "-weird-id"], createArgs).positionals).toEqual(["-weird-id"]);
  });
  test("kill ID SIGNUM: the numeric signal stays a positional", () => {
    expect(splitArgs(["x", "15"], { all: { type: "boolean", alias: "a" } }).positionals).toEqual(["x", "15"]);
  });
});

describe("flags after the operands (every command but exec and ps, as runc's urfave/cli)", () => {
  const kill = { all: { type: "boolean", alias: "a" } } as const;
  const update = { memory: { type: "string", alias: "m" }, "memory-swap": { type: "string" }, resources: { type: "string", alias: "r" } } as const;
  test("flags anywhere before --; a value flag takes the next token, a boolean never does", () => {
    expect(splitArgs(["x", "--all", "9"], kill, false)).toEqual({ flagTokens: ["--all"], positionals: ["x", "9"] });
    expect(splitArgs(["u1", "--memory", "1G", "--memory-swap", "-1", "-r", "-"], update, false))
      .toEqual({ flagTokens: ["--memory", "1G", "--memory-swap", "-1", "-r", "-"], positionals: ["u1"] });
    expect(splitArgs(["k2", "-f", "--", "-a"], { force: { type: "boolean", alias: "f" } }, false))
      .toEqual({ flagTokens: ["-f"], positionals: ["k2", "-a"] });
    expect(splitArgs(["-b", "/b", "id", "--pid-file=/p"], createArgs, false)).toEqual({ flagTokens: ["-b", "/b", "--pid-file=/p"], positionals: ["id"] });
  });
  test("operand counts with runc's wording", () => {
    expect(() => checkOperands("delete", 2, { min: 1, max: 1 })).toThrow('"delete" requires exactly 1 argument(s)');
    expect(() => checkOperands("delete", 0, { min: 1, max: 1 })).toThrow('"delete" requires exactly 1 argument(s)');
    expect(() => checkOperands("kill", 3, { min: 1, max: 2 })).toThrow('"kill" requires a maximum of 2 argument(s)');
    expect(() => checkOperands("exec", 0, { min: 1 })).toThrow('"exec" requires a minimum of 1 argument(s)');
    expect(() => checkOperands("exec", 9, { min: 1 })).not.toThrow();
    expect(() => checkOperands("list", 0, { min: 0, max: 0 })).not.toThrow();
  });
});

describe("unknown subcommand flags", () => {
  test("are refused like runc, naming the flag; known ones, aliases, --no-X and values pass", async () => {
    const { checkKnownFlags } = await import("../../../src/cli/index.ts");
    expect(() => checkKnownFlags("create", ["--bundle", "/b", "--pid-file=/p", "-b", "x", "--no-pivot"], createArgs)).not.toThrow();
    expect(() => checkKnownFlags("create", ["--bogus", "v"], createArgs)).toThrow("create: flag provided but not defined: --bogus");
    expect(() => checkKnownFlags("create", ["--bundle", "--bogus"], createArgs)).not.toThrow(); // "--bogus" is the bundle path
  });
});

describe("parseFlags", () => {
  test("values in both forms, aliases, booleans with --no-, defaults", async () => {
    const { parseFlags } = await import("../../../src/cli/index.ts");
    const f = parseFlags("create", ["-b", "/b", "--pid-file=/p", "--no-pivot", "--console-socket", "/s"], createArgs);
    expect(f).toEqual({ bundle: "/b", "pid-file": "/p", "no-pivot": true, "console-socket": "/s" });
    const list = { format: { type: "string", alias: "f", default: "table" }, quiet: { type: "boolean", alias: "q" } } as const;
    expect(parseFlags("list", [], list)).toEqual({ format: "table" });
    expect(parseFlags("list", ["-f", "json", "-q"], list)).toEqual({ format: "json", quiet: true });
    expect(parseFlags("list", ["--quiet=false"], list)).toEqual({ format: "table", quiet: false });
  });
});
