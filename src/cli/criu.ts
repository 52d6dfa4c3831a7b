// runc's `checkpoint` and `restore` need CRIU, which minidocker does not use: both accept runc's
// flags (a script's command line is not "wrong") and fail with one line saying so.
import { RuntimeError } from "../sys/errors.ts";
import { createArgs } from "./create.ts";
import type { Command } from "./index.ts";

const value = (description: string) => ({ type: "string", description }) as const;
const flag = (description: string) => ({ type: "boolean", description }) as const;

const shared = {
  "image-path": value("path to the CRIU image files"),
  "work-path": value("path for CRIU's work files and logs"),
  "tcp-established": flag("allow open TCP connections"),
  "ext-unix-sk": flag("allow external unix sockets"),
  "shell-job": flag("allow shell jobs"),
  "file-locks": flag("handle file locks"),
  "manage-cgroups-mode": value("cgroups mode: soft, full or strict"),
  "empty-ns": value("create a namespace, but don't restore its properties"),
  "auto-dedup": flag("enable auto deduplication of memory images"),
  "lazy-pages": flag("use userfaultfd to restore memory pages lazily"),
} as const;

const unsupported = (command: string) => () => {
  throw new RuntimeError(`${command} is not supported: minidocker has no checkpoint/restore (CRIU)`);
};

export const checkpoint = {
  meta: { name: "checkpoint", description: "checkpoint a running container (not supported: needs CRIU)" },
  args: {
    ...shared,
    "parent-path": value("path of the previous CRIU images of a pre-dump"),
    "leave-running": flag("leave the process running after checkpointing"),
    "status-fd": value("CRIU writes \\0 to this fd once lazy-pages is ready"),
    "page-server": value("ADDRESS:PORT of the page server"),
    "pre-dump": flag("dump the container's memory only, leave it running"),
  },
  run: unsupported("checkpoint"),
} satisfies Command;

export const restore = {
  meta: { name: "restore", description: "restore a container from a checkpoint (not supported: needs CRIU)" },
  args: {
    ...shared,
    bundle: createArgs.bundle,
    "console-socket": createArgs["console-socket"],
    "pid-file": createArgs["pid-file"],
    "no-pivot": createArgs["no-pivot"],
    detach: flag("detach from the container's process"),
    "no-subreaper": flag("do not reap processes orphaned in the container"),
    "lsm-profile": value("LSM profile for the restore: TYPE:NAME"),
    "lsm-mount-context": value("LSM mount context for the restore"),
  },
  run: unsupported("restore"),
} satisfies Command;
