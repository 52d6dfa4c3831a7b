// What every command gets: the state store, the logger and the global flags.
import type { Logger } from "../log/logger.ts";
import { Store } from "../state/store.ts";
import { closeFd } from "../sys/fs.ts";

export interface GlobalOptions {
  root: string;
  log?: string;
  logFormat: "text" | "json";
  debug: boolean;
  systemdCgroup: boolean;
}

export interface Context {
  opts: GlobalOptions;
  store: Store;
  log: Logger;
}

export const makeContext = (opts: GlobalOptions, log: Logger): Context => ({ opts, store: new Store(opts.root), log });

/** One undo on a Cleanup stack: run it now (once), or drop it when ownership moved elsewhere. */
export interface Registered {
  /** Run the undo now, if it has not run or been released; it will not run again. */
  runNow(): void;
  /** Forget the undo: what it would undo is someone else's now (or is gone). */
  release(): void;
}

/** An fd owned by a Cleanup stack: closed on failure, or by close() — never twice (fd numbers are reused at once). */
export interface OwnedFd extends Registered {
  readonly fd: number;
  close(): void;
}

/**
 * Undo steps run in reverse when an operation fails: a failed operation leaves nothing behind.
 * Register each undo right after the thing it undoes exists; an undo that runs on the success
 * path (an fd closed) goes through its handle, so a later failure does not run it again.
 */
export class Cleanup implements Disposable {
  private undos: Array<{ what: string; undo: () => void; done: boolean }> = [];
  private kept = false;
  constructor(private readonly warn: (msg: string) => void) {}

  add(what: string, undo: () => void): Registered {
    const entry = { what, undo, done: false };
    this.undos.push(entry);
    return {
      runNow: () => { if (!entry.done) { entry.done = true; undo(); } },
      release: () => { entry.done = true; },
    };
  }

  /** Own `fd` (already open): closed on failure unless closed or released before. */
  fd(what: string, fd: number): OwnedFd {
    const registered = this.add(what, () => { closeFd(fd); });
    return { fd, ...registered, close: registered.runNow };
  }

  /** Success: nothing is undone (what is still registered now belongs to the result). */
  keep() { this.kept = true; }

  [Symbol.dispose]() {
    if (this.kept) return;
    this.kept = true; // once
    for (const entry of this.undos.reverse()) {
      if (entry.done) continue;
      entry.done = true;
      try { entry.undo(); } catch (e) { this.warn(`cleanup ${entry.what}: ${(e as Error).message}`); }
    }
  }
}
