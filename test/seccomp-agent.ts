// A minimal seccomp agent for tests: listen on argv[2] (unix socket), receive one connection's
// notify fd (SCM_RIGHTS) and container process state, answer one notification with success
// (val 0, error 0) without running the syscall, print {state, nr} as JSON and exit.
import { dlopen, FFIType, ptr } from "bun:ffi";
import { unlinkSync } from "node:fs";

const { i32, u64, ptr: p } = FFIType;
const c = dlopen("libc.so.6", {
  socket: { args: [i32, i32, i32], returns: i32 }, bind: { args: [i32, p, i32], returns: i32 },
  listen: { args: [i32, i32], returns: i32 }, accept: { args: [i32, p, p], returns: i32 },
  recvmsg: { args: [i32, p, i32], returns: i32 }, ioctl: { args: [i32, u64, p], returns: i32 },
  close: { args: [i32], returns: i32 }, write: { args: [i32, p, u64], returns: i32 },
}).symbols;
const SECCOMP_IOCTL_NOTIF_RECV = 0xc0502100n; // _IOWR('!', 0, struct seccomp_notif) (80 bytes)
const SECCOMP_IOCTL_NOTIF_SEND = 0xc0182101n; // _IOWR('!', 1, struct seccomp_notif_resp) (24 bytes)
const must = (rc: number, what: string) => { if (rc < 0) throw new Error(`${what} failed`); return rc; };

const path = process.argv[2]!;
try { unlinkSync(path); } catch {}
const server = must(c.socket(1, 1, 0), "socket");
const addr = Buffer.alloc(110); // struct sockaddr_un { sa_family_t AF_UNIX; char sun_path[108] }
addr.writeUInt16LE(1, 0);
addr.write(path, 2);
must(c.bind(server, ptr(addr), addr.length), "bind");
must(c.listen(server, 1), "listen");
const ready = Buffer.from("listening\n");
c.write(1, ptr(ready), ready.length);
const conn = must(c.accept(server, null, null), "accept");

const payload = new Uint8Array(65536);
const iov = new BigUint64Array([BigInt(ptr(payload)), BigInt(payload.length)]);
const control = new Uint8Array(64);
const msg = new Uint8Array(56);
const mv = new DataView(msg.buffer);
mv.setBigUint64(16, BigInt(ptr(iov)), true); mv.setBigUint64(24, 1n, true);
mv.setBigUint64(32, BigInt(ptr(control)), true); mv.setBigUint64(40, BigInt(control.length), true);
const n = must(c.recvmsg(conn, ptr(msg), 0), "recvmsg");
const cmsg = new DataView(control.buffer);
if (cmsg.getInt32(8, true) !== 1 || cmsg.getInt32(12, true) !== 1) throw new Error("no SCM_RIGHTS");
const notifyFd = cmsg.getInt32(16, true);
const state = JSON.parse(Buffer.from(payload.subarray(0, n)).toString());

const notif = new Uint8Array(80);
must(c.ioctl(notifyFd, SECCOMP_IOCTL_NOTIF_RECV, ptr(notif)), "SECCOMP_IOCTL_NOTIF_RECV");
const nv = new DataView(notif.buffer);
const id = nv.getBigUint64(0, true);
const nr = nv.getInt32(16, true);
const resp = new Uint8Array(24);
const rv = new DataView(resp.buffer);
rv.setBigUint64(0, id, true); // id; val = 0, error = 0, flags = 0: "succeeded"
must(c.ioctl(notifyFd, SECCOMP_IOCTL_NOTIF_SEND, ptr(resp)), "SECCOMP_IOCTL_NOTIF_SEND");
const out = Buffer.from(`${JSON.stringify({ state, nr, pid: nv.getUint32(8, true) })}\n`);
c.write(1, ptr(out), out.length);
c.close(conn); c.close(server); c.close(notifyFd);
unlinkSync(path);
