// Entry point. `init` (the container's setup stage, run at every container start) is
// dispatched before any CLI code is loaded: it must not pay for citty, consola or valibot.
const args = process.argv.slice(2);
if (args[0] === "init") {
  const { init } = await import("./stages/init.ts");
  init();
} else {
  const { main } = await import("./cli/index.ts");
  process.exitCode = await main(args);
}
