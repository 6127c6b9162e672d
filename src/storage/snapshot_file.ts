/**
 * Snapshot files, `snap/<term 16 digits>-<index 16 digits>.snap`. Layout
 * (integers little-endian):
 *
 * ```
 * [magic "RSNP"][crc32c u32 of every byte after it][version u8 = 1]
 * [index u64][term u64][membership length u32][membership JSON][state machine bytes]
 * ```
 *
 * @module
 */

import { getU64, setU64 } from "../bytes/u64.ts";
import type { Member, Membership, Snapshot, SnapshotMeta } from "../raft/types.ts";
import { crc32cUpdate } from "./crc32c.ts";
import { StorageError } from "./errors.ts";

const MAGIC = [0x52, 0x53, 0x4e, 0x50]; // "RSNP"
const VERSION = 1;
/** Bytes before the membership JSON: magic, checksum, version, index, term, membership length. */
export const SNAPSHOT_HEADER_BYTES = 29;
const HEADER_BYTES = SNAPSHOT_HEADER_BYTES;
const NAME_PATTERN = /^(\d{16})-(\d{16})\.snap$/;

/** A snapshot file found in `snap/`. */
export interface SnapshotName {
  name: string;
  term: number;
  index: number;
}

/** The file name of the snapshot with `term` and `index`. */
export function snapshotFileName(term: number, index: number): string {
  return `${String(term).padStart(16, "0")}-${String(index).padStart(16, "0")}.snap`;
}

/** Parses a snapshot file name, or returns null for other files. */
export function parseSnapshotName(name: string): SnapshotName | null {
  const match = NAME_PATTERN.exec(name);
  if (match === null) return null;
  return { name, term: Number(match[1]), index: Number(match[2]) };
}

/** Sorts snapshot names newest first (by index, then term). */
export function newestFirst(names: SnapshotName[]): SnapshotName[] {
  return [...names].sort((a, b) => b.index - a.index || b.term - a.term);
}

/** Where the header's CRC-32C sits; it covers every byte after it. */
export const SNAPSHOT_CRC_OFFSET = 4;

/**
 * The header of the snapshot file of `meta`, its checksum field left zero:
 * the checksum covers the data that follows, so it is filled in last.
 *
 * @example
 * ```ts
 * import { encodeSnapshotHeader, snapshotHeaderBytes } from "./snapshot_file.ts";
 * const meta = { index: 3, term: 1, membership: [] };
 * if (encodeSnapshotHeader(meta).length !== snapshotHeaderBytes(meta)) throw new Error();
 * ```
 */
export function encodeSnapshotHeader(meta: SnapshotMeta): Uint8Array {
  const membership = new TextEncoder().encode(JSON.stringify(meta.membership.map(member)));
  const header = new Uint8Array(HEADER_BYTES + membership.length);
  const view = new DataView(header.buffer);
  header.set(MAGIC, 0);
  header[8] = VERSION;
  setU64(view, 9, meta.index);
  setU64(view, 17, meta.term);
  view.setUint32(25, membership.length, true);
  header.set(membership, HEADER_BYTES);
  return header;
}

/** Bytes of the header of the snapshot file of `meta`: where its data starts. */
export function snapshotHeaderBytes(meta: SnapshotMeta): number {
  return encodeSnapshotHeader(meta).length;
}

/**
 * Encodes `snapshot` as a header chunk and the data chunk (not copied), to be
 * written one after the other.
 */
export function encodeSnapshot(snapshot: Snapshot): [Uint8Array, Uint8Array] {
  const header = encodeSnapshotHeader(snapshot.meta);
  const crc = crc32cUpdate(crc32cUpdate(0, header, SNAPSHOT_CRC_OFFSET + 4), snapshot.data);
  new DataView(header.buffer).setUint32(SNAPSHOT_CRC_OFFSET, crc, true);
  return [header, snapshot.data];
}

function member(value: Member): Member {
  return { id: value.id, voter: value.voter, raftAddr: value.raftAddr, httpAddr: value.httpAddr };
}

function parseMembership(bytes: Uint8Array): Membership | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return null;
  }
  if (!Array.isArray(parsed)) return null;
  const members: Member[] = [];
  for (const item of parsed) {
    if (typeof item !== "object" || item === null) return null;
    const { id, voter, raftAddr, httpAddr } = item as Record<string, unknown>;
    if (typeof id !== "string" || typeof voter !== "boolean") return null;
    if (typeof raftAddr !== "string" || typeof httpAddr !== "string") return null;
    members.push({ id, voter, raftAddr, httpAddr });
  }
  return members;
}

