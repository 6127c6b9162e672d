/**
 * The WAL record format, byte by byte (all integers little-endian):
 *
 * ```
 * [length u32][crc32c u32][type u8][payload: length bytes]
 * ```
 *
 * `length` counts the payload only; the checksum covers the length field, the
 * type and the payload, so a record is either intact or rejected. Payloads:
 *
 * | type | name | payload |
 * |---|---|---|
 * | 1 | entry (normal) | index u64, term u64, data |
 * | 2 | entry (conf) | index u64, term u64, data |
 * | 3 | hard state | term u64, commit u64, vote length u8, vote UTF-8 |
 * | 4 | commit | commit u64 (hard state with only the commit index changed) |
 * | 5 | truncate | next index u64: entries at or after it are discarded |
 * | 6 | batch | its own offset in the segment u64 |
 *
 * Every write (one batch, synced before the next is written) starts with a
 * batch record. An intact batch record after a damaged one proves that the
 * damaged batch was synced, and so possibly acknowledged, before the later
 * batch was written: that is corruption, never a torn write. The offset in
 * the payload keeps a batch record copied into entry data from counting.
 *
 * A truncate record also sets the index the next entry must have; when that
 * leaves a gap after the remaining entries, they are discarded too. Two
 * truncate records, `1` then `i + 1`, restart the log empty after a snapshot
 * at `i` installed from another history.
 *
 * A u64 is stored as two u32 halves (low first) and must stay below 2^53.
 *
 * @module
 */

import { getU64 } from "../bytes/u64.ts";
import type { Entry, HardState } from "../raft/types.ts";
import { crc32cUpdate } from "./crc32c.ts";

/** Bytes before the payload: length, checksum and type. */
export const RECORD_HEADER_BYTES = 9;
/** The largest payload a record may carry; anything larger is treated as corruption. */
export const RECORD_PAYLOAD_BYTES_MAX = 64 * 1024 * 1024;
/** The largest entry data a record can hold. */
export const ENTRY_DATA_BYTES_MAX = RECORD_PAYLOAD_BYTES_MAX - 16;
/** Bytes an entry record adds to the entry's data. */
export const ENTRY_OVERHEAD_BYTES = RECORD_HEADER_BYTES + 16;
/** The longest vote (node id) a hard state record can hold, in UTF-8 bytes. */
export const VOTE_BYTES_MAX = 255;

/** Record type codes (the `type` byte). */
export const RecordType = {
  entryNormal: 1,
  entryConf: 2,
  hardState: 3,
  commit: 4,
  truncate: 5,
  batch: 6,
} as const;

/** {@link recordAt}: the record runs past the end of the bytes (a torn write, or a bad length). */
export const RECORD_SHORT = -1;
/** {@link recordAt}: the record fits but fails its checksum or bounds. */
export const RECORD_BAD = -2;

const decoder = new TextDecoder("utf-8", { fatal: true });

/** One decoded WAL record. */
export type WalRecord =
  | { kind: "entry"; entry: Entry }
  | { kind: "hardState"; hardState: HardState }
  | { kind: "commit"; commit: number }
  | { kind: "truncate"; nextIndex: number }
  | { kind: "batch"; offset: number };

function checksum(bytes: Uint8Array, offset: number, payloadBytes: number): number {
  const crc = crc32cUpdate(0, bytes, offset, offset + 4);
  return crc32cUpdate(crc, bytes, offset + 8, offset + RECORD_HEADER_BYTES + payloadBytes);
}

/**
 * Checks the record at `offset` (header at most `end`), trusting its length
 * field. Returns the payload length when the record is intact,
 * {@link RECORD_SHORT} when it runs past `end`, {@link RECORD_BAD} otherwise.
 */
export function recordAt(bytes: Uint8Array, view: DataView, offset: number, end: number): number {
  if (end - offset < RECORD_HEADER_BYTES) return RECORD_SHORT;
  const payloadBytes = view.getUint32(offset, true);
  return recordWithLength(bytes, view, offset, end, payloadBytes);
}

/** Like {@link recordAt}, but with `payloadBytes` in place of the stored length field. */
export function recordWithLength(
  bytes: Uint8Array,
  view: DataView,
  offset: number,
  end: number,
  payloadBytes: number,
): number {
  if (payloadBytes > RECORD_PAYLOAD_BYTES_MAX) return RECORD_BAD;
  if (offset + RECORD_HEADER_BYTES + payloadBytes > end) return RECORD_SHORT;
  const stored = view.getUint32(offset + 4, true);
  if (payloadBytes === view.getUint32(offset, true)) {
    return checksum(bytes, offset, payloadBytes) === stored ? payloadBytes : RECORD_BAD;
  }
  // Checksum a copy of the header with the proposed length in place.
  const header = new Uint8Array(4);
  new DataView(header.buffer).setUint32(0, payloadBytes, true);
  const crc = crc32cUpdate(crc32cUpdate(0, header), bytes, offset + 8, offset + 9 + payloadBytes);
  return crc === stored ? payloadBytes : RECORD_BAD;
}

