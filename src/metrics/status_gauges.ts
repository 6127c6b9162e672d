/**
 * The gauges read from the node's status when scraped: leader known, leader
 * here, term, commit and applied indexes (also as etcd's
 * `proposals_committed_total` and `proposals_applied_total`), the snapshot
 * index, the peer input dropped and, on the leader, every follower's match
 * index.
 *
 * @module
 */

import type { NodeStatus } from "../api.ts";
import type { Registry } from "./registry.ts";

/** Where the status gauges read from: the last status observed, or null before any. */
export interface StatusSource {
  latest: NodeStatus | null;
}

function read(
  source: StatusSource,
  pick: (status: NodeStatus) => number,
): () => number | undefined {
  return () => source.latest === null ? undefined : pick(source.latest);
}

/** Name, help, type and the status field of each single-valued status metric. */
const STATUS_METRICS: readonly [string, string, "counter" | "gauge", (s: NodeStatus) => number][] =
  [
    [
      "rafter_server_has_leader",
      "Whether a leader is known to this member (1) or not (0).",
      "gauge",
      (s) => s.leaderId === "" ? 0 : 1,
    ],
    [
      "rafter_server_is_leader",
      "Whether this member is the leader (1) or not (0).",
      "gauge",
      (s) => s.role === "leader" ? 1 : 0,
    ],
    [
      "rafter_server_proposals_committed_total",
      "The total number of consensus proposals committed (the commit index, as etcd reports it).",
      "counter",
      (s) => s.commitIndex,
    ],
    [
      "rafter_server_proposals_applied_total",
      "The total number of consensus proposals applied (the applied index, as etcd reports it).",
      "counter",
      (s) => s.appliedIndex,
    ],
    [
      "rafter_snapshot_last_index",
      "Log index of the newest snapshot.",
      "gauge",
      (s) => s.snapshotIndex,
    ],
    ["rafter_raft_term", "The current Raft term.", "gauge", (s) => s.term],
    [
      "rafter_raft_commit_index",
      "The highest log index known committed.",
      "gauge",
      (s) => s.commitIndex,
    ],
    [
      "rafter_network_peer_dropped_messages_total",
      "Peer input refused or dropped: handshakes refused, frames that broke the protocol, messages no correct peer sends.",
      "counter",
      (s) => s.droppedPeerMessages,
    ],
    [
      "rafter_raft_applied_index",
      "The highest log index applied to the state machine.",
      "gauge",
      (s) => s.appliedIndex,
    ],
  ];

/**
 * Registers the status-derived gauges on `registry`, reading `source.latest`.
 *
 * @example
 * ```ts
 * import { Registry } from "./registry.ts";
 * import { registerStatusGauges, type StatusSource } from "./status_gauges.ts";
 * import type { NodeStatus } from "../api.ts";
 * const registry = new Registry();
 * const source: StatusSource = { latest: null };
 * registerStatusGauges(registry, source);
 * source.latest = { id: "n1", role: "leader", leaderId: "n1", term: 4, members: [] } as unknown as NodeStatus;
 * if (!registry.render().includes("rafter_raft_term 4\n")) throw new Error();
 * ```
 */
export function registerStatusGauges(registry: Registry, source: StatusSource): void {
  for (const [name, help, type, pick] of STATUS_METRICS) {
    registry.sampled(name, help, type, read(source, pick));
  }
  registry.sampledFamily(
    "rafter_raft_follower_match_index",
    "Highest log index known replicated on each other member (on the leader only).",
    ["peer"],
    function* () {
      const status = source.latest;
      if (status === null || status.role !== "leader") return;
      for (const member of status.members) {
        if (member.id !== status.id) yield [[member.id], member.matchIndex] as const;
      }
    },
  );
}
