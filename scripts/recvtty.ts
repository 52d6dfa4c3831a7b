#!/usr/bin/env bun
// recvtty: the receiving end of a console socket (runc's contrib/cmd/recvtty protocol).
//
//   bun scripts/recvtty.ts [--once] [--no-stdin] [--pid-file FILE] SOCKET
//
// Listens on the unix socket SOCKET. A runtime started with `--console-socket SOCKET` and
// `process.terminal: true` (create, run -d, exec -t -d) connects and sends the pty master as
// one message with SCM_RIGHTS (payload: the slave's name). recvtty copies everything the pty
// prints to its stdout and, unless --no-stdin, its stdin to the pty (in raw mode when stdin is
// a terminal). It returns when the pty closes (EIO once the container's last slave fd is gone).
//
//   --once       take one connection, then stop listening (default: keep accepting; the
//                output of every pty received goes to stdout, and recvtty runs until killed)
//   --no-stdin   do not read stdin (tests, background use)
//   --pid-file   write recvtty's pid to FILE once it listens
//
// SOCKET exists only once it accepts connections (bound under a temporary name, then renamed),
// so a caller may wait for the file to appear. It is removed on exit.
//
// Example:
//   bun scripts/recvtty.ts --once /tmp/tty.sock &
//   minidocker create --console-socket /tmp/tty.sock -b bundle web && minidocker start web
import { rmSync, writeFileSync, writeSync } from "node:fs";
import { close, pollReadable, recvFd } from "../src/sys/linux.ts";
import { acceptUnix, listenUnix, readSome } from "../src/sys/io.ts";

const EIO = 5, EAGAIN = 11, EINTR = 4;

function usage(msg: string): never {
  process.stderr.write(`recvtty: ${msg}\nusage: recvtty [--once] [--no-stdin] [--pid-file FILE] SOCKET\n`);
  process.exit(2);
}

function parseArgs(argv: string[]) {
  const o = { once: false, stdin: true, pidFile: undefined as string | undefined, socket: "" };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--once") o.once = true;
    else if (a === "--no-stdin") o.stdin = false;
    else if (a === "--pid-file") o.pidFile = argv[++i] ?? usage("--pid-file needs a value");
    else if (a === "-h" || a === "--help") usage("help");
    else if (a.startsWith("-")) usage(`unknown flag ${a}`);
    else if (o.socket) usage(`unexpected argument ${a}`);
    else o.socket = a;
  }
  if (!o.socket) usage("SOCKET is required");
  return o;
}

function writeAll(fd: number, data: Uint8Array) {
  for (let off = 0; off < data.length; ) off += writeSync(fd, data, off);
}

export function main(argv: string[]): number {
  const o = parseArgs(argv);
  let listening = listenUnix(o.socket);
  const cleanup = () => { rmSync(o.socket, { force: true }); };
  process.on("exit", cleanup);
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(sig, () => process.exit(130));
  if (o.pidFile) writeFileSync(o.pidFile, String(process.pid));

  const rawStdin = o.stdin && process.stdin.isTTY;
  if (rawStdin) {
    process.stdin.setRawMode(true);
    process.on("exit", () => { try { process.stdin.setRawMode(false); } catch {} });
  }
  const masters: number[] = [];
  let stdinOpen = o.stdin;
  const buf = new Uint8Array(65536);
  for (;;) {
    const watched = [...(listening >= 0 ? [listening] : []), ...masters, ...(stdinOpen && masters.length ? [0] : [])];
    if (!watched.length) return 0;
    for (const fd of pollReadable(watched, -1)) {
      if (fd === listening) {
        const conn = acceptUnix(listening);
        const { fd: master, data } = recvFd(conn);
        close(conn);
        if (master < 0) {
          process.stderr.write(`recvtty: a connection sent no fd (payload ${JSON.stringify(data.toString())})\n`);
          continue;
        }
        masters.push(master);
        if (o.once) { close(listening); listening = -1; cleanup(); }
      } else if (fd === 0) {
        const n = readSome(0, buf);
        if (n === -EAGAIN || n === -EINTR) continue;
        if (n <= 0) { stdinOpen = false; continue; }
        // stdin goes to the newest pty
        writeAll(masters.at(-1)!, buf.subarray(0, n));
      } else {
        const n = readSome(fd, buf);
        if (n === -EAGAIN || n === -EINTR) continue;
        if (n > 0) { writeAll(1, buf.subarray(0, n)); continue; }
        if (n !== 0 && n !== -EIO) process.stderr.write(`recvtty: read pty: errno ${-n}\n`);
        close(fd);
        masters.splice(masters.indexOf(fd), 1);
      }
    }
  }
}

if (import.meta.main) process.exit(main(process.argv.slice(2)));
