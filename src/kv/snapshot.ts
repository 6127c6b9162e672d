/**
 * The state machine's snapshot format: one buffer holding the applied
 * index, the membership and every key, checked by a CRC-32 trailer.
 *
 * ```
 * "RKVS" [version u8 = 1] [applied index] [member count] members... [record count]
 * [string block: key and value UTF-8 bytes of every record, back to back]
 * [numeric block: per record key bytes, value bytes, create index, mod index]
 * [numeric block bytes: u32 low, u32 high] [crc32 of everything before: u32]
 * ```
 *
 * Numbers without a width are LEB128 varints; a member is its id, a voter
 * byte, its raft address and its HTTP address, strings as varint byte length
 * plus UTF-8. Keys and values sit apart from the numbers so that encoding is
 * one `encodeInto` per string into one growing buffer and decoding is one
 * `TextDecoder` call per string over a view, with no copying.
 *
 * @module
 */

import { crc32 } from "node:zlib";
import type { Membership } from "../raft/types.ts";
import { ByteReader, ByteWriter } from "./bytes.ts";

/**
 * A key's value and the Raft indexes that created and last changed it. A
 * value restored from a snapshot stays as UTF-8 bytes in the snapshot
 * (`source`, bytes `[at, at + length)`) until it is read: restoring a
 * million keys then allocates a million small strings, not two million, and
 * the next snapshot copies those bytes without decoding them.
 */
export interface StoredValue {
  /** The value, or null while it is still undecoded in the snapshot. */
  value: string | null;
  at: number;
  length: number;
  createIndex: number;
  modIndex: number;
}

/** What a snapshot holds. */
export interface SnapshotContent {
  appliedIndex: number;
  membership: Membership;
  records: Map<string, StoredValue>;
  /** The snapshot bytes that undecoded values point into, or null when none do. */
  source: Uint8Array | null;
}

const lazyDecoder = new TextDecoder();

/** The value of `stored`, decoding it from `source` when it was never decoded. */
export function valueOf(stored: StoredValue, source: Uint8Array | null): string {
  if (stored.value !== null) return stored.value;
  if (source === null) throw new Error("Invariant broken: an undecoded value without its snapshot");
  return lazyDecoder.decode(source.subarray(stored.at, stored.at + stored.length));
}

const MAGIC = [0x52, 0x4b, 0x56, 0x53]; // "RKVS"
const VERSION = 1;
const TRAILER_BYTES = 12;
const CONTEXT = "Cannot restore snapshot";

/**
 * The state to serialize, frozen: the key and record arrays are taken at
 * once, and records are never changed in place (an update replaces the
 * record), so encoding may go on while the machine applies more entries.
 */
export interface FrozenState {
  appliedIndex: number;
  membership: Membership;
  keys: string[];
  values: StoredValue[];
  source: Uint8Array | null;
}

/** Freezes `content` for encoding (two array copies: tens of milliseconds for a million keys). */
export function freeze(content: SnapshotContent): FrozenState {
  return {
    appliedIndex: content.appliedIndex,
    membership: content.membership,
    keys: Array.from(content.records.keys()),
    values: Array.from(content.records.values()),
    source: content.source,
  };
}

function writeHeader(writer: ByteWriter, state: FrozenState): void {
  for (const byte of MAGIC) writer.u8(byte);
  writer.u8(VERSION);
  writer.varint(state.appliedIndex);
  writer.varint(state.membership.length);
  for (const member of state.membership) {
    writer.string(member.id);
    writer.u8(member.voter ? 1 : 0);
    writer.string(member.raftAddr);
    writer.string(member.httpAddr);
  }
  writer.varint(state.keys.length);
}

/** Encodes records `[from, to)` of `state`: bytes into `main`, lengths and indexes into `numbers`. */
function encodeRange(
  state: FrozenState,
  writers: { main: ByteWriter; numbers: ByteWriter },
  from: number,
  to: number,
): void {
  const { main, numbers } = writers;
  const source = state.source;
  for (let i = from; i < to; i++) {
    const stored = state.values[i]!;
    numbers.varint(main.text(state.keys[i]!));
    if (stored.value !== null) numbers.varint(main.text(stored.value));
    else if (source === null) {
      throw new Error("Invariant broken: an undecoded value without its snapshot");
    } else {
      main.raw(source.subarray(stored.at, stored.at + stored.length));
      numbers.varint(stored.length);
    }
    numbers.varint(stored.createIndex);
    numbers.varint(stored.modIndex);
  }
}

function startWriters(state: FrozenState): { main: ByteWriter; numbers: ByteWriter } {
  const count = state.keys.length;
  const main = new ByteWriter(4096 + 64 * count);
  const numbers = new ByteWriter(16 + 8 * count);
  writeHeader(main, state);
  return { main, numbers };
}

function finish({ main, numbers }: { main: ByteWriter; numbers: ByteWriter }): Uint8Array {
  main.raw(numbers.bytes());
  main.u32(numbers.length % 0x100000000);
  main.u32(Math.floor(numbers.length / 0x100000000));
  main.u32(crc32(main.bytes()));
  return main.bytes();
}

