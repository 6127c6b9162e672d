/**
 * The binary codec for Raft messages: the hot path of replication, so no
 * JSON or msgpack for the body and no per-field allocation. Little-endian:
 *
 * ```
 * u8 type   u8 flags (1: reject, 2: snapshot present)
 * str16 from   str16 to
 * f64 term, index, logTerm, commit, hint, seq, ctx
 * u32 entry count, then per entry: f64 index, f64 term, u8 type, u32 length, data
 * if snapshot: f64 index, f64 term, u32 length + membership JSON, u32 length + data
 * ```
 *
 * Integers travel as float64 and are checked on both sides against the
 * ranges of `src/raft/limits.ts` (terms and indexes below 2^48). Decoding validates every length against the input and copies entry
 * data into one fresh buffer per message, so the input may be reused.
 *
 * @module
 */

import {
  type Entry,
  type EntryType,
  type Member,
  type Message,
  MESSAGE_TYPES,
  type MessageType,
  type Snapshot,
} from "../raft/types.ts";
import { COUNTER_MAX, INDEX_MAX, MEMBERS_MAX, TERM_MAX } from "../raft/limits.ts";
import { checkMember } from "../raft/membership.ts";
import { ByteReader } from "../bytes/reader.ts";
import { ByteWriter } from "../bytes/writer.ts";
import { Slabs } from "../bytes/slabs.ts";

const MESSAGE_TAGS: Record<MessageType, number> = Object.fromEntries(
  MESSAGE_TYPES.map((type, tag) => [type, tag]),
) as Record<MessageType, number>;

const ENTRY_TYPES: readonly EntryType[] = ["normal", "conf"];

const FLAG_REJECT = 1;
const FLAG_SNAPSHOT = 2;
const FLAGS_KNOWN = FLAG_REJECT | FLAG_SNAPSHOT;

/** Longest node id, in UTF-8 bytes. */
export const NODE_ID_BYTES_MAX = 255;
/** Bytes of one entry besides its data. */
const ENTRY_HEADER_BYTES = 8 + 8 + 1 + 4;
/** Bytes of a message besides ids, entries and snapshot. */
const MESSAGE_FIXED_BYTES = 1 + 1 + 2 + 2 + 7 * 8 + 4;

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder("utf-8", { fatal: true });

function checkInt(value: number, field: string, max = COUNTER_MAX + 1): void {
  if (!Number.isSafeInteger(value) || value < 0 || value >= max) {
    throw new Error(
      `Cannot encode message: ${field} "${value}" is not an integer in 0..${max - 1}`,
    );
  }
}

/**
 * An upper bound on the encoded size of `m`, ignoring the membership JSON of
 * a snapshot. Cheap: used to refuse oversized messages before encoding them.
 */
export function messageBytesEstimate(m: Message): number {
  let bytes = MESSAGE_FIXED_BYTES + 3 * (m.from.length + m.to.length);
  for (const entry of m.entries) bytes += ENTRY_HEADER_BYTES + entry.data.length;
  if (m.snapshot !== null) bytes += 8 + 8 + 4 + 4 + m.snapshot.data.length;
  return bytes;
}

/**
 * Appends the encoding of `m` to `out` (a fresh writer when omitted) and
 * returns the encoded bytes as a view into `out`'s buffer, valid until `out`
 * is written to again. Throws on a value the decoder would refuse; `out` is
 * then left as it was.
 *
 * @example
 * ```ts
 * import { decodeMessage, encodeMessage } from "./codec.ts";
 * const m = {
 *   type: "hb" as const, from: "n1", to: "n2", term: 3, index: 0, logTerm: 0, entries: [],
 *   commit: 7, reject: false, hint: 0, seq: 12, ctx: 0, snapshot: null,
 * };
 * const back = decodeMessage(encodeMessage(m));
 * if (back.commit !== 7 || back.seq !== 12 || back.to !== "n2") throw new Error();
 * ```
 */
