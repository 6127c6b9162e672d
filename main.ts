#!/usr/bin/env -S deno run --v8-flags=--max-semi-space-size=8,--heap-growing-percent=25 --allow-net --allow-read --allow-write --allow-env --allow-sys=systemMemoryInfo --allow-ffi --allow-run
/**
 * rafter: a distributed key-value store on Raft.
 *
 *   deno task start [serve] [flags]       (the V8 flags and permissions of src/node_flags.ts)
 *   deno task rafter COMMAND ...
 *
 * @module
 */

import { runHashToken } from "./src/auth/hash_token_command.ts";
import { HELP, parseCommand, UsageError } from "./src/cli.ts";
import { isClientCommand, processIo, runClientCommand } from "./src/cli/mod.ts";
import { startServer } from "./src/server.ts";

/**
 * Runs rafter with command-line `args` (a client command, a node until SIGINT or
 * SIGTERM, or `--help`); resolves to the exit status.
 *
 * @example
 * ```ts ignore
 * import { main } from "./main.ts";
 * Deno.exit(await main(["--help"]));
 * ```
 */
export async function main(args: string[]): Promise<number> {
  if (isClientCommand(args[0])) {
    using io = processIo();
    return await runClientCommand(args, io);
  }
  let command;
  try {
    command = parseCommand(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`rafter: ${error.message}`);
    return 2;
  }
  if (command.kind === "help") {
    console.log(HELP);
    return 0;
  }
  if (command.kind === "hash-token") {
    return await runHashToken(Deno.stdin.readable, console.log, console.error);
  }
  let server;
  try {
    server = await startServer(command.config);
  } catch (error) {
    console.error(`rafter: ${error instanceof Error ? error.message : error}`);
    return 1;
  }
  const done = Promise.withResolvers<void>();
  const onSignal = () => {
    server.stop().then(() => done.resolve(), () => done.resolve());
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  await done.promise;
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
