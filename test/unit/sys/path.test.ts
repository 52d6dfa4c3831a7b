import { expect, test } from "bun:test";
import { resolve } from "node:path";
import { resolvePath } from "../../../src/sys/path.ts";
test("resolvePath agrees with node:path resolve", () => {
  for (const a of [["."], ["a/b"], ["/x", "y"], ["/x", "/y", "z/../w"], ["", ""], ["/"], ["a", "..", "..", "b"], ["/a/./b//c/"], ["/x", "rootfs"], ["/b", "../r"]]) expect(resolvePath(...a)).toBe(resolve(...a));
});
