/**
 * `rafter lock NAME -- COMMAND...`: runs a command while holding a lock, or holds the lock
 * until stopped.
 *
 * @module
 */

import { integerArg, positionals, stringFlag } from "./args.ts";
import { type CliIo, EXIT, whenAborted } from "./io.ts";
import type { ClientCommand } from "./output.ts";

/** Exit code when the lock was lost while the command ran. */
const LOST_EXIT = EXIT.failed;

/**
 * Runs `command` with the lock's key and index in its environment; answers its exit code.
 * When the lock is lost, or this process is asked to stop, the command gets SIGTERM first;
 * a stop then ends in the stop's error, after the command has exited.
 */
async function runHolding(
  io: CliIo,
  command: string[],
  env: Record<string, string>,
  lost: AbortSignal,
): Promise<number> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(command[0]!, { args: command.slice(1), env }).spawn();
  } catch (error) {
    io.err(`rafter lock: Cannot run "${command[0]}": ${(error as Error).message}`);
    return EXIT.failed;
  }
  const done = await Promise.race([child.status, whenAborted(lost), whenAborted(io.signal)]);
  if (!(done instanceof AbortSignal)) return done.code;
  if (done === lost) {
    io.err(`rafter lock: ${(lost.reason as Error).message}; stopping "${command[0]}"`);
  }
  try {
    child.kill("SIGTERM");
  } catch {
    // It exited meanwhile.
  }
  await child.status;
  if (done === io.signal) throw io.signal.reason;
  return LOST_EXIT;
}

/**
 * `rafter lock NAME [-- COMMAND...]`.
 *
 * @example
 * ```ts
 * import { runClientCommand } from "./mod.ts";
 * import { FakeCluster } from "../../tests/client/fake_cluster.ts";
 * import { memoryIo } from "../../tests/cli/run.ts";
 * // An in-memory stand-in for a cluster, on a free port.
 * const fake = FakeCluster.serve(1);
 * const io = memoryIo({ RAFTER_ENDPOINTS: fake.origins[0]! });
 * const code = await runClientCommand(["lock", "jobs/x", "--", "sh", "-c", "exit 3"], io);
 * if (code !== 3) throw new Error(`the command's exit code, got ${code}`);
 * await fake.close();
 * ```
 */
export const lockCommand: ClientCommand = {
  name: "lock",
  summary: "run a command while holding a lock",
  help: `Usage: rafter lock NAME [--ttl-ms N] [-- COMMAND [ARGS...]]

Takes the lock NAME (waiting while someone else holds it), runs COMMAND with
RAFTER_LOCK_KEY and RAFTER_LOCK_INDEX (a fencing token that grows with every holder) in its
environment, releases the lock and exits with COMMAND's exit code. If the lock is lost
meanwhile (its lease could not be kept alive), COMMAND gets SIGTERM and the exit code is 1.
Stopped by Ctrl-C or SIGTERM, it sends COMMAND SIGTERM, waits for it, releases the lock and
exits 130. Without COMMAND, holds the lock until Ctrl-C. If this process dies, the lock is
released when its lease expires.

Flags:
  --ttl-ms N              TTL of the lock's lease (default 10000)`,
  flags: { "ttl-ms": { type: "string" } },
  async run({ io, parsed, client }) {
    const [name] = positionals(parsed, ["NAME"]);
    const ttlMs = integerArg("--ttl-ms", stringFlag(parsed, "ttl-ms"));
    const held = await (await client()).lock(name!, {
      ...(ttlMs === undefined ? {} : { ttlMs }),
      signal: io.signal,
    });
    try {
      if (parsed.rest.length > 0) {
        const env = { RAFTER_LOCK_KEY: held.key, RAFTER_LOCK_INDEX: String(held.index) };
        return await runHolding(io, parsed.rest, env, held.signal);
      }
      io.err(`rafter lock: holding "${held.key}" (index ${held.index}); Ctrl-C to release`);
      const done = await Promise.race([whenAborted(io.signal), whenAborted(held.signal)]);
      if (done === io.signal) return EXIT.ok;
      io.err(`rafter lock: ${(held.signal.reason as Error).message}`);
      return LOST_EXIT;
    } finally {
      await held[Symbol.asyncDispose]();
    }
  },
};
