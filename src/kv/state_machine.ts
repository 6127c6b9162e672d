/**
 * The replicated state machine: keys in UTF-8 byte order with their values
 * (bytes) and the Raft indexes that created and last changed them, the
 * leases and their keys, and the membership the applied log prefix defines.
 * Every node applies the same entries in the same order and ends in the
 * same state; each entry reports its outcome and the changes it made.
 *
 * @module
 */

import type { KvRecord } from "../api.ts";
import type { Entry, Membership } from "../raft/types.ts";
import {
  applyDelete,
  applyDeletePrefix,
  applyLeaseGrant,
  applyLeaseRevoke,
  applyPut,
  type KvState,
} from "./apply.ts";
import { applyTxn } from "./apply_txn.ts";
import { decodeCommand } from "./command.ts";
import type { Command } from "./command_types.ts";
import { compareUtf8 } from "./keys.ts";
import { type LeaseEntry, LeaseTable } from "./leases.ts";
import { RecordStore, type ScanOptions, type ScanPage } from "./record_store.ts";
import { type ApplyResult, NO_CHANGES, type StoredRecord } from "./results.ts";

import {
  decodeSnapshot,
  encodeSnapshot,
  type FrozenState,
  type SnapshotContent,
} from "./snapshot.ts";
import { recordView } from "./views.ts";

export type { ApplyResult } from "./results.ts";

function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`Invariant broken: ${message}`);
}

/** A lease with its attached keys, as the state machine holds it. */
export interface LeaseState {
  id: number;
  ttlMs: number;
  /** Attached keys in key order, at most the number asked for. */
  keys: string[];
  /** True when more keys are attached than listed. */
  more: boolean;
}

function execute(state: KvState, command: Command, index: number): ApplyResult {
  switch (command.kind) {
    case "put":
      return applyPut(state, command, index);
    case "delete":
      return applyDelete(state, command, index);
    case "deletePrefix":
      return applyDeletePrefix(state, command, index);
    case "txn":
      return applyTxn(state, command, index);
    case "leaseGrant":
      return applyLeaseGrant(state, command, index);
    case "leaseRevoke":
      return applyLeaseRevoke(state, command, index);
  }
}

/**
 * The key-value state machine.
 *
 * @example
 * ```ts
 * import { KvStateMachine } from "./state_machine.ts";
 * import { encodePut } from "./command.ts";
 * const machine = new KvStateMachine();
 * machine.apply({ index: 1, term: 1, type: "normal", data: encodePut("raft", "paxos") });
 * if (machine.get("raft")?.value !== "paxos") throw new Error();
 * const copy = new KvStateMachine();
 * copy.restore(machine.snapshot());
 * if (copy.get("raft")?.createIndex !== 1 || copy.appliedIndex !== 1) throw new Error();
 * ```
 */
export class KvStateMachine {
  #state: KvState = { store: new RecordStore(), leases: new LeaseTable() };
  #membership: Membership = [];
  #appliedIndex = 0;

  /** The index of the last entry applied (or restored from a snapshot). */
  get appliedIndex(): number {
    return this.#appliedIndex;
  }

  /** The membership as of {@link appliedIndex}. Do not mutate it. */
  get membership(): Membership {
    return this.#membership;
  }

  /** How many keys are stored. */
  get size(): number {
    return this.#state.store.size;
  }

  /** UTF-8 bytes of every key plus the bytes of every value: what the quota caps. */
  get dataBytes(): number {
    return this.#state.store.dataBytes;
  }

  /** How many leases exist (granted, not yet revoked). */
  get leaseCount(): number {
    return this.#state.leases.size;
  }

  #advance(index: number): void {
    assert(
      index === this.#appliedIndex + 1,
      `entry "${index}" applied after "${this.#appliedIndex}"`,
    );
    this.#appliedIndex = index;
  }

  /**
   * Applies one committed `normal` entry; entries must arrive in index order.
   * An entry whose command this code does not know throws
   * `UnknownCommandError` and changes nothing: the node must stop.
   */
  apply(entry: Entry): ApplyResult {
    assert(entry.type === "normal", `entry "${entry.index}" of type "${entry.type}" applied`);
    if (entry.data.length === 0) {
      this.#advance(entry.index);
      return { kind: "noop", index: entry.index, changes: NO_CHANGES };
    }
    const command = decodeCommand(entry.data);
    this.#advance(entry.index);
    return execute(this.#state, command, entry.index);
  }

  /** Applies a committed membership change: the `conf` entry at `index` defined `membership`. */
  setMembership(membership: Membership, index: number): void {
    this.#advance(index);
    this.#membership = membership.map((member) => ({ ...member }));
  }

  /** The record stored under `key`, as the JSON API shows it, or null. */
  get(key: string): KvRecord | null {
    const record = this.#state.store.get(key);
    return record === null ? null : recordView(record);
  }

  /** The record stored under `key` with its value as stored (text or bytes), or null. */
  read(key: string): StoredRecord | null {
    return this.#state.store.get(key);
  }

  /** One page of keys with a prefix at {@link appliedIndex}: a consistent cut. */
  scan(options: ScanOptions): ScanPage & { index: number } {
    return { ...this.#state.store.scan(options), index: this.#appliedIndex };
  }

  /** Lease `id` with up to `keysMax` of its keys, or null when it does not exist. */
  lease(id: number, keysMax: number): LeaseState | null {
    const leases = this.#state.leases;
    const ttlMs = leases.ttlOf(id);
    if (ttlMs === null) return null;
    const attached = [...leases.keysOf(id)!].sort(compareUtf8);
    return { id, ttlMs, keys: attached.slice(0, keysMax), more: attached.length > keysMax };
  }

  /** Every lease and its TTL, in id order (what a new leader starts its deadlines from). */
  leases(): LeaseEntry[] {
    return this.#state.leases.list();
  }

  /** Serializes the applied index, the membership, the leases and every key into one buffer. */
  snapshot(): Uint8Array {
    return encodeSnapshot(this.freeze());
  }

  /**
   * Freezes the current state for `encodeSnapshotPieces`, which may then
   * run while more entries apply. O(1) for the records (the tree copies
   * nodes on write from now on); the lease list is copied, O(leases).
   */
  freeze(): FrozenState {
    return {
      appliedIndex: this.#appliedIndex,
      membership: this.#membership,
      records: this.#state.store.freeze(),
      leases: this.#state.leases.list(),
    };
  }

  /**
   * Replaces the whole state with a snapshot's (either format version). The
   * bytes are validated first: on corruption this throws and the current
   * state is kept.
   */
  restore(bytes: Uint8Array): void {
    this.restoreContent(decodeSnapshot(bytes));
  }

  /** Replaces the whole state with a snapshot's that was already decoded (and so validated). */
  restoreContent(content: SnapshotContent): void {
    const store = new RecordStore(content.records);
    const leases = new LeaseTable();
    for (const lease of content.leases) leases.grant(lease.id, lease.ttlMs);
    for (const [key, lease] of store.leasedKeys()) leases.attach(key, lease);
    this.#state = { store, leases };
    this.#membership = content.membership;
    this.#appliedIndex = content.appliedIndex;
  }
}
