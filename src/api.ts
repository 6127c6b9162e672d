/**
 * What a running node offers the HTTP layer, and the errors it answers with.
 * The HTTP app maps each error class to one status code in one place.
 *
 * @module
 */

import type { NodeId, Role } from "./raft/types.ts";

/** How fresh a read must be. */
export type ReadLevel = "stale" | "default" | "consistent";

/** The read levels, in order from cheapest to strongest. */
export const READ_LEVELS: readonly ReadLevel[] = ["stale", "default", "consistent"];

/** A stored key with the Raft indexes that created and last changed it. */
export interface KvRecord {
  key: string;
  value: string;
  createIndex: number;
  modIndex: number;
}

/** A request to add a member. `id` may be `""` when only the Raft address is known. */
export interface JoinRequest {
  id: NodeId;
  raftAddr: string;
  /** `host:port` of the joining node's HTTP API, or `""` to learn it from the Raft handshake. */
  httpAddr: string;
}

/** One member as `/status` shows it. */
export interface MemberStatus {
  id: NodeId;
  voter: boolean;
  raftAddr: string;
  httpAddr: string;
  /** Highest index known replicated on the member (leader only; 0 elsewhere). */
  matchIndex: number;
  /** Milliseconds since the leader last heard from it (leader only; -1 when unknown). */
  lastContactMs: number;
}

/** A node's view of itself and the cluster. */
export interface NodeStatus {
  id: NodeId;
  clusterId: string;
  role: Role;
  term: number;
  leaderId: NodeId;
  leaderHttpAddr: string;
  commitIndex: number;
  appliedIndex: number;
  lastLogIndex: number;
  snapshotIndex: number;
  /**
   * Peer input refused or dropped since start: handshakes refused, frames
   * that broke the protocol, and messages from senders this node cannot
   * place or that no correct peer sends.
   */
  droppedPeerMessages: number;
  members: MemberStatus[];
  /**
   * Milliseconds since this node last heard from the leader: 0 on the
   * leader, -1 when no leader is known. `/readyz` refuses a node that has not
   * heard from its leader within an election timeout; when a node does not
   * report it, `/readyz` goes by `leaderId` alone.
   */
  leaderContactMs?: number;
}

/** The operations of one node, as the HTTP layer calls them. */
export interface KvApi {
  /** Reads `key` at `level`; null when the key does not exist. */
  get(key: string, level: ReadLevel): Promise<KvRecord | null>;
  /** Writes `key`; resolves once committed and applied. */
  put(key: string, value: string): Promise<{ index: number }>;
  /** Deletes `key`; resolves once committed and applied. */
  delete(key: string): Promise<{ deleted: boolean; index: number }>;
  /** Adds a member (as a learner, promoted once caught up); a no-op for an identical member. */
  join(request: JoinRequest): Promise<{ id: NodeId; index: number }>;
  /** Removes a member. */
  remove(id: NodeId): Promise<{ index: number }>;
  /** A snapshot of this node's state. */
  status(): NodeStatus;
}

/** This node is not the leader; `leaderHttpAddr` is the leader's HTTP address, or `""` when unknown. */
export class NotLeaderError extends Error {
  /** The leader's `host:port`, or `""`. */
  readonly leaderHttpAddr: string;
  /** @param leaderHttpAddr the leader's HTTP address, `""` when no leader is known */
  constructor(leaderHttpAddr: string) {
    super(
      leaderHttpAddr === ""
        ? "No leader is known"
        : `Not the leader; the leader is at "${leaderHttpAddr}"`,
    );
    this.name = "NotLeaderError";
    this.leaderHttpAddr = leaderHttpAddr;
  }
}

/** The cluster cannot answer now (no quorum, timeout, too many requests in flight): HTTP 503. */
export class UnavailableError extends Error {
  /**
   * True when the request was proposed and its fate is unknown (leadership
   * lost, a timeout): it may still take effect, so a blind retry could apply
   * it twice. False when it was never proposed and may be retried.
   */
  readonly indeterminate: boolean;
  /**
   * @param message what is unavailable, in sentence case
   * @param indeterminate whether a write may still take effect
   */
  constructor(message: string, indeterminate = false) {
    super(message);
    this.name = "UnavailableError";
    this.indeterminate = indeterminate;
  }
}

/** The request is well-formed but not acceptable (unknown member, conflicting join): HTTP 400. */
export class RejectedError extends Error {
  /** @param message why it was refused */
  constructor(message: string) {
    super(message);
    this.name = "RejectedError";
  }
}
