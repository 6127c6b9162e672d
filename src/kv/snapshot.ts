/**
 * The state machine's snapshot format, version 2: the applied index, the
 * membership, the leases and every record in key order, checked by a CRC-32
 * trailer. Version 1 snapshots still restore (`snapshot_v1.ts`).
 *
 * ```
 * "RKVS" [version u8 = 2] [applied index] [member count] members...
 * [lease count] leases: [id][ttlMs]... [record count]
 * [record block: per record [key length][key UTF-8][value length][value bytes]]
 * [numeric block: per record [create index][mod index][lease id, 0 for none]]
 * [numeric block bytes: u32 low, u32 high] [crc32 of everything before: u32]
 * ```
 *
 * Numbers without a width are LEB128 varints (lengths may be padded with
 * continuation bytes, see `ByteWriter.lengthPrefixedText`); a member is its
 * id, a voter byte, its raft address and its HTTP address. A value's length
 * sits right before it, so a restored value can stay in the snapshot bytes,
 * found again from one offset, until it is read or replaced.
 *
 * @module
 */

import { crc32 } from "node:zlib";
import type { Membership } from "../raft/types.ts";
import type { Leaf } from "./btree_nodes.ts";
import { FIRST_EPOCH, TreeBuilder } from "./btree_nodes.ts";
import { TreeCursor } from "./btree_cursor.ts";
import { ByteReader } from "../bytes/reader.ts";
import { ByteWriter } from "../bytes/writer.ts";
import { compareUtf8 } from "./keys.ts";
import type { LeaseEntry } from "./leases.ts";
import type { FrozenRecords, RestoredRecords } from "./record_store.ts";
import {
  checkIndexes,
  CONTEXT,
  finishSnapshot,
  lazyValue,
  readState,
  readTrailer,
  readVersion,
  writePreamble,
} from "./snapshot_parts.ts";
import { decodeRecordsV1 } from "./snapshot_v1.ts";

const VERSION = 2;
/** Room for the magic, the indexes, the members and the leases of a typical snapshot. */
const SNAPSHOT_HEADER_BYTES = 4096;

/** The state to serialize, frozen: encoding may go on while the machine applies more entries. */
export interface FrozenState {
  appliedIndex: number;
  membership: Membership;
  records: FrozenRecords;
  leases: LeaseEntry[];
}

/** What a snapshot holds, ready to become a state machine's state. */
export interface SnapshotContent {
  appliedIndex: number;
  membership: Membership;
  records: RestoredRecords;
  leases: LeaseEntry[];
}

interface Writers {
  main: ByteWriter;
  numbers: ByteWriter;
}

/** Writes what precedes the records: the preamble, the leases and the record count. */
function writeHead(main: ByteWriter, state: FrozenState): void {
  writePreamble(main, VERSION, state);
  main.varint(state.leases.length);
  for (const lease of state.leases) {
    main.varint(lease.id);
    main.varint(lease.ttlMs);
  }
  main.varint(state.records.size);
}

function startWriters(state: FrozenState): Writers {
  const count = state.records.size;
  // Room for every record's bytes, their lengths and the numeric block that
  // is appended at the end: the buffer then never grows and is not copied.
  const main = new ByteWriter(SNAPSHOT_HEADER_BYTES + state.records.dataBytes + 16 * count);
  const numbers = new ByteWriter(16 + 8 * count);
  writeHead(main, state);
  return { main, numbers };
}

/** Appends the key and value of `leaf`'s record `i`. */
function encodeRecord(leaf: Leaf, i: number, source: Uint8Array | null, main: ByteWriter): void {
  main.lengthPrefixedText(leaf.keys[i]!);
  const slot = leaf.values[i]!;
  if (typeof slot === "string") main.lengthPrefixedText(slot);
  else {
    const bytes = typeof slot === "number" ? lazyValue(source!, slot) : slot;
    main.varint(bytes.length);
    main.raw(bytes);
  }
}

/** Appends the keys and values of `leaf`'s records. */
function encodeLeafRecords(leaf: Leaf, source: Uint8Array | null, main: ByteWriter): void {
  for (let i = 0; i < leaf.keys.length; i++) encodeRecord(leaf, i, source, main);
}

/** Appends the indexes and lease ids of `leaf`'s records. */
function encodeLeafNumbers(leaf: Leaf, numbers: ByteWriter): void {
  for (let i = 0; i < leaf.keys.length; i++) {
    numbers.varint(leaf.createIndexes[i]!);
    numbers.varint(leaf.modIndexes[i]!);
    numbers.varint(leaf.leaseAt(i));
  }
}

function encodeLeaf(leaf: Leaf, source: Uint8Array | null, { main, numbers }: Writers): void {
  encodeLeafRecords(leaf, source, main);
  encodeLeafNumbers(leaf, numbers);
}

