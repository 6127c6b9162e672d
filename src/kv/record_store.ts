/**
 * The records of the state machine: the ordered tree, the snapshot bytes
 * that values restored from it still live in, and the running size of keys
 * plus values that the quota is checked against.
 *
 * @module
 */

import { type FrozenTree, RecordTree, type Row } from "./btree.ts";
import { TreeCursor } from "./btree_cursor.ts";
import type { BuiltTree, Slot } from "./btree_nodes.ts";
import { compareUtf8 } from "./keys.ts";
import type { StoredRecord } from "./results.ts";
import { lazyValue } from "./snapshot_parts.ts";
import { decodeUtf8 } from "../bytes/utf8.ts";
import { utf8Length, type Value } from "./value.ts";

/** A record from a scan; `value` is null when only keys were asked for. */
export type ScannedRecord = Omit<StoredRecord, "value"> & { value: Value | null };

/** What to scan: keys starting with `prefix`, after `after` (exclusive), at most `limit`. */
export interface ScanOptions {
  prefix: string;
  /** Start after this key; `""` to start at the prefix. */
  after: string;
  limit: number;
  keysOnly: boolean;
}

/** One page of a scan. */
export interface ScanPage {
  records: ScannedRecord[];
  /** True when more keys with the prefix follow the last one returned. */
  more: boolean;
}

/** The records as they were when frozen, with what encoding them needs. */
export interface FrozenRecords extends FrozenTree {
  source: Uint8Array | null;
  dataBytes: number;
}

/** Restored content: a built tree and the snapshot its numeric slots point into. */
export interface RestoredRecords {
  tree: BuiltTree;
  source: Uint8Array | null;
  dataBytes: number;
}

function lazyBytes(slot: number, source: Uint8Array | null): Uint8Array {
  if (source === null) throw new Error("Invariant broken: an undecoded value without its snapshot");
  return lazyValue(source, slot);
}

/** The value a slot stands for (text when valid UTF-8); a lazy slot is read from `source`. */
export function slotValue(slot: Slot, source: Uint8Array | null): Value {
  if (typeof slot !== "number") return slot;
  const bytes = lazyBytes(slot, source);
  return decodeUtf8(bytes) ?? bytes;
}

function slotBytes(slot: Slot, source: Uint8Array | null): number {
  if (typeof slot === "string") return utf8Length(slot);
  return typeof slot === "number" ? lazyBytes(slot, source).length : slot.length;
}

/**
 * The record map with its byte count.
 *
 * @example
 * ```ts
 * import { RecordStore } from "./record_store.ts";
 * const store = new RecordStore();
 * store.set("k", { value: "vv", createIndex: 1, modIndex: 1, lease: 0 }, { previous: null });
 * if (store.dataBytes !== 3 || store.get("k")?.value !== "vv") throw new Error();
 * ```
 */
export class RecordStore {
  readonly #tree: RecordTree;
  readonly #source: Uint8Array | null;
  #dataBytes: number;

  /** @param restored content restored from a snapshot (empty when absent) */
  constructor(restored?: RestoredRecords) {
    this.#tree = new RecordTree(restored?.tree);
    this.#source = restored?.source ?? null;
    this.#dataBytes = restored?.dataBytes ?? 0;
  }

  /** How many keys are stored. */
  get size(): number {
    return this.#tree.size;
  }

  /** UTF-8 bytes of every key plus the bytes of every value. */
  get dataBytes(): number {
    return this.#dataBytes;
  }

  /**
   * The record under `key`, or null. Its `key` is the string the tree holds,
   * so a change that keeps it keeps no second copy of the key alive.
   */
  get(key: string): StoredRecord | null {
    const at = this.#tree.find(key);
    if (at === null) return null;
    const { leaf, index } = at;
    return {
      key: leaf.keys[index]!,
      value: slotValue(leaf.values[index]!, this.#source),
      createIndex: leaf.createIndexes[index]!,
      modIndex: leaf.modIndexes[index]!,
      lease: leaf.leaseAt(index),
    };
  }

  /** Byte size a record of `key` with `value` counts for. */
  sizeOf(key: string, value: Value): number {
    return utf8Length(key) + this.valueSize(value);
  }

  /** Byte size `value` counts for, without its key. */
  valueSize(value: Value): number {
    return slotBytes(value, this.#source);
  }

  /**
   * Inserts or replaces the record under `key`; `previous` is what it
   * replaces (or null). `growthBytes`, when the caller has it, is the change
   * in size ({@link sizeOf} the new record minus the previous one's).
   */
  set(
    key: string,
    row: Row & { value: Value },
    change: { previous: StoredRecord | null; growthBytes?: number },
  ): void {
    const previous = change.previous;
    const growth = change.growthBytes ??
      this.sizeOf(key, row.value) - (previous === null ? 0 : this.sizeOf(key, previous.value));
    this.#tree.set(key, row);
    this.#dataBytes += growth;
  }

  /** Removes `previous`, the record under its key. */
  delete(previous: StoredRecord): void {
    if (this.#tree.delete(previous.key)) {
      this.#dataBytes -= this.sizeOf(previous.key, previous.value);
    }
  }

  /** One page of keys in UTF-8 byte order; a consistent cut since it reads synchronously. */
  scan(options: ScanOptions): ScanPage {
    const { prefix, after, limit } = options;
    const cursor = after !== "" && compareUtf8(after, prefix) >= 0
      ? TreeCursor.after(this.#tree.root, after)
      : TreeCursor.atOrAfter(this.#tree.root, prefix);
    const records: ScannedRecord[] = [];
    for (; cursor.valid && cursor.key.startsWith(prefix); cursor.next()) {
      if (records.length === limit) return { records, more: true };
      const { leaf, index } = cursor;
      records.push({
        key: cursor.key,
        value: options.keysOnly ? null : slotValue(leaf.values[index]!, this.#source),
        createIndex: leaf.createIndexes[index]!,
        modIndex: leaf.modIndexes[index]!,
        lease: leaf.leaseAt(index),
      });
    }
    return { records, more: false };
  }

  /** Every record whose key starts with `prefix`, in key order. */
  withPrefix(prefix: string): StoredRecord[] {
    const page = this.scan({ prefix, after: "", limit: Infinity, keysOnly: false });
    return page.records as StoredRecord[];
  }

  /** Every key attached to a lease, with the lease, in key order (leaves without leases skipped). */
  *leasedKeys(): Generator<[string, number]> {
    for (const cursor = TreeCursor.first(this.#tree.root); cursor.valid; cursor.nextLeaf()) {
      const leaf = cursor.leaf;
      if (leaf.leases === null) continue;
      for (let i = 0; i < leaf.keys.length; i++) {
        if (leaf.leases[i] !== 0) yield [leaf.keys[i]!, leaf.leases[i]!];
      }
    }
  }

  /** A frozen view for encoding a snapshot while writes go on. */
  freeze(): FrozenRecords {
    return { ...this.#tree.freeze(), source: this.#source, dataBytes: this.#dataBytes };
  }
}
