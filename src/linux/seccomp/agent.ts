// Parent side of SCMP_ACT_NOTIFY with linux.seccomp.listenerPath (config-linux.md "Seccomp",
// runtime.md "Container process state"): hand the notify fd and the container process state to
// the seccomp agent listening on the unix socket.
import { close, connectUnix, sendFd } from "../../sys/linux.ts";

export interface ContainerProcessState {
  ociVersion: string;
  fds?: string[];
  pid: number;
  metadata?: string;
  state: object;
}

/** Connect to the agent's socket (AF_UNIX, SOCK_STREAM); throws SysError naming the path. */
export const connectToSeccompAgent = (listenerPath: string): number => connectUnix(listenerPath);

/**
 * Send, in one sendmsg on a connected agent socket, the JSON state as payload and notifyFd as
 * SCM_RIGHTS, then close the socket. `fds` defaults to ["seccompFd"], the spec's name for it.
 */
export function sendToSeccompAgent(agentSocket: number, notifyFd: number, containerProcessState: ContainerProcessState): void {
  try {
    sendFd(agentSocket, JSON.stringify({ fds: ["seccompFd"], ...containerProcessState }), notifyFd);
  } finally {
    close(agentSocket);
  }
}