/**
 * Serializes a frozen state into one buffer.
 *
 * @example
 * ```ts
 * import { KvStateMachine } from "./state_machine.ts";
 * import { decodeSnapshot, encodeSnapshot } from "./snapshot.ts";
 * import { encodePut } from "./command.ts";
 * const machine = new KvStateMachine();
 * machine.apply({ index: 1, term: 1, type: "normal", data: encodePut("k", "v") });
 * if (decodeSnapshot(encodeSnapshot(machine.freeze())).records.tree.size !== 1) throw new Error();
 * ```
 */
export function encodeSnapshot(state: FrozenState): Uint8Array {
  const writers = startWriters(state);
  for (const cursor = TreeCursor.first(state.records.root); cursor.valid; cursor.nextLeaf()) {
    encodeLeaf(cursor.leaf, state.records.source, writers);
  }
  return finishSnapshot(writers.main, writers.numbers);
}

/**
 * Encodes a frozen state as pieces of about `limits.pieceBytes` bytes or
 * `limits.pieceRecords` records, whichever comes first, awaiting `pause()`
 * after each, so that a large state does not hold the event loop (a leader
 * that stalls for an election timeout loses its followers) and is never
 * held whole: storage writes each piece as it comes. Joined, the pieces are
 * exactly {@link encodeSnapshot}'s bytes. With `limits.reuse` they share one
 * buffer (see {@link encodeSnapshotChunks}).
 *
 * @example
 * ```ts
 * import { KvStateMachine } from "./state_machine.ts";
 * import { encodeSnapshotPieces } from "./snapshot.ts";
 * import { encodePut } from "./command.ts";
 * const machine = new KvStateMachine();
 * for (let i = 1; i <= 50; i++) {
 *   machine.apply({ index: i, term: 1, type: "normal", data: encodePut(`k${i}`, "v") });
 * }
 * let pauses = 0;
 * const pause = () => (pauses++, Promise.resolve());
 * const pieces = [];
 * for await (const piece of encodeSnapshotPieces(machine.freeze(), { pieceBytes: 1 << 20, pieceRecords: 20 }, pause)) {
 *   pieces.push(piece);
 * }
 * if (pieces.length < 3 || pauses !== pieces.length) throw new Error(`${pieces.length} ${pauses}`);
 * ```
 */
export async function* encodeSnapshotPieces(
  state: FrozenState,
  limits: { pieceBytes: number; pieceRecords: number; reuse?: boolean },
  pause: () => Promise<void>,
): AsyncGenerator<Uint8Array, void, undefined> {
  const { pieceBytes, pieceRecords, reuse = false } = limits;
  for (const piece of encodeSnapshotChunks(state, pieceBytes, pieceRecords, reuse)) {
    yield piece;
    await pause();
  }
}

/**
 * Encodes a frozen state as chunks of about `chunkBytes` each (a chunk ends
 * after the record that reaches the size, so one large value makes it
 * longer, or after `chunkRecords` records; the indexes go a leaf of records
 * at a time), produced one at a time as they are asked for. Joined, they are
 * exactly {@link encodeSnapshot}'s bytes: the records in one pass over the
 * frozen tree, their indexes in a second, the CRC-32 kept running, so no
 * more than a chunk is held at once. With `reuse`, every chunk is written
 * into the same buffer: a chunk must be used up before the next is asked for.
 *
 * @example
 * ```ts
 * import { KvStateMachine } from "./state_machine.ts";
 * import { encodeSnapshot, encodeSnapshotChunks } from "./snapshot.ts";
 * import { encodePut } from "./command.ts";
 * const machine = new KvStateMachine();
 * for (let i = 1; i <= 100; i++) {
 *   machine.apply({ index: i, term: 1, type: "normal", data: encodePut(`k${i}`, "v") });
 * }
 * const chunks = [...encodeSnapshotChunks(machine.freeze(), 256)];
 * const joined = chunks.flatMap((chunk) => [...chunk]);
 * if (chunks.length < 2 || joined.join() !== encodeSnapshot(machine.freeze()).join()) {
 *   throw new Error();
 * }
 * ```
 */
