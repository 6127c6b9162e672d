/**
 * `rafter lease grant|keepalive|revoke|info`: leases by id from the command line.
 *
 * @module
 */

import { Lease, type RafterClient } from "../client/mod.ts";
import { integerArg, type ParsedArgs, positionals } from "./args.ts";
import { type CliIo, CliUsageError, EXIT, whenAborted } from "./io.ts";
import { type ClientCommand, printJson } from "./output.ts";

const ACTIONS = ["grant", "keepalive", "revoke", "info"] as const;

function argument(parsed: ParsedArgs, name: string): number {
  const text = positionals(parsed, ["ACTION", name])[1];
  return integerArg(name, text)!;
}

/** Keeps lease `id` alive until the user stops (exit 0) or it is lost (exit 1). */
async function keepAlive(io: CliIo, json: boolean, client: RafterClient, id: number) {
  const grant = await client.keepAliveLease(id, { signal: io.signal });
  const lease = new Lease(client, grant);
  const line = `lease ${id} kept alive every ${Math.floor(grant.ttlMs / 3)} ms; Ctrl-C to stop`;
  await (json ? printJson(io, grant) : io.out(line + "\n"));
  const ended = await Promise.race([whenAborted(io.signal), whenAborted(lease.signal)]);
  lease.stopKeepAlives();
  if (ended === io.signal) return EXIT.ok;
  io.err(`rafter lease: ${(lease.signal.reason as Error).message}`);
  return EXIT.failed;
}

/**
 * `rafter lease ...`.
 *
 * @example
 * ```ts
 * import { runClientCommand } from "./mod.ts";
 * import { FakeCluster } from "../../tests/client/fake_cluster.ts";
 * import { memoryIo } from "../../tests/cli/run.ts";
 * // An in-memory stand-in for a cluster, on a free port.
 * const fake = FakeCluster.serve(1);
 * const io = memoryIo({ RAFTER_ENDPOINTS: fake.origins[0]! });
 * await runClientCommand(["lease", "grant", "5000"], io);
 * const id = io.stdout.at(-1)!.trim();
 * await runClientCommand(["put", "svc/a", "x", "--lease", id], io);
 * if (await runClientCommand(["lease", "revoke", id], io) !== 0) throw new Error();
 * if (await runClientCommand(["get", "svc/a"], io) !== 1) throw new Error("revoked with its lease");
 * await fake.close();
 * ```
 */
export const leaseCommand: ClientCommand = {
  name: "lease",
  summary: "grant, keep alive, revoke or inspect a lease",
  help: `Usage:
  rafter lease grant TTL-MS     grant a lease; prints its id
  rafter lease keepalive ID     keep lease ID alive until Ctrl-C (exit 1 if it is lost)
  rafter lease revoke ID        revoke lease ID, deleting every key attached to it
  rafter lease info ID          print its time left and attached keys

Keys are attached with "rafter put KEY VALUE --lease ID". Exits 1 for an unknown lease.`,
  flags: {},
  async run({ io, parsed, json, client }) {
    const action = parsed.positionals[0];
    if (!(ACTIONS as readonly (string | undefined)[]).includes(action)) {
      throw new CliUsageError(
        `Expected grant, keepalive, revoke or info, got "${action ?? ""}"`,
      );
    }
    const c = await client();
    const signal = io.signal;
    if (action === "grant") {
      const grant = await c.grantLease(argument(parsed, "TTL-MS"), { signal });
      await (json ? printJson(io, grant) : io.out(`${grant.id}\n`));
    } else if (action === "keepalive") {
      return await keepAlive(io, json, c, argument(parsed, "ID"));
    } else if (action === "revoke") {
      const result = await c.revokeLease(argument(parsed, "ID"), { signal });
      await (json ? printJson(io, result) : io.out("OK\n"));
    } else {
      const info = await c.leaseInfo(argument(parsed, "ID"), { signal });
      const keys = info.keys.length === 0 ? "" : `\n${info.keys.join("\n")}`;
      await (json ? printJson(io, info) : io.out(`ttl ${info.ttlMs} ms${keys}\n`));
    }
    return EXIT.ok;
  },
};
