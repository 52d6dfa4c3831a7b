// consola (core build: +1 ms, the default fancy reporter costs +30 ms) with a reporter that
// writes logrus's formats, which containerd and podman parse: text
// `time="…" level=error msg="…"` or JSON `{"level":"error","msg":"…","time":"…"}`.
import { openFile, writeAll } from "../sys/fs.ts";
import { moveFdAbove, O } from "../sys/linux.ts";
import { writeErr } from "../sys/stdio.ts";
import type { ConsolaInstance, ConsolaReporter, LogObject } from "consola/core";

export type LogFormat = "text" | "json";

// consola type → logrus level name (logrus says "warning", not "warn")
const LEVEL: Record<string, string> = {
  fatal: "fatal", error: "error", warn: "warning", log: "info", info: "info", success: "info",
  start: "info", ready: "info", box: "info", debug: "debug", trace: "trace", verbose: "debug", fail: "error",
};

/** logrus quotes a text value unless every character is in [A-Za-z0-9-._/@^+]. */
export const logrusValue = (s: string) => (/^[A-Za-z0-9\-._/@^+]+$/.test(s) ? s : JSON.stringify(s));

export function formatLine(format: LogFormat, level: string, msg: string, time: Date): string {
  const ts = time.toISOString().replace(/\.\d{3}Z$/, "Z"); // RFC 3339, which Go's time parses
  return format === "json"
    ? `${JSON.stringify({ level, msg, time: ts })}\n`
    : `time=${logrusValue(ts)} level=${level} msg=${logrusValue(msg)}\n`;
}

export interface Logger {
  error(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  info(...args: unknown[]): void;
  debug(...args: unknown[]): void;
}

/**
 * Open `--log FILE` before any command runs, as runc does (configLogrus): an unusable path is an
 * error of its own, not a crash at the first message. Above the low fds, which may be the
 * caller's own (--preserve-fds counts from 3).
 */
export const openLogFile = (path: string): number => moveFdAbove(openFile(path, O.WRONLY | O.CREAT | O.APPEND, 0o644), 512);

/**
 * The consola instance is made on the first message: most commands log nothing, and loading
 * consola (core) costs ~1.5 ms of every CLI start (measured in the compiled binary) — paid by
 * engines on each of their four or so calls per container.
 */
export function createLogger(opts: LoggerOptions): Logger {
  let instance: ConsolaInstance | undefined;
  const consola = () => (instance ??= buildConsola(opts));
  return {
    error: (...args) => consola().error(...args),
    warn: (...args) => consola().warn(...args),
    info: (...args) => consola().info(...args),
    debug: (...args) => { if (opts.debug) consola().debug(...args); },
  };
}

/** `fd`: the opened --log file (its `path` for messages), else stderr. */
export interface LoggerOptions { fd?: number; path?: string; format?: LogFormat; debug?: boolean }

function buildConsola(opts: LoggerOptions): ConsolaInstance {
  const { createConsola } = require("consola/core") as typeof import("consola/core");
  const format = opts.format ?? "text";
  const reporter: ConsolaReporter = {
    log(obj: LogObject) {
      const msg = obj.args.map((a) => (a instanceof Error ? a.message : typeof a === "string" ? a : JSON.stringify(a))).join(" ");
      const line = formatLine(format, LEVEL[obj.type] ?? "info", msg, obj.date);
      if (opts.fd === undefined) { writeErr(line); return; }
      try {
        writeAll(opts.fd, line, opts.path);
      } catch (e) {
        // a full disk or a revoked file must not lose the message, nor crash the command
        writeErr(formatLine(format, "warning", `log ${(e as Error).message}`, obj.date));
        writeErr(line);
      }
    },
  };
  return createConsola({ level: opts.debug ? 4 : 3, throttle: 0, reporters: [reporter] });
}