/**
 * Serializes `content` into one buffer.
 *
 * @example
 * ```ts
 * import { decodeSnapshot, encodeSnapshot } from "./snapshot.ts";
 * const records = new Map([["k", { value: "v", at: 0, length: 0, createIndex: 2, modIndex: 3 }]]);
 * const bytes = encodeSnapshot({ appliedIndex: 3, membership: [], records, source: null });
 * if (decodeSnapshot(bytes).records.get("k")?.modIndex !== 3) throw new Error();
 * ```
 */
export function encodeSnapshot(content: SnapshotContent): Uint8Array {
  const state = freeze(content);
  const writers = startWriters(state);
  encodeRange(state, writers, 0, state.keys.length);
  return finish(writers);
}

/**
 * Encodes a frozen state `sliceRecords` records at a time, awaiting `pause()`
 * between slices so that a large state does not hold the event loop (a
 * leader that stalls for an election timeout loses its followers).
 */
export async function encodeSnapshotInSlices(
  state: FrozenState,
  sliceRecords: number,
  pause: () => Promise<void>,
): Promise<Uint8Array> {
  const writers = startWriters(state);
  for (let from = 0; from < state.keys.length; from += sliceRecords) {
    encodeRange(state, writers, from, Math.min(from + sliceRecords, state.keys.length));
    await pause();
  }
  return finish(writers);
}

function readHeader(
  reader: ByteReader,
): Omit<SnapshotContent, "records" | "source"> & { count: number } {
  for (const byte of MAGIC) {
    if (reader.u8() !== byte) reader.fail("the data does not start with the snapshot magic");
  }
  const version = reader.u8();
  if (version !== VERSION) reader.fail(`unknown version "${version}"`);
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
  return { appliedIndex, membership, count: reader.varint() };
}

/** Checks the CRC and returns where the numeric block starts and ends. */
function readTrailer(bytes: Uint8Array): { numbersStart: number; numbersEnd: number } {
  const reader = new ByteReader(bytes, CONTEXT);
  if (bytes.length < MAGIC.length + 1 + TRAILER_BYTES) {
    reader.fail(`"${bytes.length}" bytes are too few for a snapshot`);
  }
  const numbersEnd = bytes.length - TRAILER_BYTES;
  reader.offset = numbersEnd;
  const numbersBytes = reader.u32() + reader.u32() * 0x100000000;
  const expected = reader.u32();
  const actual = crc32(bytes.subarray(0, bytes.length - 4));
  if (actual !== expected) reader.fail(`checksum "${actual}" does not match "${expected}"`);
  if (numbersBytes > numbersEnd) {
    reader.fail(`numeric block of "${numbersBytes}" bytes is too long`);
  }
  return { numbersStart: numbersEnd - numbersBytes, numbersEnd };
}

function checkIndexes(reader: ByteReader, key: string, stored: StoredValue, applied: number): void {
  if (stored.createIndex < 1 || stored.createIndex > stored.modIndex) {
    reader.fail(`key "${key}" has create index "${stored.createIndex}" after "${stored.modIndex}"`);
  }
  if (stored.modIndex > applied) {
    reader.fail(`key "${key}" has mod index "${stored.modIndex}" past "${applied}"`);
  }
}

/**
 * Parses and validates a snapshot; throws `Cannot restore snapshot: ...` on
 * any corruption (checksum, structure, lengths, UTF-8, indexes, duplicate keys).
 */
export function decodeSnapshot(bytes: Uint8Array): SnapshotContent {
  const { numbersStart, numbersEnd } = readTrailer(bytes);
  const header = new ByteReader(bytes.subarray(0, numbersStart), CONTEXT);
  const { appliedIndex, membership, count } = readHeader(header);
  const numbers = new ByteReader(bytes.subarray(numbersStart, numbersEnd), CONTEXT);
  const records = new Map<string, StoredValue>();
  let at = header.offset;
  for (let i = 0; i < count; i++) {
    const keyBytes = numbers.varint();
    const valueBytes = numbers.varint();
    const key = header.string(at, keyBytes);
    // Values stay bytes until read; the CRC above vouches for them.
    if (at + keyBytes + valueBytes > numbersStart) {
      header.fail(`value of key "${key}" runs past the end`);
    }
    const stored: StoredValue = {
      value: null,
      at: at + keyBytes,
      length: valueBytes,
      createIndex: numbers.varint(),
      modIndex: numbers.varint(),
    };
    at += keyBytes + valueBytes;
    checkIndexes(header, key, stored, appliedIndex);
    records.set(key, stored);
  }
  if (records.size !== count) header.fail(`"${count - records.size}" keys appear twice`);
  if (at !== numbersStart) header.fail(`"${numbersStart - at}" bytes follow the last key`);
  if (numbers.remaining !== 0) header.fail(`"${numbers.remaining}" bytes follow the last index`);
  return { appliedIndex, membership, records, source: count > 0 ? bytes : null };
}