export function* encodeSnapshotChunks(
  state: FrozenState,
  chunkBytes: number,
  chunkRecords = Number.MAX_SAFE_INTEGER,
  reuse = false,
): Generator<Uint8Array, void, undefined> {
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1) {
    throw new RangeError(`Chunk size "${chunkBytes}" is not a positive integer`);
  }
  if (!Number.isSafeInteger(chunkRecords) || chunkRecords < 1) {
    throw new RangeError(`Chunk record count "${chunkRecords}" is not a positive integer`);
  }
  let crc = 0;
  const capacity = chunkBytes + SNAPSHOT_HEADER_BYTES;
  let writer = new ByteWriter(capacity);
  const take = (): Uint8Array => {
    const bytes = writer.finish();
    crc = crc32(bytes, crc);
    // Reused, the buffer makes no garbage: the engine frees a dead buffer
    // only at its next full collection, so a snapshot's worth of them piled
    // up in native memory and left it fragmented.
    // (One that a large value grew is let go, or every later chunk would be
    // copied out of a mostly empty buffer.)
    if (reuse && writer.bytes.length === capacity) writer.length = 0;
    else writer = new ByteWriter(capacity);
    return bytes;
  };
  writeHead(writer, state);
  const { root, source } = state.records;
  let records = 0;
  for (const cursor = TreeCursor.first(root); cursor.valid; cursor.nextLeaf()) {
    const leaf = cursor.leaf;
    for (let i = 0; i < leaf.keys.length; i++) {
      encodeRecord(leaf, i, source, writer);
      if (writer.length < chunkBytes && ++records < chunkRecords) continue;
      records = 0;
      yield take();
    }
  }
  let numbersBytes = 0;
  for (const cursor = TreeCursor.first(root); cursor.valid; cursor.nextLeaf()) {
    const before = writer.length;
    encodeLeafNumbers(cursor.leaf, writer);
    numbersBytes += writer.length - before;
    records += cursor.leaf.keys.length;
    if (writer.length < chunkBytes && records < chunkRecords) continue;
    records = 0;
    yield take();
  }
  writer.u64(numbersBytes);
  crc = crc32(writer.written(), crc);
  writer.u32(crc);
  yield writer.finish();
}

function readLeases(reader: ByteReader): LeaseEntry[] {
  const count = reader.varint();
  const leases: LeaseEntry[] = [];
  for (let i = 0; i < count; i++) {
    const lease = { id: reader.varint(), ttlMs: reader.varint() };
    if (lease.id === 0 || (i > 0 && lease.id <= leases[i - 1]!.id)) {
      reader.fail(`lease "${lease.id}" is out of order`);
    }
    leases.push(lease);
  }
  return leases;
}

function decodeRecordsV2(
  reader: ByteReader,
  numbers: ByteReader,
  context: { appliedIndex: number; leaseIds: Set<number>; source: Uint8Array },
): RestoredRecords {
  const count = reader.varint();
  const builder = new TreeBuilder(FIRST_EPOCH);
  let dataBytes = 0;
  let previous: string | null = null;
  for (let i = 0; i < count; i++) {
    const keyBytes = reader.varint();
    const key = reader.string(reader.offset, keyBytes);
    reader.offset += keyBytes;
    if (previous !== null && compareUtf8(previous, key) >= 0) {
      reader.fail(`key "${key}" does not sort after "${previous}"`);
    }
    const valueAt = reader.offset;
    const valueBytes = reader.varint();
    reader.raw(valueBytes);
    dataBytes += keyBytes + valueBytes;
    const indexes = { createIndex: numbers.varint(), modIndex: numbers.varint() };
    checkIndexes(reader, key, indexes, context.appliedIndex);
    const lease = numbers.varint();
    if (lease !== 0 && !context.leaseIds.has(lease)) {
      reader.fail(`key "${key}" is attached to lease "${lease}", which the snapshot lacks`);
    }
    builder.push(key, valueAt, indexes.createIndex, indexes.modIndex, lease);
    previous = key;
  }
  if (reader.remaining !== 0) reader.fail(`"${reader.remaining}" bytes follow the last record`);
  if (numbers.remaining !== 0) reader.fail(`"${numbers.remaining}" bytes follow the last index`);
  return { tree: builder.finish(), source: count > 0 ? context.source : null, dataBytes };
}

/**
 * Parses and validates a snapshot of either version; throws `Cannot restore
 * snapshot: ...` on any corruption (checksum, structure, lengths, UTF-8,
 * order, indexes, leases).
 *
 * @example
 * ```ts
 * import { decodeSnapshot } from "./snapshot.ts";
 * try {
 *   decodeSnapshot(new Uint8Array(20));
 *   throw new Error("accepted");
 * } catch (error) {
 *   if (!String(error).includes("Cannot restore snapshot: checksum")) throw error;
 * }
 * ```
 */
export function decodeSnapshot(bytes: Uint8Array): SnapshotContent {
  const layout = readTrailer(bytes);
  const reader = new ByteReader(bytes.subarray(0, layout.numbersStart), CONTEXT);
  const version = readVersion(reader);
  if (version !== 1 && version !== VERSION) reader.fail(`unknown version "${version}"`);
  const state = readState(reader);
  if (version === 1) {
    const records = decodeRecordsV1(reader, bytes, { ...state, ...layout });
    return { ...state, records, leases: [] };
  }
  const leases = readLeases(reader);
  const numbers = new ByteReader(bytes.subarray(layout.numbersStart, layout.numbersEnd), CONTEXT);
  const records = decodeRecordsV2(reader, numbers, {
    appliedIndex: state.appliedIndex,
    leaseIds: new Set(leases.map((lease) => lease.id)),
    source: bytes,
  });
  return { ...state, records, leases };
}
