import { createContainer } from "../container/create.ts";
import { type Command, requireId } from "./index.ts";

export const createArgs = {
  bundle: { type: "string", alias: "b", description: "path to the bundle (default: current directory)" },
  "pid-file": { type: "string", description: "write the container's init pid to this file" },
  "console-socket": { type: "string", description: "unix socket that receives the pty master (terminal: true)" },
  "no-pivot": { type: "boolean", description: "do not use pivot_root to jail the process inside the rootfs (for a rootfs on a ramdisk)" },
  "no-new-keyring": { type: "boolean", description: "do not create a new session keyring: the container inherits the caller's" },
  "preserve-fds": { type: "string", description: "pass N extra fds (3…3+N-1) to the container" },
} as const;

export const createOptions = (flags: Record<string, unknown>, id: string) => ({
  id,
  bundle: flags.bundle as string | undefined,
  pidFile: flags["pid-file"] as string | undefined,
  consoleSocket: flags["console-socket"] as string | undefined,
  noPivot: flags["no-pivot"] === true,
  noNewKeyring: flags["no-new-keyring"] === true,
  preserveFds: flags["preserve-fds"] ? Number(flags["preserve-fds"]) : 0,
});

export default {
  meta: { name: "create", description: "create a container: its process waits until `start`" },
  args: createArgs,
  run(ctx, inv) {
    createContainer(ctx, createOptions(inv.flags, requireId(inv, "create")));
    return 0;
  },
} satisfies Command;
