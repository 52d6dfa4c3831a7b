// Seccomp for minidocker. Parent side: compileSeccomp() turns linux.seccomp into a BPF program
// with libseccomp (when it loads) or the builtin compiler; init side: loadSeccomp() (load.ts,
// import that file directly from init); connectToSeccompAgent() + sendToSeccompAgent() for SCMP_ACT_NOTIFY.
import { RuntimeError } from "../../sys/errors.ts";
import { encode } from "./bpf.ts";
import { compileBuiltin } from "./compiler.ts";
import { enosysStub } from "./enosys.ts";
import { compileLibseccomp, libseccompError } from "./libseccomp.ts";
import { planSeccomp } from "./rules.ts";
import type { LinuxSeccomp } from "./types.ts";

export { loadSeccomp } from "./load.ts";
export { connectToSeccompAgent, sendToSeccompAgent } from "./agent.ts";
export type { LinuxSeccomp } from "./types.ts";

export type SeccompBackend = "auto" | "libseccomp" | "builtin";

export interface CompiledSeccomp {
  /** struct sock_filter[], ready for seccomp(SECCOMP_SET_MODE_FILTER) */
  program: Uint8Array;
  /** SECCOMP_FILTER_FLAG_* bits for seccomp(2), NEW_LISTENER included when notify */
  flags: number;
  backend: "libseccomp" | "builtin";
  /** one line each; unknown syscall names included */
  warnings: string[];
  /** the syscall names this backend does not know (skipped, as the spec says) */
  unknownSyscalls: string[];
  /** some rule uses SCMP_ACT_NOTIFY: loadSeccomp returns a listener fd */
  notify: boolean;
}

/** The backend named by opts or $MINIDOCKER_SECCOMP ("auto" when neither says). */
export function chooseBackend(requested?: SeccompBackend): SeccompBackend {
  const wanted = requested ?? (process.env.MINIDOCKER_SECCOMP as SeccompBackend | undefined) ?? "auto";
  if (wanted !== "auto" && wanted !== "libseccomp" && wanted !== "builtin")
    throw new RuntimeError(`MINIDOCKER_SECCOMP: unknown seccomp backend "${wanted}" (auto, libseccomp or builtin)`);
  return wanted;
}

export function compileSeccomp(seccomp: LinuxSeccomp, opts: { backend?: SeccompBackend } = {}): CompiledSeccomp {
  const plan = planSeccomp(seccomp);
  const wanted = chooseBackend(opts.backend);
  const useLibseccomp = wanted === "libseccomp" || (wanted === "auto" && libseccompError() === undefined);
  const backend = useLibseccomp ? "libseccomp" : "builtin";
  const compiled = useLibseccomp ? compileLibseccomp(plan) : compileBuiltin(plan);
  const { warnings, unknownSyscalls } = compiled;
  const stub = enosysStub(seccomp, plan.defaultAction);
  const program = stub.length ? Buffer.concat([encode(stub), compiled.program]) : compiled.program;
  if (program.length / 8 > 4096)
    throw new RuntimeError(`seccomp: the ${backend} program has ${program.length / 8} instructions, above the kernel's 4096`);
  return { program, flags: plan.flags, backend, warnings, unknownSyscalls, notify: plan.notify };
}
