import { createContainer } from "../container/create.ts";
import { type Command, requireId } from "./index.ts";

export const createArgs = {
  bundle: { type: "string", alias: "b", description: "path to the bundle (default: current directory)" },
  "pid-file": { type: "string", description: "write the container's init pid to this file" },
  "console-socket": { type: "string", description: "unix socket that receives the pty master (terminal: true)" },
  pivot: { type: "boolean", default: true, description: "--no-pivot: chroot instead of pivot_root (ramdisk roots)" },
  "new-keyring": { type: "boolean", default: true, description: "--no-new-keyring: keep the caller's session keyring" },
  "preserve-fds": { type: "string", description: "pass N extra fds (3…3+N-1) to the container" },
} as const;

export const createOptions = (flags: Record<string, unknown>, id: string) => ({
  id,
  bundle: flags.bundle as string | undefined,
  pidFile: flags["pid-file"] as string | undefined,
  consoleSocket: flags["console-socket"] as string | undefined,
  noPivot: flags.pivot === false,
  noNewKeyring: flags["new-keyring"] === false,
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
