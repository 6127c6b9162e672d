/**
 * The state behind the fake cluster: records with Raft-like indexes, compare-and-swap,
 * prefix scans, transactions, leases with TTLs, and a history of changes for watches. It
 * follows the documented protocol of the key-value routes, applied at once on one "leader".
 *
 * @module
 */

import type { KvRecord } from "../../src/api.ts";
import type {
  Change,
  Compare,
  Page,
  TxnOp,
  TxnOpResult,
  TxnResult,
} from "../../src/client/types.ts";

/** A refused operation: the HTTP status and body the fake answers. */
export class FakeRefusal extends Error {
  readonly status: number;
  readonly body: Record<string, unknown>;
  constructor(status: number, body: Record<string, unknown>) {
    super(String(body.error));
    this.status = status;
    this.body = body;
  }
}

/** One applied entry that changed keys. */
export interface HistoryEntry {
  index: number;
  changes: Change[];
}

interface StoredLease {
  id: number;
  ttlMs: number;
  keys: Set<string>;
  timer: ReturnType<typeof setTimeout>;
}

const encoder = new TextEncoder();

/** Compares two keys in UTF-8 byte order, as the server sorts them. */
export function compareKeys(a: string, b: string): number {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i]! - y[i]!;
  }
  return x.length - y.length;
}

function notFound(what: string): FakeRefusal {
  return new FakeRefusal(404, { error: `${what} not found` });
}

/** Records, leases and history; every change goes through `#commit`. */
export class FakeStore {
  readonly records = new Map<string, KvRecord & { lease?: number }>();
  readonly leases = new Map<number, StoredLease>();
  readonly history: HistoryEntry[] = [];
  /** Applied index: every write, grant and revocation takes one. */
  index = 1;
  /** Called after each entry that changed keys. */
  onEntry: (entry: HistoryEntry) => void = () => {};

  get(key: string): KvRecord | null {
    const record = this.records.get(key);
    return record === undefined ? null : publicRecord(record);
  }

  put(key: string, value: string, prevIndex?: number, lease?: number): number {
    this.#expect(key, prevIndex);
    if (lease !== undefined && !this.leases.has(lease)) throw notFound(`Lease "${lease}"`);
    const index = ++this.index;
    this.#commit(index, [this.#put(index, key, value, lease)]);
    return index;
  }

  delete(key: string, prevIndex?: number): { deleted: boolean; index: number } {
    this.#expect(key, prevIndex);
    const index = ++this.index;
    const change = this.#delete(index, key);
    this.#commit(index, change === null ? [] : [change]);
    return { deleted: change !== null, index };
  }

  page(prefix: string, after: string | undefined, limit: number, keysOnly: boolean): Page {
    const keys = [...this.records.keys()]
      .filter((k) => k.startsWith(prefix) && (after === undefined || compareKeys(k, after) > 0))
      .sort(compareKeys);
    const items = keys.slice(0, limit).map((k) => {
      const record = publicRecord(this.records.get(k)!);
      return keysOnly ? { ...record, value: "" } : record;
    });
    const more = keys.length > limit;
    return { items, more, next: items.at(-1)?.key ?? "", index: this.index };
  }

  deletePrefix(prefix: string): { deleted: number; index: number } {
    const index = ++this.index;
    const changes = this.#deletePrefix(index, prefix);
    this.#commit(index, changes);
    return { deleted: changes.length, index };
  }

