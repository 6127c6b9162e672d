/**
 * Reads the records of one WAL segment and decides what a damaged record
 * means. A crash mid-write can only damage the last write of the last
 * segment, and every write starts with a batch record: damage with no intact
 * batch record after it lies in that last, unacknowledged write and is
 * reported for cutting, even when the disk kept some later records of the
 * same write (sectors persisted out of order). Damage followed by an intact
 * batch record, or in an older segment, is corruption of data that was once
 * synced, and stops recovery. A segment written before batch records existed
 * falls back to the older rule: any intact record after the damage refuses.
 *
 * @module
 */

import { StorageError } from "./errors.ts";
import {
  batchRecordAt,
  decodeRecord,
  RECORD_BAD,
  RECORD_HEADER_BYTES,
  RECORD_SHORT,
  recordAt,
  recordWithLength,
  type WalRecord,
} from "./wal_record.ts";

/** What a scan found besides the records it handed over. */
export interface SegmentScan {
  /** Bytes up to the end of the last intact record. */
  validBytes: number;
  /** Why the bytes after `validBytes` were rejected, or null when there are none. */
  tailReason: string | null;
}

/** Called for each intact record in order; may throw a {@link StorageError} naming `offset`. */
export type RecordVisitor = (record: WalRecord, offset: number) => void;

/**
 * Evidence that the damaged record at `offset` is not a torn tail: the offset
 * of an intact record after it, or -1. Two readings are tried: the stored
 * length (damage in checksum, type or payload) and every single-bit change of
 * the length (damage in the length field itself).
 */
export function intactRecordAfter(
  bytes: Uint8Array,
  view: DataView,
  offset: number,
  end: number,
): number {
  if (end - offset < RECORD_HEADER_BYTES) return -1;
  const stored = view.getUint32(offset, true);
  for (let bit = 0; bit < 32; bit++) {
    const length = (stored ^ (1 << bit)) >>> 0;
    if (recordWithLength(bytes, view, offset, end, length) < 0) continue;
    const next = offset + RECORD_HEADER_BYTES + length;
    if (next < end) return next;
  }
  let at = offset;
  // Walk the chain of stored lengths; each step moves forward at least one header.
  while (end - at >= RECORD_HEADER_BYTES) {
    const length = view.getUint32(at, true);
    const next = at + RECORD_HEADER_BYTES + length;
    if (next > end) return -1;
    if (recordAt(bytes, view, next, end) >= 0) return next;
    at = next;
  }
  return -1;
}

/**
 * The offset of the first intact batch record after `offset`, or -1.
 *
 * @example
 * ```ts
 * import { batchRecordAfter } from "./wal_scan.ts";
 * import { RecordEncoder } from "./wal_encoder.ts";
 * const encoder = new RecordEncoder();
 * encoder.batch(0);
 * encoder.commit(1);
 * encoder.batch(34);
 * const bytes = encoder.bytes();
 * const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
 * if (batchRecordAfter(bytes, view, 0, bytes.length) !== 34) throw new Error("missed it");
 * ```
 */
export function batchRecordAfter(
  bytes: Uint8Array,
  view: DataView,
  offset: number,
  end: number,
): number {
  for (let at = offset + 1; at < end; at++) {
    if (batchRecordAt(bytes, view, at, end)) return at;
  }
  return -1;
}

function describe(status: number): string {
  return status === RECORD_SHORT ? "record runs past the end of the file" : "checksum mismatch";
}

/**
 * Scans `bytes` (the segment `name`), visiting every intact record. When
 * `last` is false, any damage throws; when true, damage in the last write is
 * returned as the tail to cut (see the module documentation). Never visits a
 * record that fails its checksum.
 */
export function scanSegment(
  bytes: Uint8Array,
  options: { name: string; last: boolean },
  visit: RecordVisitor,
): SegmentScan {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.length;
  let offset = 0;
  /** A batch record was seen: the segment is written batch by batch. */
  let batched = false;
  while (offset < end) {
    const payloadBytes = recordAt(bytes, view, offset, end);
    if (payloadBytes === RECORD_SHORT || payloadBytes === RECORD_BAD) {
      const reason = describe(payloadBytes);
      if (!options.last) throw corrupt(options.name, offset, reason);
      const evidence = batched
        ? batchRecordAfter(bytes, view, offset, end)
        : intactRecordAfter(bytes, view, offset, end);
      if (evidence >= 0) {
        const follows = `an intact ${batched ? "batch " : ""}record follows at offset ${evidence}`;
        throw corrupt(options.name, offset, `${reason} (${follows})`);
      }
      return { validBytes: offset, tailReason: reason };
    }
    const record = decodeRecord(bytes, view, offset, payloadBytes);
    if (typeof record === "string") throw corrupt(options.name, offset, record);
    if (record.kind === "batch") {
      if (record.offset !== offset) {
        throw corrupt(options.name, offset, `batch record names offset "${record.offset}"`);
      }
      batched = true;
    }
    visit(record, offset);
    offset += RECORD_HEADER_BYTES + payloadBytes;
  }
  return { validBytes: end, tailReason: null };
}

function corrupt(name: string, offset: number, reason: string): StorageError {
  return new StorageError(`Corrupt WAL record in "${name}" at offset ${offset}: ${reason}`);
}
