/**
 * The cluster client commands: `status`, `members`, `join`, `remove` and `transfer-leader`.
 *
 * @module
 */

import type { MemberStatus, NodeStatus } from "../client/mod.ts";
import { endpointsOf, positionals } from "./args.ts";
import { EXIT } from "./io.ts";
import { type ClientCommand, printJson, table } from "./output.ts";

type EndpointStatus = { endpoint: string } & (NodeStatus | { error: string });

const STATUS_HEADERS = [
  "ENDPOINT",
  "ID",
  "ROLE",
  "TERM",
  "LEADER",
  "COMMIT",
  "APPLIED",
  "LAST-LOG",
  "SNAPSHOT",
];

/** An index column: `-` when the node shows only its minimal status (auth on, no admin token). */
function index(value: number | undefined): string {
  return value === undefined ? "-" : String(value);
}

function statusRow(row: EndpointStatus): string[] {
  if ("error" in row) return [row.endpoint, "-", "unreachable", "", "", "", "", "", row.error];
  return [
    row.endpoint,
    row.id,
    row.role,
    String(row.term),
    row.leaderId === "" ? "-" : row.leaderId,
    index(row.commitIndex),
    index(row.appliedIndex),
    index(row.lastLogIndex),
    index(row.snapshotIndex),
  ];
}

function memberRow(member: MemberStatus): string[] {
  return [
    member.id,
    member.voter ? "voter" : "learner",
    member.raftAddr,
    member.httpAddr,
    String(member.matchIndex),
    member.lastContactMs < 0 ? "-" : String(member.lastContactMs),
  ];
}

/**
 * `rafter status`.
 *
 * @example
 * ```ts
 * import { runClientCommand } from "./mod.ts";
 * import { FakeCluster } from "../../tests/client/fake_cluster.ts";
 * import { memoryIo } from "../../tests/cli/run.ts";
 * // An in-memory stand-in for a cluster, on a free port.
 * const fake = FakeCluster.serve(1);
 * const io = memoryIo({ RAFTER_ENDPOINTS: fake.origins[0]! });
 * await runClientCommand(["status"], io);
 * if (!io.stdout[0]!.startsWith("ENDPOINT")) throw new Error(io.stdout[0]);
 * await fake.close();
 * ```
 */
export const statusCommand: ClientCommand = {
  name: "status",
  summary: "show every endpoint's view: role, term, leader, indexes",
  help: `Usage: rafter status

Asks every endpoint for its status and prints one row each: id, role, term, leader, commit,
applied, last log and snapshot indexes. Exits 3 when no endpoint answers.`,
  flags: {},
  async run({ io, parsed, json, client }) {
    positionals(parsed, []);
    const c = await client();
    const rows: EndpointStatus[] = await Promise.all(
      endpointsOf(parsed, io).map(async (endpoint) => {
        try {
          return { endpoint, ...await c.status({ endpoint, signal: io.signal }) };
        } catch (error) {
          if (io.signal.aborted) throw error;
          return { endpoint, error: (error as Error).message };
        }
      }),
    );
    if (json) await printJson(io, rows);
    else {
      const headers = rows.some((r) => "error" in r)
        ? [...STATUS_HEADERS, "ERROR"]
        : STATUS_HEADERS;
      await io.out(table(headers, rows.map(statusRow)));
    }
    return rows.every((r) => "error" in r) ? EXIT.unavailable : EXIT.ok;
  },
};

/**
 * `rafter members`.
 *
 * @example
 * ```ts
 * import { runClientCommand } from "./mod.ts";
 * import { FakeCluster } from "../../tests/client/fake_cluster.ts";
 * import { memoryIo } from "../../tests/cli/run.ts";
 * // An in-memory stand-in for a cluster, on a free port.
 * const fake = FakeCluster.serve(1);
 * const io = memoryIo({ RAFTER_ENDPOINTS: fake.origins[0]! });
 * await runClientCommand(["members", "--json"], io);
 * if (JSON.parse(io.stdout[0]!)[0].id !== "n1") throw new Error(io.stdout[0]);
 * await fake.close();
 * ```
 */
export const membersCommand: ClientCommand = {
  name: "members",
  summary: "list the members as the leader sees them",
  help: `Usage: rafter members

Prints every member as the leader sees it: id, voter or learner, Raft and HTTP addresses,
match index and milliseconds since the leader last heard from it.`,
  flags: {},
  async run({ io, parsed, json, client }) {
    positionals(parsed, []);
    const members = await (await client()).members({ signal: io.signal });
    const headers = ["ID", "VOTER", "RAFT", "HTTP", "MATCH", "LAST-CONTACT-MS"];
    await (json ? printJson(io, members) : io.out(table(headers, members.map(memberRow))));
    return EXIT.ok;
  },
};

