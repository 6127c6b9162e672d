/**
 * What applying an entry produces: its outcome for the request that
 * proposed it, and the list of changes it made, in order, for watchers.
 *
 * @module
 */

import type { LeaseEntry } from "./leases.ts";
import type { Value } from "./value.ts";

/** A stored key with the Raft indexes that created and last changed it. */
export interface StoredRecord {
  key: string;
  value: Value;
  createIndex: number;
  modIndex: number;
  /** The lease the key is attached to; 0 for none. */
  lease: number;
}

/** One key changed by an entry: its new record (or its deletion) and the record before. */
export interface Change {
  type: "put" | "delete";
  key: string;
  /** The new value; null for a delete. */
  value: Value | null;
  /** The record's create index; for a delete, that of the record deleted. */
  createIndex: number;
  /** The index of the entry that made the change. */
  modIndex: number;
  /** The new record's lease (0 for none or for a delete). */
  lease: number;
  /** The record before the change, or null when the key did not exist. */
  prev: StoredRecord | null;
}

/** What one operation of a transaction did. */
export type TxnOpResult =
  | { op: "put"; key: string }
  | { op: "delete"; key: string; deleted: boolean }
  | { op: "get"; key: string; record: StoredRecord | null }
  | { op: "deletePrefix"; prefix: string; deleted: number };

/** Why an entry changed nothing; every node decides the same from the same state. */
export type Refusal =
  /** A `prevIndex` or comparison did not hold; `current` is the key's record then. */
  | { reason: "precondition"; key: string; current: StoredRecord | null }
  /** The write would have taken keys plus values past `quotaBytes` (from `dataBytes`). */
  | { reason: "quota"; dataBytes: number; quotaBytes: number }
  /** The write named a lease that does not exist (never granted, revoked or expired). */
  | { reason: "leaseNotFound"; lease: number };

/**
 * The outcome of applying one entry: its kind, its `index` and the
 * `changes` it made. The state machine always fills `changes` (and a put's
 * `grantedLease`); they are optional so that an outcome made elsewhere (a
 * membership change's no-op) may leave them out: read `changes ?? []`.
 */
export type ApplyResult =
  & { index: number; changes?: readonly Change[] }
  & (
    /** An empty entry (the leader's no-op) or a membership change. */
    | { kind: "noop" }
    /** `grantedLease` is the lease the put granted with `ttlMs`, or null. */
    | { kind: "put"; grantedLease?: LeaseEntry | null }
    /** `deleted` is false when the key did not exist. */
    | { kind: "delete"; deleted: boolean }
    | { kind: "deletePrefix"; deleted: number }
    | { kind: "txn"; succeeded: boolean; results: TxnOpResult[] }
    | { kind: "leaseGrant"; id: number; ttlMs: number }
    | { kind: "leaseRevoke"; id: number; deleted: number }
    | { kind: "refused"; refusal: Refusal }
  );

/** The change list of an entry that changed nothing. */
export const NO_CHANGES: readonly Change[] = Object.freeze([]);
