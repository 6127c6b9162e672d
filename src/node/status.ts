/**
 * A node's view of itself and the cluster, as `GET /status` shows it.
 *
 * @module
 */

import type { NodeStatus } from "../api.ts";
import { findMember } from "../raft/membership.ts";
import type { Driver } from "./driver.ts";

/** What a status needs besides the driver. */
export interface StatusParts {
  id: string;
  clusterId: string;
  heartbeatMs: number;
  /** Everything refused or dropped from peers. */
  droppedPeerMessages: number;
  /** Milliseconds since the leader was last heard from: 0 on the leader, -1 with none known. */
  leaderContactMs: number;
  /** The cap on keys plus values. */
  quotaBytes: number;
}

/**
 * The status of the node `driver` runs.
 *
 * @example
 * ```ts ignore
 * const status = nodeStatus(driver, { id: "n1", clusterId, heartbeatMs: 50, droppedPeerMessages: 0, leaderContactMs: 0 });
 * ```
 */
export function nodeStatus(driver: Driver, parts: StatusParts): NodeStatus {
  const core = driver.core;
  const state = core.state();
  const progress = new Map(core.progress().map((p) => [p.id, p]));
  const membership = core.currentMembership();
  const leader = findMember(membership, state.lead);
  return {
    id: parts.id,
    clusterId: parts.clusterId,
    role: state.role,
    term: state.term,
    leaderId: state.lead,
    leaderHttpAddr: leader?.httpAddr ?? "",
    commitIndex: core.log.committed,
    appliedIndex: driver.machine.appliedIndex,
    lastLogIndex: core.log.lastIndex(),
    snapshotIndex: core.snapshot()?.index ?? 0,
    droppedPeerMessages: parts.droppedPeerMessages,
    dataBytes: driver.machine.dataBytes,
    quotaBytes: parts.quotaBytes,
    leaderContactMs: parts.leaderContactMs,
    members: membership.map((m) => {
      const p = progress.get(m.id);
      return {
        id: m.id,
        voter: m.voter,
        raftAddr: m.raftAddr,
        httpAddr: m.httpAddr,
        matchIndex: p?.match ?? 0,
        lastContactMs: p === undefined ? -1 : (state.ticks - p.lastContactTick) * parts.heartbeatMs,
      };
    }),
  };
}
