// The network namespace as runc leaves it: in a new one, the loopback device is brought up
// (runc's "loopback" network strategy, libcontainer/network_linux.go). Runs in init.
import * as sys from "../sys/linux.ts";

const AF_INET = 2, SOCK_DGRAM = 2;
const SIOCGIFFLAGS = 0x8913, SIOCSIFFLAGS = 0x8914;
const IFF_UP = 0x1;
const IFREQ_SIZE = 40; // struct ifreq: char ifr_name[16] + a 24-byte union (short ifr_flags first)

/** ioctl(SIOCSIFFLAGS) with IFF_UP on `name`. */
export function bringUp(name: string) {
  const fd = sys.socket(AF_INET, SOCK_DGRAM | sys.SOCK_CLOEXEC, "AF_INET");
  try {
    const ifreq = Buffer.alloc(IFREQ_SIZE);
    ifreq.write(name, 0, 15, "latin1");
    sys.ioctl(fd, SIOCGIFFLAGS, ifreq, `SIOCGIFFLAGS ${name}`);
    ifreq.writeUInt16LE(ifreq.readUInt16LE(16) | IFF_UP, 16);
    sys.ioctl(fd, SIOCSIFFLAGS, ifreq, `SIOCSIFFLAGS ${name}`);
  } finally {
    sys.close(fd);
  }
}
