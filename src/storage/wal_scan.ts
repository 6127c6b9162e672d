/**
 * Reads the records of one WAL segment and decides what a damaged record
 * means. A crash mid-write can only leave damage after the last intact
 * record of the last segment: that tail is reported for cutting. Damage with
 * an intact record after it, or in an older segment, is corruption of data
 * that was once synced, and stops recovery.
 *
 * @module
 */

import { StorageError } from "./errors.ts";
import {
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

function describe(status: number): string {
  return status === RECORD_SHORT ? "record runs past the end of the file" : "checksum mismatch";
}

/**
 * Scans `bytes` (the segment `name`), visiting every intact record. When
 * `last` is false, any damage throws; when true, damage with no intact record
 * after it is returned as the tail to cut. Never visits a record that fails
 * its checksum.
 */
export function scanSegment(
  bytes: Uint8Array,
  options: { name: string; last: boolean },
  visit: RecordVisitor,
): SegmentScan {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.length;
  let offset = 0;
  while (offset < end) {
    const payloadBytes = recordAt(bytes, view, offset, end);
    if (payloadBytes === RECORD_SHORT || payloadBytes === RECORD_BAD) {
      const reason = describe(payloadBytes);
      const evidence = options.last ? intactRecordAfter(bytes, view, offset, end) : offset;
      if (evidence >= 0) {
        const after = options.last ? ` (an intact record follows at offset ${evidence})` : "";
        throw new StorageError(
          `Corrupt WAL record in "${options.name}" at offset ${offset}: ${reason}${after}`,
        );
      }
      return { validBytes: offset, tailReason: reason };
    }
    const record = decodeRecord(bytes, view, offset, payloadBytes);
    if (typeof record === "string") {
      throw new StorageError(
        `Corrupt WAL record in "${options.name}" at offset ${offset}: ${record}`,
      );
    }
    visit(record, offset);
    offset += RECORD_HEADER_BYTES + payloadBytes;
  }
  return { validBytes: end, tailReason: null };
}
