// Output to fds 1 and 2 with write(2). process.stdout/process.stderr cost 5–10 ms on first
// touch (they build Node stream objects), paid by `state`, which engines call constantly.
import { SysError } from "./errors.ts";
import { writeAll } from "./fs.ts";

const EBADF = 9, EPIPE = 32;

/**
 * Write all of `text` to `fd`; false when nobody reads it any more. A reader that went away
 * (EPIPE, as for `cmd | head`) or a closed fd is not an error; nor is any failure on stderr,
 * where it could not be reported.
 */
function writeFd(fd: number, text: string | Uint8Array): boolean {
  try {
    writeAll(fd, text);
    return true;
  } catch (e) {
    if (e instanceof SysError && (e.errno === EPIPE || e.errno === EBADF || fd === 2)) return false;
    throw e;
  }
}

export const writeOut = (text: string | Uint8Array) => writeFd(1, text);
export const writeErr = (text: string | Uint8Array) => writeFd(2, text);
