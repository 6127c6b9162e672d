/**
 * What a running node offers the HTTP layer, and the errors it answers with.
 * The HTTP app maps each error class to one status code in one place.
 *
 * @module
 */

import type { Compare, TxnOp } from "./kv/command_types.ts";
import type { Change } from "./kv/results.ts";
import type { NodeId, Role } from "./raft/types.ts";

/** How fresh a read must be. */
export type ReadLevel = "stale" | "default" | "consistent";

/** The read levels, in order from cheapest to strongest. */
export const READ_LEVELS: readonly ReadLevel[] = ["stale", "default", "consistent"];

/** A stored key with the Raft indexes that created and last changed it. */
export interface KvRecord {
  key: string;
  /** The value's text; base64 of its bytes when `encoding` says so. */
  value: string;
  /** Present when the value's bytes are not valid UTF-8: `value` is then their base64. */
  encoding?: "base64";
  createIndex: number;
  modIndex: number;
  /** The lease the key is attached to; absent when none. */
  lease?: number;
}

/** A record with its value as bytes (the binary-safe `/kv/` path). */
export interface BytesRecord {
  key: string;
  value: Uint8Array;
  createIndex: number;
  modIndex: number;
  /** The lease the key is attached to; 0 for none. */
  lease: number;
}

/** A record from a scan that asked for keys only. */
export type KeyInfo = Omit<KvRecord, "value" | "encoding">;

/** Conditions and lease of a put; every field is optional. */
export interface PutOptions {
  /** The key's `modIndex` must equal this when the write applies; 0: the key must not exist. */
  prevIndex?: number;
  /** Attach the key to this lease. */
  lease?: number;
  /** Grant a lease of this TTL for this key alone (one log entry). */
  ttlMs?: number;
}

/** What a put did. */
export interface PutResult {
  index: number;
  /** True when the key did not exist before. */
  created: boolean;
  /** The lease granted for `ttlMs`; absent otherwise. */
  lease?: number;
}

/** A page of a prefix scan. */
export interface ScanRequest {
  prefix: string;
  /** Start after this key (exclusive); `""` to start at the prefix. */
  after: string;
  limit: number;
  keysOnly: boolean;
}

/** One page of a scan, read at applied index `index`. */
export interface ScanResult {
  items: (KvRecord | KeyInfo)[];
  /** True when more keys follow; pass `next` as `after` for them. */
  more: boolean;
  /** The last key returned (`""` when none). */
  next: string;
  index: number;
}

/** A transaction: if every comparison holds, `success` runs, else `failure`, as one entry. */
export interface TxnRequest {
  compare: Compare[];
  success: TxnOp[];
  failure: TxnOp[];
}

/** What one operation of a transaction did, as the API shows it. */
export type TxnOpOutcome =
  | { put: { key: string } }
  | { delete: { key: string; deleted: boolean } }
  | { get: { key: string; record: KvRecord | null } }
  | { deletePrefix: { prefix: string; deleted: number } };

/** The outcome of a transaction. */
export interface TxnResult {
  succeeded: boolean;
  results: TxnOpOutcome[];
  index: number;
}

/** A lease as the leader knows it. */
export interface LeaseInfo {
  id: number;
  /** Time left before the leader revokes it, in milliseconds. */
  ttlMs: number;
  /** The TTL it was granted with (what every keep-alive restores). */
  grantedTtlMs: number;
  /** Attached keys in key order (at most a bounded number; see `more`). */
  keys: string[];
  /** True when more keys are attached than listed. */
  more: boolean;
}

/** What to watch: one key or a prefix, from an index. */
export interface WatchRequest {
  /** Exactly one of `key` and `prefix` is set; `prefix: ""` watches every key. */
  key?: string;
  prefix?: string;
  /** Changes at this index and after; absent: changes after the current index. */
  fromIndex?: number;
  level: ReadLevel;
}

/** The changes one log entry made to the watched keys. */
export interface WatchEvent {
  type: "change";
  index: number;
  changes: readonly Change[];
}

/** Why a watch ended. */
export interface WatchEnd {
  type: "end";
  /** `slow`: it fell behind the history; `reset`: the node installed a snapshot; `closed`: stopped. */
  reason: "slow" | "reset" | "closed";
  message: string;
}

/** An open watch, read by the HTTP stream one item at a time. */
export interface WatchStream {
  /** The next item, or null when none is ready yet. */
  take(): WatchEvent | WatchEnd | null;
  /** Resolves when {@link take} has something (at once if it has). */
  ready(): Promise<void>;
  /** The index through which every change to the watched keys has been taken. */
  readonly progressIndex: number;
  /** Stops the watch; `take` then ends with `closed`. */
  close(): void;
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
  /** UTF-8 bytes of all keys plus values, when the node reports it. */
  dataBytes?: number;
  /** The `--quota-bytes` cap on `dataBytes` (0: none), when the node reports it. */
  quotaBytes?: number;
}

/**
 * A consistent copy of a node's state machine at its applied index, taken
 * without stopping writes: the bytes are made as they are read (the format
 * of `src/storage/backup_file.ts`).
 */
