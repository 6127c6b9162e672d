/**
 * The replicated state machine: a map from key to value with the Raft
 * indexes that created and last changed each key, plus the membership the
 * applied log prefix defines. Every node applies the same entries in the
 * same order and ends in the same state.
 *
 * @module
 */

import type { KvRecord } from "../api.ts";
import type { Entry, Membership } from "../raft/types.ts";
import { decodeCommand } from "./command.ts";
import {
  decodeSnapshot,
  encodeSnapshot,
  freeze,
  type FrozenState,
  type SnapshotContent,
  type StoredValue,
  valueOf,
} from "./snapshot.ts";

/** What applying one `normal` entry did. */
export type ApplyResult =
  /** The entry was empty: the leader's no-op. */
  | { kind: "noop"; index: number }
  | { kind: "put"; index: number }
  /** `deleted` is false when the key did not exist. */
  | { kind: "delete"; deleted: boolean; index: number };

function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`Invariant broken: ${message}`);
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
  #records = new Map<string, StoredValue>();
  #membership: Membership = [];
  #appliedIndex = 0;
  /** The restored snapshot whose bytes undecoded values still point into. */
  #source: Uint8Array | null = null;

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
    return this.#records.size;
  }

  #advance(index: number): void {
    assert(
      index === this.#appliedIndex + 1,
      `entry "${index}" applied after "${this.#appliedIndex}"`,
    );
    this.#appliedIndex = index;
  }

  /** Applies one committed `normal` entry; entries must arrive in index order. */
  apply(entry: Entry): ApplyResult {
    assert(entry.type === "normal", `entry "${entry.index}" of type "${entry.type}" applied`);
    if (entry.data.length === 0) {
      this.#advance(entry.index);
      return { kind: "noop", index: entry.index };
    }
    // A command that does not decode was never produced by this code: a bug, not input.
    const command = decodeCommand(entry.data);
    this.#advance(entry.index);
    const index = entry.index;
    if (command.kind === "delete") {
      return { kind: "delete", deleted: this.#records.delete(command.key), index };
    }
    const stored = this.#records.get(command.key);
    if (stored === undefined) {
      this.#records.set(command.key, {
        value: command.value,
        at: 0,
        length: 0,
        createIndex: index,
        modIndex: index,
      });
    } else {
      // Replaced, never changed in place: a frozen snapshot may still hold the old record.
      this.#records.set(command.key, {
        value: command.value,
        at: 0,
        length: 0,
        createIndex: stored.createIndex,
        modIndex: index,
      });
    }
    return { kind: "put", index };
  }

  /** Applies a committed membership change: the `conf` entry at `index` defined `membership`. */
  setMembership(membership: Membership, index: number): void {
    this.#advance(index);
    this.#membership = membership.map((member) => ({ ...member }));
  }

  /** The record stored under `key`, or null. */
  get(key: string): KvRecord | null {
    const stored = this.#records.get(key);
    if (stored === undefined) return null;
    const value = valueOf(stored, this.#source);
    return { key, value, createIndex: stored.createIndex, modIndex: stored.modIndex };
  }

  /** Serializes the applied index, the membership and every key into one buffer. */
  snapshot(): Uint8Array {
    return encodeSnapshot({
      appliedIndex: this.#appliedIndex,
      membership: this.#membership,
      records: this.#records,
      source: this.#source,
    });
  }

  /**
   * Freezes the current state for {@link encodeSnapshotInSlices}, which may
   * then run while more entries apply.
   */
  freeze(): FrozenState {
    return freeze({
      appliedIndex: this.#appliedIndex,
      membership: this.#membership,
      records: this.#records,
      source: this.#source,
    });
  }

  /**
   * Replaces the whole state with a snapshot's. The bytes are validated
   * first: on corruption this throws and the current state is kept.
   */
  restore(bytes: Uint8Array): void {
    this.restoreContent(decodeSnapshot(bytes));
  }

  /** Replaces the whole state with a snapshot's that was already decoded (and so validated). */
  restoreContent(content: SnapshotContent): void {
    this.#records = content.records;
    this.#source = content.source;
    this.#membership = content.membership;
    this.#appliedIndex = content.appliedIndex;
  }
}
