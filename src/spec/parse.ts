// Entry points: JSON value in, typed spec (or every problem, for `lint`) out.
// Shape first (schema.ts, valibot), then meaning (validate.ts). Every message is one line:
// `config.json: linux.namespaces[2].type: duplicate "pid"`.
import * as v from "valibot";
import { ConfigError } from "../sys/errors.ts";
import { isJsonObject } from "./scalars.ts";
import { ProcessSchema, ResourcesSchema, SpecSchema } from "./schema.ts";
import type { LinuxResources, Process, Spec } from "./types.ts";
import { at, checkProcess, checkResources, Findings, type Problem, SPEC_CHECKS } from "./validate.ts";

export interface Parsed<T> {
  spec: T;
  warnings: string[];
}

export interface Lint {
  errors: string[];
  warnings: string[];
}

/** For `create`/`run`: the spec, or a ConfigError naming the first problem. */
export function parseConfig(json: unknown, file = "config.json"): Parsed<Spec> {
  const spec = parseShape(SpecSchema, withoutDeviceTypeBits(json), file);
  const findings = new Findings();
  for (const [, check] of SPEC_CHECKS) check(spec, findings);
  findings.errors.push(...findings.refusals);
  return result(spec, findings, file);
}

const S_IFMT = 0o170000;

/**
 * podman writes a device's fileMode with the file type bits (`--device /dev/zero`: S_IFCHR|0666 =
 * 8630), above the schema's 511; runc takes it (Go's os.FileMode is any uint32) and mknod gets the
 * type from `type`. So create keeps the permission bits; `lint` still reports the schema's bound.
 */
function withoutDeviceTypeBits(json: unknown): unknown {
  if (!isJsonObject(json) || !isJsonObject(json.linux) || !Array.isArray(json.linux.devices)) return json;
  const typeBitsOnly = (mode: unknown) => typeof mode === "number" && Number.isInteger(mode) && mode > 0o7777 && (mode & ~0o7777) === (mode & S_IFMT);
  if (!json.linux.devices.some((d) => isJsonObject(d) && typeBitsOnly(d.fileMode))) return json;
  const devices = json.linux.devices.map((d) => isJsonObject(d) && typeBitsOnly(d.fileMode) ? { ...d, fileMode: (d.fileMode as number) & 0o7777 } : d);
  return { ...json, linux: { ...json.linux, devices } };
}

/** For `exec --process`: a process.json as runc takes it (same schema and rules as config.json's process). */
export function parseProcess(json: unknown, file = "process.json"): Parsed<Process> {
  const process = parseShape(ProcessSchema, json, file);
  const findings = new Findings();
  checkProcess(process, "", findings);
  return result(process, findings, file);
}

/** For `update --resources`: a linux.resources object. */
export function parseResources(json: unknown, file = "resources.json"): Parsed<LinuxResources> {
  const resources = parseShape(ResourcesSchema, json, file);
  const findings = new Findings();
  checkResources(resources, "", findings);
  return result(resources, findings, file);
}

/** For `lint`: every problem, shape and meaning, one path-tagged line each. */
export function lintConfig(json: unknown, file = "config.json"): Lint {
  const parsed = v.safeParse(SpecSchema, json, { abortEarly: false });
  const shapeProblems = parsed.success ? [] : describeIssues(parsed.issues);
  const findings = new Findings();
  if (isJsonObject(json)) {
    // With shape problems the checks still run on what is there, each guarded, and keep quiet
    // about fields already reported (their value may be anything).
    const spec = (parsed.success ? parsed.output : json) as Spec;
    for (const [name, check] of SPEC_CHECKS) {
      try {
        check(spec, findings);
      } catch {
        if (parsed.success) throw new Error(`spec check "${name}" failed on a valid config`);
      }
    }
  }
  const broken = shapeProblems.map((p) => p.path);
  const insideBroken = (problem: Problem) =>
    broken.some((path) => path === "" || problem.path === path || problem.path.startsWith(`${path}.`) || problem.path.startsWith(`${path}[`));
  const line = (problem: Problem) => new ConfigError(problem.path, problem.detail, file).message;
  return {
    errors: [...shapeProblems, ...findings.errors.filter((p) => !insideBroken(p))].map(line),
    warnings: [
      ...findings.warnings,
      ...findings.refusals.map((p) => ({ ...p, detail: `${p.detail}; create refuses this` })),
      ...findings.portability,
    ].filter((p) => !insideBroken(p)).map(line),
  };
}

// ── shape ──────────────────────────────────────────────────────────────────────────────

function parseShape<T extends v.GenericSchema>(schema: T, json: unknown, file: string): v.InferOutput<T> {
  const parsed = v.safeParse(schema, json, { abortEarly: true });
  if (parsed.success) return parsed.output;
  const [first] = describeIssues(parsed.issues);
  throw new ConfigError(first!.path, first!.detail, file);
}

function result<T>(spec: T, findings: Findings, file: string): Parsed<T> {
  const [first] = findings.errors;
  if (first) throw new ConfigError(first.path, first.detail, file);
  return { spec, warnings: findings.warnings.map((p) => new ConfigError(p.path, p.detail, file).message) };
}

/** valibot's path → `linux.namespaces[2].type` (valibot's own getDotPath says `linux.namespaces.2.type`). */
export const issuePath = (issue: v.BaseIssue<unknown>) =>
  at("", ...(issue.path ?? []).map(({ key }) => (typeof key === "number" ? key : String(key))));

/** One problem per field: a pipe reports each failed action (integer, then max_value): keep the first. */
function describeIssues(issues: ReadonlyArray<v.BaseIssue<unknown>>): Problem[] {
  const byPath = new Map<string, Problem>();
  for (const issue of issues) {
    const path = issuePath(issue);
    if (!byPath.has(path)) byPath.set(path, { path, detail: describeIssue(issue) });
  }
  return [...byPath.values()];
}

/** JSON's name for a value's type: "array", "null", "string", … */
const jsonType = (value: unknown) => (value === null ? "null" : Array.isArray(value) ? "array" : typeof value);

const show = (value: unknown) => (typeof value === "string" ? JSON.stringify(value) : String(value));

function describeIssue(issue: v.BaseIssue<unknown>): string {
  const { input, requirement } = issue;
  switch (issue.type) {
    case "picklist":
      // expected is `("pid" | "network" | …)`
      return `expected one of ${issue.expected?.replace(/^\(|\)$/g, "")}, got ${typeof input === "string" ? show(input) : jsonType(input)}`;
    case "integer":
      return `expected an integer, got ${show(input)}`;
    case "min_value":
      return `expected at least ${requirement}, got ${show(input)}`;
    case "max_value":
      return `expected at most ${requirement}, got ${show(input)}`;
    case "regex":
      return `expected to match ${requirement}, got ${show(input)}`;
    case "custom": // object() and record(): "expected object"
      return `${issue.message}, got ${jsonType(input)}`;
    case "min_length":
      return `expected at least ${requirement} entr${requirement === 1 ? "y" : "ies"}, got ${(input as unknown[]).length}`;
  }
  if (issue.kind === "schema") {
    // A missing key is reported by the object schema with the key in the path and no input.
    if (input === undefined && issue.type === "object" && issue.path?.length) return "required";
    return `expected ${issue.expected?.toLowerCase() ?? issue.type}, got ${jsonType(input)}`;
  }
  return issue.message;
}

/** JSON text → value, or a ConfigError with the parser's complaint: `config.json: invalid JSON: …`. */
export function parseJson(text: string, file = "config.json"): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ConfigError("", `invalid JSON: ${(e as Error).message}`, file);
  }
}
