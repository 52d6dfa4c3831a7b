// process.terminal with a console socket: a pty allocated inside the container (its devpts),
// the master sent to the socket with SCM_RIGHTS (runc's recvtty protocol), the slave made our
// controlling terminal and stdio.
import { RuntimeError } from "../sys/errors.ts";
import { fsMagic, openPtyPeer } from "../sys/in-root.ts";
import * as sys from "../sys/linux.ts";
import { O } from "../sys/linux.ts";

const DEVPTS_SUPER_MAGIC = 0x1cd1;
const TIOCGPTN = 0x80045430, TIOCSPTLCK = 0x40045431, TIOCSWINSZ = 0x5414, TIOCSCTTY = 0x540e;

export function setupConsole(socketFd: number, size?: { height: number; width: number }, onSlave?: (slave: number) => void) {
  const master = sys.open("/dev/ptmx", O.RDWR | O.NOCTTY | O.CLOEXEC);
  // /dev/ptmx may come from an image or a volume: it must be the devpts multiplexer (runc 1.2.8)
  if (fsMagic(master, "/dev/ptmx") !== DEVPTS_SUPER_MAGIC) throw new RuntimeError(`"/dev/ptmx" is not on a devpts filesystem`);
  sys.ioctl(master, TIOCSPTLCK, new Int32Array([0]));
  const ptn = new Int32Array(1);
  sys.ioctl(master, TIOCGPTN, ptn);
  const slavePath = `/dev/pts/${ptn[0]}`;
  if (size) sys.ioctl(master, TIOCSWINSZ, new Uint16Array([size.height, size.width, 0, 0]));
  const slave = openPtyPeer(master, O.RDWR | O.NOCTTY); // by fd: /dev/pts could lead elsewhere
  onSlave?.(slave);
  sys.sendFd(socketFd, slavePath, master);
  sys.close(master);
  sys.close(socketFd);
  // init called setsid first thing: the pty becomes the controlling terminal of its own session
  sys.ioctl(slave, TIOCSCTTY, null);
  for (const fd of [0, 1, 2]) sys.dup2(slave, fd);
  if (slave > 2) sys.close(slave);
}

const TCGETS = 0x5401, TCSETS = 0x5402;
const TERMIOS_SIZE = 36; // struct termios of the TCGETS ioctl: 4 flag words, c_line, c_cc[19]
const ONLCR = 0x4;

/**
 * Foreground run/exec, on the pty master we proxy (runc tty.go recvtty: console.ClearONLCR): the
 * container's "\n" passes unchanged, and the caller's terminal, left with output processing on
 * by setRawMode, turns it into "\r\n" once. A master sent to a --console-socket is left as it
 * is: its receiver decides (runc does the same).
 */
export function clearOnlcr(fd: number) {
  const termios = new Uint8Array(TERMIOS_SIZE);
  sys.ioctl(fd, TCGETS, termios);
  const v = new DataView(termios.buffer);
  v.setUint32(4, v.getUint32(4, true) & ~ONLCR, true);
  sys.ioctl(fd, TCSETS, termios);
}

/**
 * cfmakeraw(3) on `fd` (the caller's terminal while we proxy a pty), but with output processing
 * kept on, as runc's console.SetRaw: the pty we proxy leaves "\n" alone (clearOnlcr), so
 * this terminal's onlcr makes the "\r\n". Returns the function that restores the saved settings.
 */
export function setRawMode(fd: number): () => void {
  const saved = new Uint8Array(TERMIOS_SIZE);
  sys.ioctl(fd, TCGETS, saved);
  const raw = saved.slice();
  const v = new DataView(raw.buffer);
  const IGNBRK = 0x1, BRKINT = 0x2, PARMRK = 0x8, ISTRIP = 0x20, INLCR = 0x40, IGNCR = 0x80, ICRNL = 0x100, IXON = 0x400;
  const CSIZE = 0x30, PARENB = 0x100, CS8 = 0x30;
  const ISIG = 0x1, ICANON = 0x2, ECHO = 0x8, ECHONL = 0x40, IEXTEN = 0x8000;
  const VTIME = 5, VMIN = 6, CC = 17;
  v.setUint32(0, v.getUint32(0, true) & ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON), true);
  v.setUint32(8, (v.getUint32(8, true) & ~(CSIZE | PARENB)) | CS8, true);
  v.setUint32(12, v.getUint32(12, true) & ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN), true);
  raw[CC + VMIN] = 1;
  raw[CC + VTIME] = 0;
  sys.ioctl(fd, TCSETS, raw);
  return () => { try { sys.ioctl(fd, TCSETS, saved); } catch {} };
}

/** isatty(3): TCGETS succeeds on a terminal only. (node:tty would cost ~3.5 ms of every start: Bun loads every builtin the bundle imports.) */
export function isTerminal(fd: number): boolean {
  try { sys.ioctl(fd, TCGETS, new Uint8Array(TERMIOS_SIZE)); return true; } catch { return false; }
}

/** TIOCGWINSZ: the terminal's size, undefined when `fd` is not a terminal or has no size. */
export function windowSize(fd: number): { height: number; width: number } | undefined {
  const size = new Uint16Array(4); // ws_row, ws_col, ws_xpixel, ws_ypixel
  try { sys.ioctl(fd, 0x5413 /* TIOCGWINSZ */, size); } catch { return undefined; }
  return size[0] && size[1] ? { height: size[0], width: size[1] } : undefined;
}
