// What every command gets: the state store, the logger and the global flags.
import type { Logger } from "../log/logger.ts";
import { Store } from "../state/store.ts";

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

/** Undo steps run in reverse when an operation fails: a failed operation leaves nothing behind. */
export class Cleanup implements Disposable {
  private undos: Array<[string, () => void]> = [];
  private kept = false;
  constructor(private readonly warn: (msg: string) => void) {}
  add(what: string, undo: () => void) { this.undos.push([what, undo]); }
  keep() { this.kept = true; }
  [Symbol.dispose]() {
    if (this.kept) return;
    for (const [what, undo] of this.undos.reverse()) {
      try { undo(); } catch (e) { this.warn(`cleanup ${what}: ${(e as Error).message}`); }
    }
  }
}