  txn(compare: Compare[], success: TxnOp[], failure: TxnOp[]): TxnResult {
    const succeeded = compare.every((c) => this.#holds(c));
    const index = ++this.index;
    const changes: Change[] = [];
    const results = (succeeded ? success : failure).map((op) => this.#op(index, op, changes));
    this.#commit(index, changes);
    return { succeeded, results, index };
  }

  grant(ttlMs: number): { id: number; ttlMs: number } {
    const id = ++this.index;
    const timer = setTimeout(() => this.revoke(id), ttlMs);
    this.leases.set(id, { id, ttlMs, keys: new Set(), timer });
    this.#commit(id, []);
    return { id, ttlMs };
  }

  keepAlive(id: number): { id: number; ttlMs: number } {
    const lease = this.leases.get(id);
    if (lease === undefined) throw notFound(`Lease "${id}"`);
    clearTimeout(lease.timer);
    lease.timer = setTimeout(() => this.revoke(id), lease.ttlMs);
    return { id, ttlMs: lease.ttlMs };
  }

  leaseInfo(id: number): { id: number; ttlMs: number; keys: string[] } {
    const lease = this.leases.get(id);
    if (lease === undefined) throw notFound(`Lease "${id}"`);
    return { id, ttlMs: lease.ttlMs, keys: [...lease.keys].sort(compareKeys) };
  }

  revoke(id: number): { id: number; index: number } {
    const lease = this.leases.get(id);
    if (lease === undefined) throw notFound(`Lease "${id}"`);
    clearTimeout(lease.timer);
    this.leases.delete(id);
    const index = ++this.index;
    const changes = [...lease.keys].map((key) => this.#delete(index, key))
      .filter((change): change is Change => change !== null);
    this.#commit(index, changes);
    return { id, index };
  }

  /** Stops every lease timer. */
  close(): void {
    for (const lease of this.leases.values()) clearTimeout(lease.timer);
  }

  #expect(key: string, prevIndex: number | undefined): void {
    if (prevIndex === undefined) return;
    const current = this.get(key);
    if ((current?.modIndex ?? 0) !== prevIndex) {
      throw new FakeRefusal(412, {
        error: `Key "${key}" is at index "${current?.modIndex ?? 0}", not "${prevIndex}"`,
        current,
      });
    }
  }

  #holds(c: Compare): boolean {
    const current = this.get(c.key);
    if (c.modIndex !== undefined) return (current?.modIndex ?? 0) === c.modIndex;
    if (c.value !== undefined) return current?.value === c.value;
    return (current !== null) === (c.exists ?? true);
  }

  #op(index: number, op: TxnOp, changes: Change[]): TxnOpResult {
    if ("put" in op) {
      changes.push(this.#put(index, op.put.key, op.put.value, op.put.lease));
      return { put: { key: op.put.key } };
    }
    if ("delete" in op) {
      const change = this.#delete(index, op.delete.key);
      if (change !== null) changes.push(change);
      return { delete: { key: op.delete.key, deleted: change !== null } };
    }
    if ("get" in op) return { get: { key: op.get.key, record: this.get(op.get.key) } };
    const deleted = this.#deletePrefix(index, op.deletePrefix.prefix);
    changes.push(...deleted);
    return { deletePrefix: { prefix: op.deletePrefix.prefix, deleted: deleted.length } };
  }

  #put(index: number, key: string, value: string, lease: number | undefined): Change {
    const old = this.records.get(key);
    if (old?.lease !== undefined) this.leases.get(old.lease)?.keys.delete(key);
    const createIndex = old?.createIndex ?? index;
    this.records.set(key, { key, value, createIndex, modIndex: index, ...lease ? { lease } : {} });
    if (lease !== undefined) this.leases.get(lease)?.keys.add(key);
    const change: Change = { type: "put", key, value, createIndex, modIndex: index };
    return old === undefined ? change : { ...change, prev: publicRecord(old) };
  }

  #delete(index: number, key: string): Change | null {
    const old = this.records.get(key);
    if (old === undefined) return null;
    this.records.delete(key);
    if (old.lease !== undefined) this.leases.get(old.lease)?.keys.delete(key);
    return { type: "delete", key, modIndex: index, prev: publicRecord(old) };
  }

  #deletePrefix(index: number, prefix: string): Change[] {
    const keys = [...this.records.keys()].filter((k) => k.startsWith(prefix)).sort(compareKeys);
    return keys.map((key) => this.#delete(index, key)!);
  }

  #commit(index: number, changes: Change[]): void {
    if (changes.length === 0) return;
    const entry = { index, changes };
    this.history.push(entry);
    this.onEntry(entry);
  }
}

function publicRecord(record: KvRecord): KvRecord {
  const { key, value, createIndex, modIndex } = record;
  return { key, value, createIndex, modIndex };
}
