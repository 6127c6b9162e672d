/**
 * The simulator's reference model of the data model: a plain, independent
 * account of what each command does (records in a map, leases with their
 * keys), applied to the committed log in index order. It keeps every
 * version of every key and the life of every lease, so that the checker can
 * ask what any key held, or whether a lease existed, at any index.
 *
 * @module
 */

import type { Command, Compare, TxnCommand, TxnOp } from "../../src/kv/command_types.ts";
import type { ApplyResult, Change, StoredRecord, TxnOpResult } from "../../src/kv/results.ts";
import type { Value } from "../../src/kv/value.ts";
import { compareKeys } from "../client/fake_store.ts";

/** An entry's outcome without its index and changes (the model adds them). */
type Outcome = ApplyResult extends infer R
  ? R extends unknown ? Omit<R, "index" | "changes"> : never
  : never;

/** A version of a key: its record from `index` on (null: absent). */
interface Version {
  index: number;
  record: StoredRecord | null;
}

/** A lease's life: granted at `granted`, gone from `revoked` on (Infinity while it lives). */
export interface LeaseLife {
  ttlMs: number;
  granted: number;
  revoked: number;
}

const encoder = new TextEncoder();

function sameBytes(a: Value, b: Value): boolean {
  const x = typeof a === "string" ? encoder.encode(a) : a;
  const y = typeof b === "string" ? encoder.encode(b) : b;
  return x.length === y.length && x.every((byte, i) => byte === y[i]);
}

/**
 * The model of the replicated state.
 *
 * @example
 * ```ts
 * import { DataModel } from "./dm_model.ts";
 * const model = new DataModel();
 * model.apply(1, { kind: "put", key: "k", value: "v", prevIndex: 0, lease: 0, ttlMs: 0, quotaBytes: 0 });
 * const second = model.apply(2, { kind: "delete", key: "k", prevIndex: 7 });
 * if (second.kind !== "refused" || model.recordAt("k", 2)?.value !== "v") throw new Error();
 * ```
 */
export class DataModel {
  readonly #records = new Map<string, StoredRecord>();
  readonly #leaseKeys = new Map<number, Set<string>>();
  readonly #versions = new Map<string, Version[]>();
  readonly #leases = new Map<number, LeaseLife>();
  #index = 0;

  /** The last index applied. */
  get index(): number {
    return this.#index;
  }

  /** Every lease ever granted, by id. */
  get leases(): ReadonlyMap<number, LeaseLife> {
    return this.#leases;
  }

  /** Leases that exist now. */
  liveLeases(): number[] {
    return [...this.#leaseKeys.keys()];
  }

  /** Applies the entry at `index`: a command, or null for an entry that carries none. */
  apply(index: number, command: Command | null): ApplyResult {
    if (index !== this.#index + 1) {
      throw new Error(`Model: entry "${index}" applied after "${this.#index}"`);
    }
    this.#index = index;
    if (command === null) return { kind: "noop", index, changes: [] };
    if ("quotaBytes" in command && command.quotaBytes > 0) {
      throw new Error(`Model: entry "${index}" has a quota, which the model does not keep`);
    }
    const changes: Change[] = [];
    const result = this.#execute(command, index, changes);
    return { ...result, index, changes } as ApplyResult;
  }

  /** What `key` held after the entry at `index` applied. */
  recordAt(key: string, index: number): StoredRecord | null {
    const versions = this.#versions.get(key);
    if (versions === undefined) return null;
    let low = 0;
    let high = versions.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (versions[middle]!.index <= index) low = middle + 1;
      else high = middle;
    }
    return low === 0 ? null : versions[low - 1]!.record;
  }

  /** The indexes after `index` (up to `through`) at which `key` changed. */
  changesOf(key: string, index: number, through: number): number[] {
    const versions = this.#versions.get(key) ?? [];
    return versions.filter((v) => v.index > index && v.index <= through).map((v) => v.index);
  }

  /** True when lease `id` existed after the entry at `index` applied. */
  leaseAliveAt(id: number, index: number): boolean {
    const life = this.#leases.get(id);
    return life !== undefined && life.granted <= index && index < life.revoked;
  }

