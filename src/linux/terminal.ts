// process.terminal with a console socket: a pty allocated inside the container (its devpts),
// the master sent to the socket with SCM_RIGHTS (runc's recvtty protocol), the slave made our
// controlling terminal and stdio.
import * as sys from "../sys/linux.ts";
import { O } from "../sys/linux.ts";

const TIOCGPTN = 0x80045430, TIOCSPTLCK = 0x40045431, TIOCSWINSZ = 0x5414, TIOCSCTTY = 0x540e;

export function setupConsole(socketFd: number, size?: { height: number; width: number }) {
  const master = sys.open("/dev/ptmx", O.RDWR | O.NOCTTY | O.CLOEXEC);
  sys.ioctl(master, TIOCSPTLCK, new Int32Array([0]));
  const ptn = new Int32Array(1);
  sys.ioctl(master, TIOCGPTN, ptn);
  const slavePath = `/dev/pts/${ptn[0]}`;
  if (size) sys.ioctl(master, TIOCSWINSZ, new Uint16Array([size.height, size.width, 0, 0]));
  const slave = sys.open(slavePath, O.RDWR | O.NOCTTY);
  sys.sendFd(socketFd, slavePath, master);
  sys.close(master);
  sys.close(socketFd);
  sys.setsid();
  sys.ioctl(slave, TIOCSCTTY, null);
  for (const fd of [0, 1, 2]) sys.dup2(slave, fd);
  if (slave > 2) sys.close(slave);
}
