/**
 * Builds the bytes of one WAL batch in a single reusable buffer, so a save
 * costs one allocation at most (when the buffer must grow) whatever the
 * number of entries. The format is described in `wal_record.ts`.
 *
 * @module
 */

import { setU64 } from "../bytes/u64.ts";
import type { Entry, HardState } from "../raft/types.ts";
import { crc32cUpdate } from "./crc32c.ts";
import {
  ENTRY_OVERHEAD_BYTES,
  RECORD_HEADER_BYTES,
  RecordType,
  VOTE_BYTES_MAX,
} from "./wal_record.ts";

const encoder = new TextEncoder();

/** Bytes of a hard state record, at most (the vote's UTF-8 length is bounded by 3 bytes per unit). */
export function hardStateRecordBytesMax(hardState: HardState): number {
  return RECORD_HEADER_BYTES + 17 + hardState.vote.length * 3;
}

/** Bytes of the record holding `entry`. */
export function entryRecordBytes(entry: Entry): number {
  return ENTRY_OVERHEAD_BYTES + entry.data.length;
}

/** Bytes of a commit, truncate or batch record. */
export const NUMBER_RECORD_BYTES = RECORD_HEADER_BYTES + 8;

/**
 * A growable buffer of WAL records. `reset()`, `reserve()` the batch size,
 * append records, then write `bytes()`.
 *
 * @example
 * ```ts
 * import { RecordEncoder } from "./wal_encoder.ts";
 * const encoder = new RecordEncoder();
 * encoder.entry({ index: 1, term: 1, type: "normal", data: new Uint8Array(100) });
 * if (encoder.bytes().length !== 125) throw new Error("a 100-byte entry is a 125-byte record");
 * ```
 */
export class RecordEncoder {
  #bytes: Uint8Array;
  #view: DataView;
  #length = 0;
  readonly #retainBytesMax: number;

  /** @param options.retainBytesMax capacity kept across batches; larger buffers are dropped on reset */
  constructor(options: { initialBytes?: number; retainBytesMax?: number } = {}) {
    this.#bytes = new Uint8Array(options.initialBytes ?? 64 * 1024);
    this.#view = new DataView(this.#bytes.buffer);
    this.#retainBytesMax = options.retainBytesMax ?? 8 * 1024 * 1024;
  }

  /** Bytes written since the last reset. */
  get length(): number {
    return this.#length;
  }

  /** Empties the buffer, releasing it when a past batch made it unusually large. */
  reset(): void {
    this.#length = 0;
    if (this.#bytes.length > this.#retainBytesMax) {
      this.#bytes = new Uint8Array(64 * 1024);
      this.#view = new DataView(this.#bytes.buffer);
    }
  }

  /** Makes room for `bytes` more bytes, growing once if needed. */
  reserve(bytes: number): void {
    const needed = this.#length + bytes;
    if (needed <= this.#bytes.length) return;
    const grown = new Uint8Array(Math.max(needed, this.#bytes.length * 2));
    grown.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = grown;
    this.#view = new DataView(grown.buffer);
  }

  /** The records written so far, as a view valid until the next call. */
  bytes(): Uint8Array {
    return this.#bytes.subarray(0, this.#length);
  }

  /** Appends an entry record. */
  entry(entry: Entry): void {
    const payloadBytes = 16 + entry.data.length;
    this.reserve(RECORD_HEADER_BYTES + payloadBytes);
    const at = this.#begin(entry.type === "conf" ? RecordType.entryConf : RecordType.entryNormal);
    this.#setU64(at, entry.index);
    this.#setU64(at + 8, entry.term);
    this.#bytes.set(entry.data, at + 16);
    this.#finish(payloadBytes);
  }

  /** Appends a full hard state record. */
  hardState(hardState: HardState): void {
    this.reserve(hardStateRecordBytesMax(hardState));
    const at = this.#begin(RecordType.hardState);
    this.#setU64(at, hardState.term);
    this.#setU64(at + 8, hardState.commit);
    const room = this.#bytes.subarray(at + 17, at + 17 + hardState.vote.length * 3);
    const { read, written } = encoder.encodeInto(hardState.vote, room);
    if (read !== hardState.vote.length || written > VOTE_BYTES_MAX) {
      throw new Error(`Vote "${hardState.vote}" is longer than ${VOTE_BYTES_MAX} bytes`);
    }
    this.#bytes[at + 16] = written;
    this.#finish(17 + written);
  }

  /** Appends a commit record (a hard state whose term and vote are unchanged). */
  commit(commit: number): void {
    this.#number(RecordType.commit, commit);
  }

  /**
   * Appends the batch record that starts every write; `offset` is where the
   * write will begin in its segment.
   */
  batch(offset: number): void {
    this.#number(RecordType.batch, offset);
  }

  /** Appends a truncate record: entries at or after `nextIndex` are discarded. */
  truncate(nextIndex: number): void {
    this.#number(RecordType.truncate, nextIndex);
  }

  /**
   * Appends the records that restart the log empty before `nextIndex` (after
   * installing a snapshot from another history): truncate everything, then
   * set the next index.
   */
  restart(nextIndex: number): void {
    this.truncate(1);
    this.truncate(nextIndex);
  }

  #number(type: number, value: number): void {
    this.reserve(NUMBER_RECORD_BYTES);
    const at = this.#begin(type);
    this.#setU64(at, value);
    this.#finish(8);
  }

  #begin(type: number): number {
    this.#bytes[this.#length + 8] = type;
    return this.#length + RECORD_HEADER_BYTES;
  }

  #finish(payloadBytes: number): void {
    const start = this.#length;
    this.#view.setUint32(start, payloadBytes, true);
    let crc = crc32cUpdate(0, this.#bytes, start, start + 4);
    crc = crc32cUpdate(crc, this.#bytes, start + 8, start + RECORD_HEADER_BYTES + payloadBytes);
    this.#view.setUint32(start + 4, crc, true);
    this.#length = start + RECORD_HEADER_BYTES + payloadBytes;
  }

  #setU64(at: number, value: number): void {
    setU64(this.#view, at, value);
  }
}
