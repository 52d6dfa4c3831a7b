// logrus formats, which containerd and podman parse (the last "error" line's msg is shown).
import { expect, test } from "bun:test";
import { formatLine, logrusValue } from "../../../src/log/logger.ts";

const t = new Date("2025-01-02T03:04:05.678Z");
test("text: time and msg quoted only when needed, level names like logrus", () => {
  expect(formatLine("text", "error", "container x does not exist", t))
    .toBe('time="2025-01-02T03:04:05Z" level=error msg="container x does not exist"\n');
  expect(formatLine("text", "warning", "ok", t)).toBe('time="2025-01-02T03:04:05Z" level=warning msg=ok\n');
  expect(logrusValue('say "hi"')).toBe('"say \\"hi\\""');
  expect(logrusValue("a-b.c_d/e@f^g+h")).toBe("a-b.c_d/e@f^g+h");
});
test("json: one object per line with an RFC 3339 time Go can parse", () => {
  const line = formatLine("json", "error", "boom", t);
  expect(line.endsWith("\n")).toBe(true);
  expect(JSON.parse(line)).toEqual({ level: "error", msg: "boom", time: "2025-01-02T03:04:05Z" });
});
