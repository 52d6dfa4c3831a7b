// consola (core build: +1 ms, the default fancy reporter costs +30 ms) with a reporter that
// writes logrus's formats, which containerd and podman parse: text
// `time="…" level=error msg="…"` or JSON `{"level":"error","msg":"…","time":"…"}`.
import { appendFileSync } from "node:fs";
import { createConsola, type ConsolaReporter, type LogObject } from "consola/core";

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

export function createLogger(opts: { file?: string; format?: LogFormat; debug?: boolean }) {
  const format = opts.format ?? "text";
  const reporter: ConsolaReporter = {
    log(obj: LogObject) {
      const msg = obj.args.map((a) => (a instanceof Error ? a.message : typeof a === "string" ? a : JSON.stringify(a))).join(" ");
      const line = formatLine(format, LEVEL[obj.type] ?? "info", msg, obj.date);
      if (opts.file) appendFileSync(opts.file, line);
      else process.stderr.write(line);
    },
  };
  return createConsola({ level: opts.debug ? 4 : 3, throttle: 0, reporters: [reporter] });
}

export type Logger = ReturnType<typeof createLogger>;