export function encodeMessage(m: Message, out?: ByteWriter): Uint8Array {
  const w = out ?? new ByteWriter(messageBytesEstimate(m) + 64);
  const start = w.length;
  try {
    writeMessage(w, m);
  } catch (error) {
    w.length = start;
    throw error;
  }
  return w.bytes.subarray(start, w.length);
}

function writeMessage(w: ByteWriter, m: Message): void {
  const tag = MESSAGE_TAGS[m.type];
  if (tag === undefined) throw new Error(`Cannot encode message: unknown type "${m.type}"`);
  if ((m.snapshot !== null) !== (m.type === "snap")) {
    throw new Error(`Cannot encode message: type "${m.type}" with snapshot ${m.snapshot !== null}`);
  }
  if (m.from === "" || m.to === "") {
    throw new Error(`Cannot encode message: from "${m.from}" or to "${m.to}" is empty`);
  }
  w.reserve(messageBytesEstimate(m));
  w.u8(tag);
  w.u8((m.reject ? FLAG_REJECT : 0) | (m.snapshot !== null ? FLAG_SNAPSHOT : 0));
  w.str16(m.from, NODE_ID_BYTES_MAX);
  w.str16(m.to, NODE_ID_BYTES_MAX);
  writeNumbers(w, m);
  w.u32(m.entries.length);
  for (const entry of m.entries) writeEntry(w, entry);
  if (m.snapshot !== null) writeSnapshot(w, m.snapshot);
}

function writeNumbers(w: ByteWriter, m: Message): void {
  checkInt(m.term, "term", TERM_MAX);
  checkInt(m.index, "index", INDEX_MAX);
  checkInt(m.logTerm, "logTerm", TERM_MAX);
  checkInt(m.commit, "commit", INDEX_MAX);
  checkInt(m.hint, "hint", INDEX_MAX);
  checkInt(m.seq, "seq");
  checkInt(m.ctx, "ctx");
  w.f64(m.term);
  w.f64(m.index);
  w.f64(m.logTerm);
  w.f64(m.commit);
  w.f64(m.hint);
  w.f64(m.seq);
  w.f64(m.ctx);
}

function writeEntry(w: ByteWriter, entry: Entry): void {
  checkInt(entry.index, "entry index", INDEX_MAX);
  checkInt(entry.term, "entry term", TERM_MAX);
  const type = entry.type === "normal" ? 0 : entry.type === "conf" ? 1 : -1;
  if (type < 0) throw new Error(`Cannot encode message: unknown entry type "${entry.type}"`);
  w.f64(entry.index);
  w.f64(entry.term);
  w.u8(type);
  w.u32(entry.data.length);
  w.raw(entry.data);
}

function writeSnapshot(w: ByteWriter, snapshot: Snapshot): void {
  checkInt(snapshot.meta.index, "snapshot index", INDEX_MAX);
  checkInt(snapshot.meta.term, "snapshot term", TERM_MAX);
  const membership = textEncoder.encode(JSON.stringify(snapshot.meta.membership));
  w.f64(snapshot.meta.index);
  w.f64(snapshot.meta.term);
  w.u32(membership.length);
  w.raw(membership);
  w.u32(snapshot.data.length);
  w.raw(snapshot.data);
}

/**
 * Decodes one message, validating every length, tag and number. Throws an
 * error starting with "Cannot decode message" on any malformed input.
 */