export interface Backup {
  /** The applied index the backup holds the state of. */
  index: number;
  /** The term of the entry at that index. */
  term: number;
  /** How many keys it holds. */
  keys: number;
  body: ReadableStream<Uint8Array>;
}

/** Where leadership went after a hand-off. */
export interface LeadershipMoved {
  leaderId: NodeId;
  term: number;
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

  // The data model. Optional until the driver provides them (`KvService`
  // implements them over a small driver port); a route whose operation is
  // missing answers 501.

  /** Puts a value (text or bytes) with conditions or a lease; throws the typed errors below. */
  putValue?(key: string, value: string | Uint8Array, options: PutOptions): Promise<PutResult>;
  /** Deletes `key` if `prevIndex` (when given) holds. */
  deleteValue?(
    key: string,
    options: { prevIndex?: number },
  ): Promise<{ deleted: boolean; index: number }>;
  /** Reads `key` with its value as bytes. */
  getValue?(key: string, level: ReadLevel): Promise<BytesRecord | null>;
  /** One page of keys with a prefix, in UTF-8 byte order. */
  scan?(request: ScanRequest, level: ReadLevel): Promise<ScanResult>;
  /** Deletes every key with `prefix` as one entry. */
  deletePrefix?(prefix: string): Promise<{ deleted: number; index: number }>;
  /** Runs a transaction as one entry. */
  txn?(request: TxnRequest): Promise<TxnResult>;
  /** Grants a lease (its id is the index of the grant entry). */
  leaseGrant?(ttlMs: number): Promise<{ id: number; ttlMs: number }>;
  /** Restarts the lease's TTL on the leader; answers the time left. */
  leaseKeepAlive?(id: number): Promise<{ id: number; ttlMs: number }>;
  /** The lease's TTL, time left and attached keys (on the leader). */
  leaseInfo?(id: number): Promise<LeaseInfo>;
  /** Revokes the lease and deletes every attached key, as one entry. */
  leaseRevoke?(id: number): Promise<{ id: number; deleted: number; index: number }>;
  /** Opens a watch; throws {@link CompactedError} when `fromIndex` is older than the history. */
  watch?(request: WatchRequest): Promise<WatchStream>;

  // Operations (a route whose operation is missing answers 501).

  /** A backup of this node's state machine at its applied index, leader or not. */
  backup?(): Backup;
  /**
   * Hands leadership to voter `to` (`""`: the most caught-up voter) and
   * resolves once another node leads; on the leader only.
   */
  handOffLeadership?(to: NodeId): Promise<LeadershipMoved>;
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

/** A `prevIndex` or compare did not hold when the write applied: HTTP 412 with the current record. */
export class PreconditionFailedError extends Error {
  /** The key's record when the write applied, or null when it did not exist. */
  readonly current: KvRecord | null;
  /**
   * @param key the key whose condition failed
   * @param current its record then
   */
  constructor(key: string, current: KvRecord | null) {
    super(
      current === null
        ? `Precondition failed: key "${key}" does not exist`
        : `Precondition failed: key "${key}" is at modIndex "${current.modIndex}"`,
    );
    this.name = "PreconditionFailedError";
    this.current = current;
  }
}

/** The write would take keys plus values past the quota: HTTP 507. */
export class QuotaExceededError extends Error {
  readonly dataBytes: number;
  readonly quotaBytes: number;
  /**
   * @param dataBytes the size of keys plus values when the write applied
   * @param quotaBytes the quota
   */
  constructor(dataBytes: number, quotaBytes: number) {
    super(
      `Quota exceeded: keys and values take "${dataBytes}" bytes and the write would pass ` +
        `the quota of "${quotaBytes}" bytes; delete keys to make room`,
    );
    this.name = "QuotaExceededError";
    this.dataBytes = dataBytes;
    this.quotaBytes = quotaBytes;
  }
}

/** No such lease (never granted, revoked or expired): HTTP 404. */
export class LeaseNotFoundError extends Error {
  readonly id: number;
  /** @param id the lease asked for */
  constructor(id: number) {
    super(`Lease "${id}" not found`);
    this.name = "LeaseNotFoundError";
    this.id = id;
  }
}

/** A watch asked for changes older than the history holds: HTTP 410 before streaming. */
export class CompactedError extends Error {
  /** The highest index the history can no longer serve. */
  readonly compactedIndex: number;
  /** The newest applied index. */
  readonly currentIndex: number;
  /**
   * @param fromIndex the index asked for
   * @param indexes the compacted and current index
   */
  constructor(fromIndex: number, indexes: { compactedIndex: number; currentIndex: number }) {
    super(
      `Cannot watch from index "${fromIndex}": changes up to index ` +
        `"${indexes.compactedIndex}" are no longer held; read the current state and watch from ` +
        `index "${indexes.currentIndex + 1}"`,
    );
    this.name = "CompactedError";
    this.compactedIndex = indexes.compactedIndex;
    this.currentIndex = indexes.currentIndex;
  }
}
