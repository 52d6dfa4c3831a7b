// sendFds/recvFds (SCM_RIGHTS): the plan carries init's cgroup "tasks" fds this way.
import { expect, test } from "bun:test";
import { closeSync, fstatSync, openSync } from "node:fs";
import { close, recvFd, recvFds, sendFds, socketpair } from "../../../src/sys/linux.ts";

test("several fds travel with one message, in order, each a new fd of the same file", () => {
  const [a, b] = socketpair();
  const files = ["/proc/self/status", "/dev/null", "/proc/version"].map((p) => openSync(p, "r"));
  try {
    sendFds(a, "plan\n", files);
    const { data, fds } = recvFds(b);
    expect(data.toString()).toBe("plan\n");
    expect(fds).toHaveLength(3);
    fds.forEach((fd, i) => {
      expect(files).not.toContain(fd);
      expect(fstatSync(fd).ino).toBe(fstatSync(files[i]!).ino);
      close(fd);
    });
  } finally {
    for (const f of files) closeSync(f);
    close(a); close(b);
  }
});

test("a payload longer than one read arrives whole; no fds is none; recvFd takes the first", () => {
  const [a, b] = socketpair();
  try {
    sendFds(a, "small", []);
    expect(recvFds(b)).toEqual({ data: Buffer.from("small"), fds: [] });
    const long = "x".repeat(60_000); // within the socket's buffer, over many 4 KiB reads
    const devNull = openSync("/dev/null", "r");
    sendFds(a, long, [devNull, devNull]);
    closeSync(devNull);
    const first = recvFds(b);
    expect(first.fds).toHaveLength(2);
    for (const fd of first.fds) close(fd);
    let got = first.data.toString();
    while (got.length < long.length) {
      const next = recvFds(b);
      expect(next.fds).toEqual([]);
      got += next.data.toString();
    }
    expect(got).toBe(long);
    const another = openSync("/dev/null", "r");
    sendFds(a, "one", [another, another]);
    closeSync(another);
    const { fd } = recvFd(b); // the second is closed for us
    expect(fd).toBeGreaterThan(2);
    close(fd);
  } finally {
    close(a); close(b);
  }
});