  /** Keys with `prefix` after `after`, at most `limit`, as they were at `index`. */
  scanAt(
    request: { prefix: string; after: string; limit: number },
    index: number,
  ): { records: StoredRecord[]; more: boolean } {
    const keys = [...this.#versions.keys()]
      .filter((key) => key.startsWith(request.prefix))
      .filter((key) => request.after === "" || compareKeys(key, request.after) > 0)
      .sort(compareKeys);
    const records: StoredRecord[] = [];
    for (const key of keys) {
      const record = this.recordAt(key, index);
      if (record === null) continue;
      if (records.length === request.limit) return { records, more: true };
      records.push(record);
    }
    return { records, more: false };
  }

  #execute(command: Command, index: number, changes: Change[]): Outcome {
    switch (command.kind) {
      case "put": {
        const current = this.#records.get(command.key) ?? null;
        if (command.prevIndex >= 0 && (current?.modIndex ?? 0) !== command.prevIndex) {
          return precondition(command.key, current);
        }
        if (command.lease !== 0 && !this.#leaseKeys.has(command.lease)) {
          return { kind: "refused", refusal: { reason: "leaseNotFound", lease: command.lease } };
        }
        const granted = command.ttlMs > 0 ? { id: index, ttlMs: command.ttlMs } : null;
        if (granted !== null) this.#grant(index, command.ttlMs);
        this.#write(command.key, command.value, granted?.id ?? command.lease, changes);
        return { kind: "put", grantedLease: granted };
      }
      case "delete": {
        const current = this.#records.get(command.key) ?? null;
        if (command.prevIndex >= 0 && (current?.modIndex ?? 0) !== command.prevIndex) {
          return precondition(command.key, current);
        }
        if (current !== null) this.#remove(command.key, changes);
        return { kind: "delete", deleted: current !== null };
      }
      case "deletePrefix":
        return { kind: "deletePrefix", deleted: this.#removePrefix(command.prefix, changes) };
      case "txn":
        return this.#txn(command, changes);
      case "leaseGrant":
        this.#grant(index, command.ttlMs);
        return { kind: "leaseGrant", id: index, ttlMs: command.ttlMs };
      case "leaseRevoke": {
        const keys = this.#leaseKeys.get(command.id);
        if (keys === undefined) {
          return { kind: "refused", refusal: { reason: "leaseNotFound", lease: command.id } };
        }
        for (const key of [...keys].sort(compareKeys)) this.#remove(key, changes);
        this.#leaseKeys.delete(command.id);
        this.#leases.get(command.id)!.revoked = index;
        return { kind: "leaseRevoke", id: command.id, deleted: changes.length };
      }
    }
  }

  #txn(command: TxnCommand, changes: Change[]): Outcome {
    const succeeded = command.compare.every((compare) => this.#holds(compare));
    const ops = succeeded ? command.success : command.failure;
    // Leases change only through their own commands, so a missing one is missing throughout.
    const missing = ops.find((op) =>
      op.op === "put" && op.lease !== 0 && !this.#leaseKeys.has(op.lease)
    );
    if (missing !== undefined && missing.op === "put") {
      return { kind: "refused", refusal: { reason: "leaseNotFound", lease: missing.lease } };
    }
    const results = ops.map((op) => this.#txnOp(op, changes));
    return { kind: "txn", succeeded, results };
  }

  #holds(compare: Compare): boolean {
    const record = this.#records.get(compare.key) ?? null;
    if (compare.target === "modIndex") return (record?.modIndex ?? 0) === compare.modIndex;
    if (compare.target === "exists") return (record !== null) === compare.exists;
    return record !== null && sameBytes(record.value, compare.value);
  }

  #txnOp(op: TxnOp, changes: Change[]): TxnOpResult {
    switch (op.op) {
      case "put":
        this.#write(op.key, op.value, op.lease, changes);
        return { op: "put", key: op.key };
      case "delete": {
        const exists = this.#records.has(op.key);
        if (exists) this.#remove(op.key, changes);
        return { op: "delete", key: op.key, deleted: exists };
      }
      case "get":
        return { op: "get", key: op.key, record: this.#records.get(op.key) ?? null };
      case "deletePrefix":
        return {
          op: "deletePrefix",
          prefix: op.prefix,
          deleted: this.#removePrefix(op.prefix, changes),
        };
    }
  }

  #grant(id: number, ttlMs: number): void {
    this.#leaseKeys.set(id, new Set());
    this.#leases.set(id, { ttlMs, granted: id, revoked: Infinity });
  }

  #write(key: string, value: Value, lease: number, changes: Change[]): void {
    const prev = this.#records.get(key) ?? null;
    if (prev !== null && prev.lease !== 0) this.#leaseKeys.get(prev.lease)?.delete(key);
    const createIndex = prev?.createIndex ?? this.#index;
    const record = { key, value, createIndex, modIndex: this.#index, lease };
    this.#records.set(key, record);
    if (lease !== 0) this.#leaseKeys.get(lease)!.add(key);
    this.#version(key, record);
    changes.push({ type: "put", key, value, createIndex, modIndex: this.#index, lease, prev });
  }

  #remove(key: string, changes: Change[]): void {
    const prev = this.#records.get(key)!;
    if (prev.lease !== 0) this.#leaseKeys.get(prev.lease)?.delete(key);
    this.#records.delete(key);
    this.#version(key, null);
    changes.push({
      type: "delete",
      key,
      value: null,
      createIndex: prev.createIndex,
      modIndex: this.#index,
      lease: 0,
      prev,
    });
  }

  #removePrefix(prefix: string, changes: Change[]): number {
    const keys = [...this.#records.keys()].filter((key) => key.startsWith(prefix));
    for (const key of keys.sort(compareKeys)) this.#remove(key, changes);
    return keys.length;
  }

  #version(key: string, record: StoredRecord | null): void {
    let versions = this.#versions.get(key);
    if (versions === undefined) this.#versions.set(key, versions = []);
    const last = versions[versions.length - 1];
    if (last?.index === this.#index) last.record = record;
    else versions.push({ index: this.#index, record });
  }
}

function precondition(key: string, current: StoredRecord | null): Outcome {
  return { kind: "refused", refusal: { reason: "precondition", key, current } };
}
