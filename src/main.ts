// Entry point. `init` (the container's setup stage, run at every container start) is
// dispatched before any CLI code is loaded: it must not pay for citty, consola or valibot.
const args = process.argv.slice(2);
if (args[0] === "init") {
  void import("./stages/init.ts").then(({ init }) => init());
} else {
  void import("./cli/index.ts").then(async ({ main }) => {
    process.exitCode = await main(args);
  });
}