export function decodeMessage(bytes: Uint8Array): Message {
  const r: ByteReader = new ByteReader(bytes, "Cannot decode message");
  const type = MESSAGE_TYPES[r.u8()];
  if (type === undefined) r.fail(`unknown message type tag "${bytes[0]}"`);
  const flags = r.u8();
  if ((flags & ~FLAGS_KNOWN) !== 0) r.fail(`unknown flags "${flags}"`);
  const hasSnapshot = (flags & FLAG_SNAPSHOT) !== 0;
  if (hasSnapshot !== (type === "snap")) r.fail(`type "${type}" with snapshot ${hasSnapshot}`);
  const from = readNodeId(r, "from");
  const to = readNodeId(r, "to");
  const message: Message = {
    type,
    from,
    to,
    term: r.int("term", TERM_MAX),
    index: r.int("index", INDEX_MAX),
    logTerm: r.int("logTerm", TERM_MAX),
    entries: [],
    commit: r.int("commit", INDEX_MAX),
    reject: (flags & FLAG_REJECT) !== 0,
    hint: r.int("hint", INDEX_MAX),
    seq: r.int("seq"),
    ctx: r.int("ctx"),
    snapshot: null,
  };
  message.entries = readEntries(r);
  if (hasSnapshot) message.snapshot = readSnapshot(r);
  r.end();
  return message;
}

function readNodeId(r: ByteReader, field: string): string {
  const id = r.str16(field, NODE_ID_BYTES_MAX);
  if (id === "") r.fail(`${field} is empty`);
  return id;
}

/** Where the entries regions of received messages are copied (see `src/bytes/slabs.ts`). */
const regionSlabs = new Slabs();

/**
 * Reads the entries after checking every length. The whole entries region is
 * copied at once, into a shared slab unless it is large, and each entry's
 * data is a view into that copy: no allocation per entry, at the cost of
 * keeping the 21 header bytes of each entry alive alongside its data.
 */
function readEntries(r: ByteReader): Entry[] {
  const count = r.u32();
  if (count === 0) return [];
  if (count > r.remaining / ENTRY_HEADER_BYTES) r.fail(`entry count "${count}" exceeds input`);
  const start = r.offset;
  const regionBytes = measureEntries(r, count);
  const region = regionSlabs.copy(r.bytes.subarray(start, start + regionBytes));
  const entries: Entry[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const index = r.int("entry index", INDEX_MAX);
    const term = r.int("entry term", TERM_MAX);
    const type = ENTRY_TYPES[r.u8()];
    if (type === undefined) r.fail(`unknown entry type tag "${r.bytes[r.offset - 1]}"`);
    const length = r.u32();
    const offset = r.offset - start;
    r.offset += length;
    entries[i] = { index, term, type, data: region.subarray(offset, offset + length) };
  }
  return entries;
}

/** Walks `count` entries without consuming them; returns the bytes they span. */
function measureEntries(r: ByteReader, count: number): number {
  const start = r.offset;
  for (let i = 0; i < count; i++) {
    r.need(ENTRY_HEADER_BYTES);
    r.offset += ENTRY_HEADER_BYTES - 4;
    const length = r.u32();
    r.need(length);
    r.offset += length;
  }
  const spanned = r.offset - start;
  r.offset = start;
  return spanned;
}

function readSnapshot(r: ByteReader): Snapshot {
  const index = r.int("snapshot index", INDEX_MAX);
  const term = r.int("snapshot term", TERM_MAX);
  const membershipBytes = r.raw(r.u32());
  const membership = parseMembership(r, membershipBytes);
  const data = r.raw(r.u32()).slice();
  return { meta: { index, term, membership }, data };
}

function parseMembership(r: ByteReader, bytes: Uint8Array): Member[] {
  let value: unknown;
  try {
    value = JSON.parse(textDecoder.decode(bytes));
  } catch {
    return r.fail("snapshot membership is not valid JSON");
  }
  if (!Array.isArray(value) || value.length > MEMBERS_MAX) {
    return r.fail(`snapshot membership is not an array of at most ${MEMBERS_MAX} members`);
  }
  return value.map((item: unknown) => toMember(r, item));
}

function toMember(r: ByteReader, item: unknown): Member {
  const invalid = checkMember(item);
  if (invalid !== null) return r.fail(`snapshot membership: ${invalid}`);
  const m = item as Member;
  return { id: m.id, voter: m.voter, raftAddr: m.raftAddr, httpAddr: m.httpAddr };
}
