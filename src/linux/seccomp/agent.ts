// Parent side of SCMP_ACT_NOTIFY with linux.seccomp.listenerPath (config-linux.md "Seccomp",
// runtime.md "Container process state"): hand the notify fd and the container process state to
// the seccomp agent listening on the unix socket.
import { libc } from "../../../ffi/libc.ts";
import { connectUnix, sendWithFd } from "./sys.ts";

export interface ContainerProcessState {
  ociVersion: string;
  fds?: string[];
  pid: number;
  metadata?: string;
  state: object;
}

/**
 * Connect to listenerPath (AF_UNIX, SOCK_STREAM) and send, in one sendmsg, the JSON state as
 * payload and notifyFd as SCM_RIGHTS. `fds` defaults to ["seccompFd"], the spec's name for it.
 */
export function sendToSeccompAgent(listenerPath: string, notifyFd: number, containerProcessState: object): void {
  const state = { fds: ["seccompFd"], ...(containerProcessState as ContainerProcessState) };
  const payload = Buffer.from(JSON.stringify(state));
  const socket = connectUnix(listenerPath);
  try {
    sendWithFd(socket, payload, notifyFd, listenerPath);
  } finally {
    libc.close(socket);
  }
}
