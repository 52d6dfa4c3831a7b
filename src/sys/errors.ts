// Typed errors, each printed as one line with its context (field, syscall, path, container).
import { errnoName, strerror } from "./errno.ts";

export class RuntimeError extends Error {}

/** A config.json problem, tagged with its JSON path: `config.json: linux.namespaces[2].type: duplicate "pid"`. */
export class ConfigError extends RuntimeError {
  constructor(readonly jsonPath: string, readonly detail: string, readonly file = "config.json") {
    super(`${file}: ${jsonPath ? `${jsonPath}: ` : ""}${detail}`);
  }
}

/** A failed system call: `mount "/proc": EPERM (Operation not permitted)`. */
export class SysError extends RuntimeError {
  constructor(readonly call: string, readonly errno: number, readonly subject = "") {
    super(`${call}${subject && ` "${subject}"`}: ${errnoName(errno)} (${strerror(errno)})`);
  }
  /** The errno name ("ENOENT"), as node's errors have it: `(e as NodeJS.ErrnoException).code` checks keep working. */
  get code(): string { return errnoName(this.errno); }
}

export class ContainerError extends RuntimeError {
  constructor(readonly id: string, detail: string) {
    super(`container "${id}": ${detail}`);
  }
}

/** Prefix the step that was running: `during("mount /proc", e)`. */
export const during = (step: string, cause: unknown) =>
  new RuntimeError(`${step}: ${(cause as Error)?.message ?? String(cause)}`, { cause });

/** Run `fn`; its error comes back prefixed with `what` (a ConfigError already names its field). */
export function step<T>(what: string, fn: () => T): T {
  try { return fn(); } catch (e) { throw e instanceof ConfigError ? e : during(what, e); }
}