/**
 * Checks the fixed header of snapshot file `name` (its first
 * {@link SNAPSHOT_HEADER_BYTES} bytes). Returns the stored checksum of every
 * byte after the first eight, or a reason string when the header is damaged.
 *
 * @example
 * ```ts
 * import { checkSnapshotHeader, encodeSnapshot, parseSnapshotName } from "./snapshot_file.ts";
 * const [header] = encodeSnapshot({ meta: { index: 7, term: 2, membership: [] }, data: new Uint8Array() });
 * const wrong = parseSnapshotName("0000000000000002-0000000000000008.snap")!;
 * if (typeof checkSnapshotHeader(header, wrong) !== "string") throw new Error("name not checked");
 * ```
 */
export function checkSnapshotHeader(header: Uint8Array, name: SnapshotName): number | string {
  if (header.length < HEADER_BYTES) return `file of ${header.length} bytes is too short`;
  if (MAGIC.some((byte, i) => header[i] !== byte)) return "bad magic";
  if (header[8] !== VERSION) return `unknown version "${header[8]}"`;
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  const index = getU64(view, 9);
  const term = getU64(view, 17);
  if (index !== name.index || term !== name.term) {
    return `holds term "${term}" and index "${index}", not those of its name`;
  }
  return view.getUint32(4, true);
}

/**
 * Decodes the header of snapshot file `name` from its first bytes (the fixed
 * part and the membership): the snapshot's metadata and where its data
 * starts, or a reason string when the header is damaged or does not match
 * the name. The checksum is not checked: it covers the whole file.
 *
 * @example
 * ```ts
 * import { decodeSnapshotHeader, encodeSnapshotHeader, parseSnapshotName } from "./snapshot_file.ts";
 * const header = encodeSnapshotHeader({ index: 7, term: 2, membership: [] });
 * const decoded = decodeSnapshotHeader(header, parseSnapshotName(
 *   "0000000000000002-0000000000000007.snap",
 * )!);
 * if (typeof decoded === "string" || decoded.dataOffset !== header.length) throw new Error();
 * ```
 */
export function decodeSnapshotHeader(
  bytes: Uint8Array,
  name: SnapshotName,
): { meta: SnapshotMeta; dataOffset: number } | string {
  if (bytes.length < HEADER_BYTES) return `file of ${bytes.length} bytes is too short`;
  if (MAGIC.some((byte, i) => bytes[i] !== byte)) return "bad magic";
  if (bytes[8] !== VERSION) return `unknown version "${bytes[8]}"`;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const index = getU64(view, 9);
  const term = getU64(view, 17);
  if (index !== name.index || term !== name.term) {
    return `holds term "${term}" and index "${index}", not those of its name`;
  }
  const membershipBytes = view.getUint32(25, true);
  if (HEADER_BYTES + membershipBytes > bytes.length) return "membership runs past the end";
  const membership = parseMembership(bytes.subarray(HEADER_BYTES, HEADER_BYTES + membershipBytes));
  if (membership === null) return "membership is not a valid member list";
  return { meta: { index, term, membership }, dataOffset: HEADER_BYTES + membershipBytes };
}

/** The membership length a header's fixed part gives (valid only after its checks pass). */
export function membershipBytesOf(fixed: Uint8Array): number {
  return new DataView(fixed.buffer, fixed.byteOffset, fixed.byteLength).getUint32(25, true);
}

/**
 * Decodes and verifies the bytes of the snapshot file `name`. Returns the
 * snapshot, or a reason string when the file is damaged or does not match
 * its name. The data is a view into `bytes`.
 */
export function decodeSnapshot(bytes: Uint8Array, name: SnapshotName): Snapshot | string {
  if (bytes.length < HEADER_BYTES) return `file of ${bytes.length} bytes is too short`;
  if (MAGIC.some((byte, i) => bytes[i] !== byte)) return "bad magic";
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const crc = crc32cUpdate(0, bytes, SNAPSHOT_CRC_OFFSET + 4);
  if (crc !== view.getUint32(SNAPSHOT_CRC_OFFSET, true)) return "checksum mismatch";
  const header = decodeSnapshotHeader(bytes, name);
  if (typeof header === "string") return header;
  return { meta: header.meta, data: bytes.subarray(header.dataOffset) };
}

/** Decodes `bytes` of snapshot `name`, throwing a {@link StorageError} naming `path` when damaged. */
export function decodeSnapshotOrThrow(
  bytes: Uint8Array,
  name: SnapshotName,
  path: string,
): Snapshot {
  const snapshot = decodeSnapshot(bytes, name);
  if (typeof snapshot === "string") {
    throw new StorageError(`Corrupt snapshot "${path}": ${snapshot}`);
  }
  return snapshot;
}
