// The network namespace as runc leaves it: in a new one, the loopback device is brought up
// (runc's "loopback" network strategy, libcontainer/network_linux.go). Runs in init.
import { ptr } from "bun:ffi";
import { errno, libc } from "../../ffi/libc.ts";
import { SysError } from "../sys/errors.ts";

const AF_INET = 2, SOCK_DGRAM = 2, SOCK_CLOEXEC = 0o2000000;
const SIOCGIFFLAGS = 0x8913, SIOCSIFFLAGS = 0x8914;
const IFF_UP = 0x1;
const IFREQ_SIZE = 40; // struct ifreq: char ifr_name[16] + a 24-byte union (short ifr_flags first)

/** ioctl(SIOCSIFFLAGS) with IFF_UP on `name`. */
export function bringUp(name: string) {
  const fd = libc.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw new SysError("socket", errno(), "AF_INET");
  try {
    const ifreq = Buffer.alloc(IFREQ_SIZE);
    ifreq.write(name, 0, 15, "latin1");
    if (libc.ioctl(fd, SIOCGIFFLAGS, ptr(ifreq)) < 0) throw new SysError("ioctl SIOCGIFFLAGS", errno(), name);
    ifreq.writeUInt16LE(ifreq.readUInt16LE(16) | IFF_UP, 16);
    if (libc.ioctl(fd, SIOCSIFFLAGS, ptr(ifreq)) < 0) throw new SysError("ioctl SIOCSIFFLAGS", errno(), name);
  } finally {
    libc.close(fd);
  }
}
