// For scripts/bench: the time of the clone helper's first load in a fresh process, in ms —
// the prebuilt .so through a memfd, or MINIDOCKER_HELPER=cc (TinyCC compiles ffi/helper.c).
import { loadHelper } from "../src/stages/spawn.ts";

const start = Bun.nanoseconds();
loadHelper();
console.log(((Bun.nanoseconds() - start) / 1e6).toFixed(3));
