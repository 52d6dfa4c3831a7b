// Test driver: compile a profile (argv[2] = JSON file, $MINIDOCKER_SECCOMP picks the backend),
// set no_new_privs, load the filter on this (the JS) thread and execve argv[3..] from it.
// With listenerPath set, hands the notify fd to the agent first. Used by the seccomp integration tests.
import { readFileSync } from "node:fs";
import { ptr } from "bun:ffi";
import { errno, libc } from "../ffi/libc.ts";
import { compileSeccomp } from "../src/linux/seccomp/index.ts";
import { loadSeccomp } from "../src/linux/seccomp/load.ts";
import { connectToSeccompAgent, sendToSeccompAgent } from "../src/linux/seccomp/agent.ts";

const PR_SET_NO_NEW_PRIVS = 38;
const [profilePath, ...command] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(profilePath!, "utf8"));
const compiled = compileSeccomp(profile);
if (libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) !== 0) throw new Error(`prctl: errno ${errno()}`);
const notifyFd = loadSeccomp(compiled.program, compiled.flags);
if (notifyFd >= 0) {
  sendToSeccompAgent(connectToSeccompAgent(profile.listenerPath), notifyFd, {
    ociVersion: "1.2.0", pid: process.pid, metadata: profile.listenerMetadata ?? "",
    state: { ociVersion: "1.2.0", id: "seccomp-test", status: "creating", pid: process.pid, bundle: "/" },
  });
  libc.close(notifyFd);
}
const cstr = (s: string) => Buffer.from(`${s}\0`);
const argv = command.map(cstr);
const argvPtrs = new BigUint64Array([...argv.map((a) => BigInt(ptr(a))), 0n]);
const envp = new BigUint64Array([0n]);
libc.execve(ptr(argv[0]!), ptr(argvPtrs), ptr(envp));
throw new Error(`execve ${command[0]}: errno ${errno()}`);