function decodeEntry(
  bytes: Uint8Array,
  view: DataView,
  at: number,
  payloadBytes: number,
  conf: boolean,
): WalRecord | string {
  if (payloadBytes < 16) return `entry payload of ${payloadBytes} bytes is too short`;
  const index = getU64(view, at);
  const term = getU64(view, at + 8);
  if (index < 1 || term < 1) return `entry index "${index}" or term "${term}" is out of range`;
  const data = bytes.slice(at + 16, at + payloadBytes);
  return { kind: "entry", entry: { index, term, type: conf ? "conf" : "normal", data } };
}

function decodeHardState(
  bytes: Uint8Array,
  view: DataView,
  at: number,
  payloadBytes: number,
): WalRecord | string {
  if (payloadBytes < 17) return `hard state payload of ${payloadBytes} bytes is too short`;
  const term = getU64(view, at);
  const commit = getU64(view, at + 8);
  const voteBytes = bytes[at + 16]!;
  if (term < 0 || commit < 0) return `hard state term or commit is out of range`;
  if (payloadBytes !== 17 + voteBytes) {
    return `hard state vote length "${voteBytes}" does not match`;
  }
  let vote: string;
  try {
    vote = decoder.decode(bytes.subarray(at + 17, at + 17 + voteBytes));
  } catch {
    return "hard state vote is not UTF-8";
  }
  return { kind: "hardState", hardState: { term, vote, commit } };
}

function decodeNumber(
  view: DataView,
  at: number,
  payloadBytes: number,
  kind: "commit" | "truncate" | "batch",
): WalRecord | string {
  if (payloadBytes !== 8) return `${kind} payload of ${payloadBytes} bytes is not 8`;
  const value = getU64(view, at);
  if (value < 0) return `${kind} value is out of range`;
  if (kind === "batch") return { kind, offset: value };
  return kind === "commit" ? { kind, commit: value } : { kind, nextIndex: value };
}

/**
 * Whether an intact batch record sits at `offset`: its stored length is 8,
 * its type is batch, its checksum holds and its payload names `offset`.
 *
 * @example
 * ```ts
 * import { batchRecordAt } from "./wal_record.ts";
 * import { RecordEncoder } from "./wal_encoder.ts";
 * const encoder = new RecordEncoder();
 * encoder.batch(0);
 * const bytes = encoder.bytes();
 * const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
 * if (!batchRecordAt(bytes, view, 0, bytes.length)) throw new Error("not found");
 * ```
 */
export function batchRecordAt(
  bytes: Uint8Array,
  view: DataView,
  offset: number,
  end: number,
): boolean {
  if (end - offset < RECORD_HEADER_BYTES + 8) return false;
  if (view.getUint32(offset, true) !== 8 || bytes[offset + 8] !== RecordType.batch) return false;
  if (recordAt(bytes, view, offset, end) !== 8) return false;
  return getU64(view, offset + RECORD_HEADER_BYTES) === offset;
}

/**
 * Decodes the payload of an intact record at `offset` (see {@link recordAt}).
 * Returns the record, or a reason string when the payload does not fit its
 * type: with a valid checksum that is a bug or a foreign file, never a torn write.
 */
export function decodeRecord(
  bytes: Uint8Array,
  view: DataView,
  offset: number,
  payloadBytes: number,
): WalRecord | string {
  const type = bytes[offset + 8]!;
  const at = offset + RECORD_HEADER_BYTES;
  switch (type) {
    case RecordType.entryNormal:
      return decodeEntry(bytes, view, at, payloadBytes, false);
    case RecordType.entryConf:
      return decodeEntry(bytes, view, at, payloadBytes, true);
    case RecordType.hardState:
      return decodeHardState(bytes, view, at, payloadBytes);
    case RecordType.commit:
      return decodeNumber(view, at, payloadBytes, "commit");
    case RecordType.truncate:
      return decodeNumber(view, at, payloadBytes, "truncate");
    case RecordType.batch:
      return decodeNumber(view, at, payloadBytes, "batch");
    default:
      return `unknown record type "${type}"`;
  }
}
