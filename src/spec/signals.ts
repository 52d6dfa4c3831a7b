// Signal names and numbers for Linux (x86-64, arm64, riscv share these), parsed as runc's
// `kill` does: "KILL", "SIGKILL", "sigkill", "9", and the real-time forms "RTMIN+3", "SIGRTMAX-1".
// No imports but the error class: `init` forwards signals too.
import { RuntimeError } from "../sys/errors.ts";

export const SIGNALS: Readonly<Record<string, number>> = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8,
  SIGKILL: 9, SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15,
  SIGSTKFLT: 16, SIGCHLD: 17, SIGCONT: 18, SIGSTOP: 19, SIGTSTP: 20, SIGTTIN: 21, SIGTTOU: 22,
  SIGURG: 23, SIGXCPU: 24, SIGXFSZ: 25, SIGVTALRM: 26, SIGPROF: 27, SIGWINCH: 28, SIGIO: 29,
  SIGPWR: 30, SIGSYS: 31,
};

/** Other names glibc's <signal.h> gives the same numbers. */
const ALIASES: Readonly<Record<string, number>> = { SIGIOT: 6, SIGCLD: 17, SIGPOLL: 29 };

// The kernel's real-time range is 32..64; glibc keeps 32 and 33 for itself, so SIGRTMIN is 34.
export const SIGRTMIN = 34;
export const SIGRTMAX = 64;

const REALTIME = /^SIGRT(MIN|MAX)(?:([+-])(\d+))?$/;

/** "KILL" | "SIGKILL" | "sigkill" | "9" | "RTMIN+2" | "0" → signal number; RuntimeError for anything else. */
export function parseSignal(raw: string): number {
  const text = raw.trim();
  if (/^\d+$/.test(text)) {
    const number = Number(text);
    // 0 sends nothing: kill(2)'s check that the process exists (runc accepts it: a liveness probe)
    if (number >= 0 && number <= SIGRTMAX) return number;
    throw new RuntimeError(`unknown signal "${raw}": numbers go from 0 to ${SIGRTMAX}`);
  }
  const upper = text.toUpperCase();
  const name = upper.startsWith("SIG") ? upper : `SIG${upper}`;
  const fixed = SIGNALS[name] ?? ALIASES[name];
  if (fixed !== undefined) return fixed;
  const realtime = REALTIME.exec(name);
  if (realtime) {
    const [, base, sign, offset] = realtime;
    // SIGRTMIN counts up (RTMIN+n), SIGRTMAX counts down (RTMAX-n), as in `kill -l`.
    if (sign === undefined || (base === "MIN") === (sign === "+")) {
      const number = base === "MIN" ? SIGRTMIN + Number(offset ?? 0) : SIGRTMAX - Number(offset ?? 0);
      if (number >= SIGRTMIN && number <= SIGRTMAX) return number;
    }
  }
  throw new RuntimeError(`unknown signal "${raw}"`);
}

const NAMES_BY_NUMBER = new Map(Object.entries(SIGNALS).map(([name, number]) => [number, name]));

/** 9 → "SIGKILL", 36 → "SIGRTMIN+2", 63 → "SIGRTMAX-1"; numbers outside 1..64 → "signal 99". */
export function signalName(number: number): string {
  const fixed = NAMES_BY_NUMBER.get(number);
  if (fixed) return fixed;
  if (number === SIGRTMIN) return "SIGRTMIN";
  if (number === SIGRTMAX) return "SIGRTMAX";
  // Same split as `kill -l`: the lower half counts from RTMIN, the upper half back from RTMAX.
  if (number > SIGRTMIN && number <= (SIGRTMIN + SIGRTMAX) / 2) return `SIGRTMIN+${number - SIGRTMIN}`;
  if (number > SIGRTMIN && number < SIGRTMAX) return `SIGRTMAX-${SIGRTMAX - number}`;
  return `signal ${number}`;
}
