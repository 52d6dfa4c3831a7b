// Entry point. `init` (the container's setup stage, run at every container start) is
// dispatched before any CLI code is loaded: it must not pay for citty, consola or valibot.
const args = process.argv.slice(2);
if (args[0] === "init") {
  // JSC read its options (container/launch.ts INIT_ENV) at start-up; hooks must not inherit them.
  for (const name of Object.keys(process.env)) if (name.startsWith("BUN_JSC_")) delete process.env[name];
  void import("./stages/init.ts").then(({ init }) => init());
} else {
  void import("./cli/index.ts").then(({ main }) => main(args)).then(
    (code) => { process.exitCode = code; },
    // main reports its own errors; anything that still escapes is one line, never a stack dump
    // of the bundled source
    (e: unknown) => {
      process.stderr.write(`minidocker: ${(e as Error)?.message ?? String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
