/**
 * The parts every version of the snapshot format shares: the magic and
 * version, the membership, the trailer (numeric block length and CRC-32),
 * the index checks, and reading a value left in the snapshot bytes.
 *
 * @module
 */

import { crc32 } from "node:zlib";
import type { Membership } from "../raft/types.ts";
import { ByteReader } from "../bytes/reader.ts";
import type { ByteWriter } from "../bytes/writer.ts";

/** The first bytes of every snapshot: "RKVS". */
const MAGIC = [0x52, 0x4b, 0x56, 0x53];
/** Numeric block length (u32 low, u32 high) and the CRC-32 of everything before it. */
const TRAILER_BYTES = 12;
/** The start of every restore error. */
export const CONTEXT = "Cannot restore snapshot";

/** Writes the magic, `version`, the applied index and the membership. */
export function writePreamble(
  writer: ByteWriter,
  version: number,
  state: { appliedIndex: number; membership: Membership },
): void {
  for (const byte of MAGIC) writer.u8(byte);
  writer.u8(version);
  writer.varint(state.appliedIndex);
  writer.varint(state.membership.length);
  for (const member of state.membership) {
    writer.string(member.id);
    writer.u8(member.voter ? 1 : 0);
    writer.string(member.raftAddr);
    writer.string(member.httpAddr);
  }
}

/** Reads the magic and the version byte. */
export function readVersion(reader: ByteReader): number {
  for (const byte of MAGIC) {
    if (reader.u8() !== byte) reader.fail("the data does not start with the snapshot magic");
  }
  return reader.u8();
}

/** Reads the applied index and the membership that follow the version. */
export function readState(reader: ByteReader): { appliedIndex: number; membership: Membership } {
  const appliedIndex = reader.varint();
  const memberCount = reader.varint();
  const membership: Membership = [];
  for (let i = 0; i < memberCount; i++) {
    const id = reader.prefixedString();
    const voter = reader.u8();
    if (voter > 1) reader.fail(`member "${id}" has voter flag "${voter}"`);
    membership.push({
      id,
      voter: voter === 1,
      raftAddr: reader.prefixedString(),
      httpAddr: reader.prefixedString(),
    });
  }
  return { appliedIndex, membership };
}

/** Appends the numeric block and the trailer; returns the finished snapshot. */
export function finishSnapshot(main: ByteWriter, numbers: ByteWriter): Uint8Array {
  main.raw(numbers.written());
  main.u64(numbers.length);
  main.u32(crc32(main.written()));
  return main.finish();
}

/** Checks the CRC and returns where the numeric block starts and ends. */
export function readTrailer(bytes: Uint8Array): { numbersStart: number; numbersEnd: number } {
  const reader = new ByteReader(bytes, CONTEXT);
  if (bytes.length < MAGIC.length + 1 + TRAILER_BYTES) {
    reader.fail(`"${bytes.length}" bytes are too few for a snapshot`);
  }
  const numbersEnd = bytes.length - TRAILER_BYTES;
  reader.offset = numbersEnd;
  const numbersBytes = reader.u64();
  const expected = reader.u32();
  const actual = crc32(bytes.subarray(0, bytes.length - 4));
  if (actual !== expected) reader.fail(`checksum "${actual}" does not match "${expected}"`);
  if (numbersBytes > numbersEnd) {
    reader.fail(`numeric block of "${numbersBytes}" bytes is too long`);
  }
  return { numbersStart: numbersEnd - numbersBytes, numbersEnd };
}

/** Fails unless `1 <= createIndex <= modIndex <= appliedIndex`. */
export function checkIndexes(
  reader: ByteReader,
  key: string,
  indexes: { createIndex: number; modIndex: number },
  appliedIndex: number,
): void {
  if (indexes.createIndex < 1 || indexes.createIndex > indexes.modIndex) {
    reader.fail(
      `key "${key}" has create index "${indexes.createIndex}" after "${indexes.modIndex}"`,
    );
  }
  if (indexes.modIndex > appliedIndex) {
    reader.fail(`key "${key}" has mod index "${indexes.modIndex}" past "${appliedIndex}"`);
  }
}

/**
 * The bytes of a value left in a version 2 snapshot: `offset` is where its
 * varint length starts, and the value follows it (a view, not a copy). The
 * snapshot was checked whole when restored.
 */
export function lazyValue(source: Uint8Array, offset: number): Uint8Array {
  let length = 0;
  let scale = 1;
  let at = offset;
  for (;;) {
    const byte = source[at++]!;
    length += (byte & 0x7f) * scale;
    if (byte < 0x80) break;
    scale *= 0x80;
  }
  return source.subarray(at, at + length);
}
