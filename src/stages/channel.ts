// Newline-delimited JSON messages over the parent ⇄ init socket (STYLE.md "Parent ⇄ init handshake").
// Blocking reads are fine here: both ends are short-lived setup stages. Every wait has a timeout
// and watches the peer process, so a dead init never hangs the CLI.
import { RuntimeError } from "../sys/errors.ts";
import { writeAll } from "../sys/fs.ts";
import { pollIn, recvFds, sendFds } from "../sys/linux.ts";

export type Message = { type: string; [key: string]: unknown };

export class Channel {
  private buffered = Buffer.alloc(0);
  private fds: number[] = [];
  private peerClosed = false;
  constructor(readonly fd: number) {}

  send(msg: Message) {
    writeAll(this.fd, `${JSON.stringify(msg)}\n`, "init channel");
  }

  /** A message that carries an fd (SCM_RIGHTS); the peer takes it with recvWithFd. */
  sendFd(msg: Message, fd: number) {
    this.sendFds(msg, [fd]);
  }

  /** A message with fds attached (SCM_RIGHTS); the peer takes them with takeFd, in order. */
  sendFds(msg: Message, fds: readonly number[]) {
    sendFds(this.fd, `${JSON.stringify(msg)}\n`, fds);
  }

  /** The next fd that arrived with a message (SCM_RIGHTS), in order. */
  takeFd(): number {
    const fd = this.fds.shift();
    if (fd === undefined) throw new RuntimeError("expected an fd from init, none arrived");
    return fd;
  }

  /** Read exactly n raw bytes (the helper's fixed-size records). */
  readBytes(n: number, timeoutMs: number, alive?: () => boolean): Buffer {
    while (this.buffered.length < n) this.fill(timeoutMs, alive, `${n}-byte record`);
    const out = this.buffered.subarray(0, n);
    this.buffered = this.buffered.subarray(n);
    return Buffer.from(out);
  }

  /** The next message, or undefined once the peer closed its end (init: at its execve). */
  recvUnlessClosed(timeoutMs: number, alive?: () => boolean): Message | undefined {
    try {
      return this.recv(timeoutMs, alive);
    } catch (e) {
      if (this.peerClosed) return undefined;
      throw e;
    }
  }

  /** Next message; throws if the peer closed the socket or the timeout passed. */
  recv(timeoutMs: number, alive?: () => boolean): Message {
    for (;;) {
      const nl = this.buffered.indexOf(10);
      if (nl >= 0) {
        const line = this.buffered.subarray(0, nl).toString();
        this.buffered = this.buffered.subarray(nl + 1);
        return JSON.parse(line) as Message;
      }
      this.fill(timeoutMs, alive, "message");
    }
  }

  private fill(timeoutMs: number, alive: (() => boolean) | undefined, what: string) {
    const deadline = Date.now() + timeoutMs;
    // Short polls so a dead peer is noticed even if it leaked the other end of the socket.
    while (!pollIn(this.fd, Math.min(100, Math.max(0, deadline - Date.now())))) {
      // A peer may write its last record and exit between the poll and this check: poll once more.
      if (alive && !alive() && !pollIn(this.fd, 0)) throw new RuntimeError(`init process exited before sending a ${what}`);
      if (Date.now() >= deadline) throw new RuntimeError(`timed out waiting for a ${what} from init`);
    }
    // recvmsg, not read: a message may carry an fd, which a plain read would drop.
    const { data, fds } = recvFds(this.fd);
    this.fds.push(...fds);
    this.peerClosed = data.length === 0;
    if (data.length === 0) throw new RuntimeError(`init closed the channel before sending a ${what}`);
    this.buffered = Buffer.concat([this.buffered, data]);
  }
}