/**
 * `rafter join ID RAFT-ADDR [HTTP-ADDR]`.
 *
 * @example
 * ```ts
 * import { runClientCommand } from "./mod.ts";
 * import { FakeCluster } from "../../tests/client/fake_cluster.ts";
 * import { memoryIo } from "../../tests/cli/run.ts";
 * // An in-memory stand-in for a cluster, on a free port.
 * const fake = FakeCluster.serve(1);
 * const io = memoryIo({ RAFTER_ENDPOINTS: fake.origins[0]! });
 * if (await runClientCommand(["join", "n4"], io) !== 2) throw new Error("RAFT-ADDR is missing");
 * await fake.close();
 * ```
 */
export const joinCommand: ClientCommand = {
  name: "join",
  summary: "add a member",
  help: `Usage: rafter join ID RAFT-ADDR [HTTP-ADDR]

Adds node ID, whose Raft listener is RAFT-ADDR (host:port), as a learner that becomes a voter
once it has caught up; answers once it is a voter. The node must be running with a fresh data
directory and --join (or no --bootstrap). Adding an identical member again is a no-op.`,
  flags: {},
  async run({ io, parsed, json, client }) {
    const [id, raftAddr, httpAddr] = positionals(parsed, ["ID", "RAFT-ADDR", "HTTP-ADDR"], 1);
    const result = await (await client()).join({
      id: id!,
      raftAddr: raftAddr!,
      ...(httpAddr === undefined ? {} : { httpAddr }),
      signal: io.signal,
    });
    await (json ? printJson(io, result) : io.out(`OK ${result.id} index ${result.index}\n`));
    return EXIT.ok;
  },
};

/**
 * `rafter remove ID`.
 *
 * @example
 * ```ts
 * import { runClientCommand } from "./mod.ts";
 * import { FakeCluster } from "../../tests/client/fake_cluster.ts";
 * import { memoryIo } from "../../tests/cli/run.ts";
 * // An in-memory stand-in for a cluster, on a free port.
 * const fake = FakeCluster.serve(1);
 * const io = memoryIo({ RAFTER_ENDPOINTS: fake.origins[0]! });
 * if (await runClientCommand(["remove"], io) !== 2) throw new Error("ID is missing");
 * await fake.close();
 * ```
 */
export const removeCommand: ClientCommand = {
  name: "remove",
  summary: "remove a member",
  help: `Usage: rafter remove ID

Removes member ID from the cluster.`,
  flags: {},
  async run({ io, parsed, json, client }) {
    const [id] = positionals(parsed, ["ID"]);
    const result = await (await client()).remove(id!, { signal: io.signal });
    await (json ? printJson(io, result) : io.out(`OK ${result.id} index ${result.index}\n`));
    return EXIT.ok;
  },
};

/**
 * `rafter transfer-leader [ID]`.
 *
 * @example
 * ```ts
 * import { runClientCommand } from "./mod.ts";
 * import { FakeCluster } from "../../tests/client/fake_cluster.ts";
 * import { memoryIo } from "../../tests/cli/run.ts";
 * // An in-memory stand-in for a cluster, on a free port.
 * const fake = FakeCluster.serve(1);
 * const io = memoryIo({ RAFTER_ENDPOINTS: fake.origins[0]! });
 * // The fake does not serve the route (a node does): exit 1.
 * if (await runClientCommand(["transfer-leader", "n2"], io) !== 1) throw new Error();
 * await fake.close();
 * ```
 */
export const transferLeaderCommand: ClientCommand = {
  name: "transfer-leader",
  summary: "hand leadership to another voter",
  help: `Usage: rafter transfer-leader [ID]

Asks the leader to hand leadership to voter ID, or to the most caught-up voter when ID is not
given (POST /transfer-leader), and prints who leads once the new leader is known. Writes sent
meanwhile are refused with 503 and retried by the client. Exits 2 when ID is not a voter, 3 when
the transfer did not finish within an election timeout.`,
  flags: {},
  async run({ io, parsed, json, client }) {
    const [to] = positionals(parsed, ["ID"], 1);
    const result = await (await client()).transferLeader(to, { signal: io.signal });
    const line = `OK ${result.leaderId} leads in term ${result.term}\n`;
    await (json ? printJson(io, result) : io.out(line));
    return EXIT.ok;
  },
};
