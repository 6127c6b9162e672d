/**
 * The backup format: what `GET /snapshot` streams and `rafter snapshot save`
 * writes, a state machine snapshot (`src/kv/snapshot.ts`) cut into frames
 * that each carry their own checksum, so a damaged or truncated backup is
 * refused with the offset where it breaks. Integers little-endian:
 *
 * ```
 * header:  "RBAK" [version u8 = 1] [index u64] [term u64] [crc32c u32 of the 21 bytes before]
 * frames:  [length u32, 1..BACKUP_FRAME_BYTES_MAX] [crc32c u32 of the payload] [payload]
 * end:     [length u32 = 0] [crc32c u32 of the frames' checksums, in order] [payload bytes u64]
 * ```
 *
 * The payloads, joined, are the snapshot. The end marker's checksum covers
 * every frame's checksum rather than every byte again: each frame already
 * checks its own bytes, and the chain catches a frame lost, repeated or
 * moved, at a fraction of the cost of a second pass over the data. Writing is a generator over the
 * snapshot's chunks; reading is {@link BackupReader}, fed bytes as they come.
 *
 * @module
 */

import { getU64, setU64 } from "../bytes/u64.ts";
import { crc32cUpdate } from "./crc32c.ts";

const MAGIC = [0x52, 0x42, 0x41, 0x4b]; // "RBAK"
const VERSION = 1;
const HEADER_BYTES = 25;
const FRAME_HEAD_BYTES = 8;
/** The end marker after its frame head: the payload byte count. */
const END_TOTAL_BYTES = 8;

/**
 * The longest frame payload a backup holds, in bytes; longer snapshot chunks
 * are cut into several frames.
 *
 * @example
 * ```ts
 * import { BACKUP_FRAME_BYTES_MAX } from "./backup_file.ts";
 * if (BACKUP_FRAME_BYTES_MAX !== 1024 * 1024) throw new Error();
 * ```
 */
export const BACKUP_FRAME_BYTES_MAX = 1024 * 1024;

/** Where a backup's snapshot stands in the log it was taken from. */
export interface BackupMeta {
  /** The applied index the snapshot holds the state of. */
  index: number;
  /** The term of the entry at that index. */
  term: number;
}

/** What a backup held, once read to its end. */
export interface BackupSummary extends BackupMeta {
  /** Bytes of the snapshot (the payloads joined). */
  snapshotBytes: number;
  /** The backup's checksum: the CRC-32C of its frames' checksums, in order. */
  checksum: number;
  /** Bytes of the backup, header and frames included. */
  backupBytes: number;
}

/**
 * A backup that cannot be read: `offset` is where, in the backup's bytes,
 * the damage or the truncation was found.
 *
 * @example
 * ```ts
 * import { BackupFormatError } from "./backup_file.ts";
 * const error = new BackupFormatError("corrupt", 25, "the frame's checksum does not match");
 * if (error.offset !== 25 || !error.message.startsWith('Backup is corrupt at offset "25"')) {
 *   throw new Error(error.message);
 * }
 * ```
 */
export class BackupFormatError extends Error {
  /** The offset in the backup where the problem was found. */
  readonly offset: number;
  /**
   * @param kind `corrupt` (bytes that do not check) or `truncated` (bytes missing)
   * @param offset where it was found
   * @param problem what is wrong, in lower case
   */
  constructor(kind: "corrupt" | "truncated", offset: number, problem: string) {
    super(`Backup is ${kind} at offset "${offset}": ${problem}`);
    this.name = "BackupFormatError";
    this.offset = offset;
  }
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function frameHead(length: number, crc: number): Uint8Array {
  const head = new Uint8Array(FRAME_HEAD_BYTES);
  viewOf(head).setUint32(0, length, true);
  viewOf(head).setUint32(4, crc, true);
  return head;
}

/** Continues the chain of frame checksums with the frame whose head is `head`. */
function chained(chain: number, head: Uint8Array): number {
  return crc32cUpdate(chain, head, 4, FRAME_HEAD_BYTES);
}

function encodeHeader(meta: BackupMeta): Uint8Array {
  for (const [name, value] of Object.entries(meta)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`Cannot write a backup with ${name} "${value}"`);
    }
  }
  const header = new Uint8Array(HEADER_BYTES);
  const view = viewOf(header);
  header.set(MAGIC, 0);
  header[4] = VERSION;
  setU64(view, 5, meta.index);
  setU64(view, 13, meta.term);
  view.setUint32(21, crc32cUpdate(0, header, 0, 21), true);
  return header;
}

/**
 * The backup of a snapshot whose bytes are `chunks`, as a sequence of byte
 * arrays to write one after the other; made as they are asked for (the
 * chunks' bytes are not copied).
 *
 * @example
 * ```ts
 * import { BackupReader, backupChunks } from "./backup_file.ts";
 * const snapshot = new TextEncoder().encode("state machine bytes");
 * const reader = new BackupReader();
 * const payloads = [];
 * for (const bytes of backupChunks({ index: 7, term: 2 }, [snapshot])) {
 *   payloads.push(...reader.push(bytes));
 * }
 * const summary = reader.finish();
 * if (summary.index !== 7 || summary.snapshotBytes !== snapshot.length) throw new Error();
 * if (new TextDecoder().decode(payloads[0]) !== "state machine bytes") throw new Error();
 * ```
 */
export function* backupChunks(
  meta: BackupMeta,
  chunks: Iterable<Uint8Array>,
): Generator<Uint8Array, void, undefined> {
  yield encodeHeader(meta);
  let chain = 0;
  let total = 0;
  for (const chunk of chunks) {
    for (let at = 0; at < chunk.length; at += BACKUP_FRAME_BYTES_MAX) {
      const payload = chunk.subarray(at, at + BACKUP_FRAME_BYTES_MAX);
      const head = frameHead(payload.length, crc32cUpdate(0, payload));
      chain = chained(chain, head);
      total += payload.length;
      yield head;
      yield payload;
    }
  }
  const end = new Uint8Array(FRAME_HEAD_BYTES + END_TOTAL_BYTES);
  end.set(frameHead(0, chain), 0);
  setU64(viewOf(end), FRAME_HEAD_BYTES, total);
  yield end;
}

/** The part of a backup the reader expects next. */
type Part = "header" | "frameHead" | "payload" | "end" | "done";

/**
 * Reads a backup from bytes fed in pieces of any size, checking each part as
 * it completes: the header, every frame's checksum and length, and the end
 * marker's count and checksum of the frames. Throws a
 * {@link BackupFormatError} naming the offset at the first problem.
 *
 * @example
 * ```ts
 * import { BackupReader, backupChunks } from "./backup_file.ts";
 * const bytes = [...backupChunks({ index: 3, term: 1 }, [new Uint8Array(10)])];
 * const whole = new Uint8Array(bytes.flatMap((b) => [...b]));
 * const reader = new BackupReader();
 * reader.push(whole.subarray(0, whole.length - 1));
 * try {
 *   reader.finish();
 *   throw new Error("accepted");
 * } catch (error) {
 *   if (!String(error).includes("truncated")) throw error;
 * }
 * ```
 */
export class BackupReader {
  #part: Part = "header";
  #buffer = new Uint8Array(HEADER_BYTES);
  #filled = 0;
  /** Offset of the part being filled. */
  #partAt = 0;
  #frameCrc = 0;
  #meta: BackupMeta | null = null;
  #chain = 0;
  #snapshotBytes = 0;

  /** The header's index and term, once the header has been read. */
  get meta(): BackupMeta | null {
    return this.#meta;
  }

  /** Bytes read so far. */
  get offset(): number {
    return this.#partAt + this.#filled;
  }

  /** Feeds the next bytes; answers the frame payloads they complete, in order. */
  push(bytes: Uint8Array): Uint8Array[] {
    const payloads: Uint8Array[] = [];
    let at = 0;
    while (at < bytes.length) {
      if (this.#part === "done") {
        throw new BackupFormatError(
          "corrupt",
          this.offset,
          `"${bytes.length - at}" bytes or more follow the end marker`,
        );
      }
      const take = Math.min(this.#buffer.length - this.#filled, bytes.length - at);
      this.#buffer.set(bytes.subarray(at, at + take), this.#filled);
      this.#filled += take;
      at += take;
      if (this.#filled === this.#buffer.length) {
        const payload = this.#complete();
        if (payload !== null) payloads.push(payload);
      }
    }
    return payloads;
  }

  /** Checks that the backup ended after its end marker; answers what it held. */
  finish(): BackupSummary {
    if (this.#part !== "done") {
      throw new BackupFormatError("truncated", this.offset, this.#missing());
    }
    return {
      ...this.#meta!,
      snapshotBytes: this.#snapshotBytes,
      checksum: this.#chain,
      backupBytes: this.offset,
    };
  }

  #missing(): string {
    if (this.#part === "header") return "the data ends inside the backup header";
    if (this.#part === "frameHead" && this.#filled === 0) {
      return "the data ends between two frames, before the end marker";
    }
    return `the data ends inside the frame that starts at offset "${this.#frameStart()}"`;
  }

  #frameStart(): number {
    return this.#part === "frameHead" ? this.#partAt : this.#partAt - FRAME_HEAD_BYTES;
  }

  /** Handles the part just filled and moves on to the next; answers a payload, if any. */
  #complete(): Uint8Array | null {
    const part = this.#buffer;
    const view = viewOf(part);
    let payload: Uint8Array | null = null;
    switch (this.#part) {
      case "header":
        this.#meta = readHeader(part);
        this.#next("frameHead", FRAME_HEAD_BYTES);
        break;
      case "frameHead":
        this.#frameHead(part);
        break;
      case "payload":
        if (crc32cUpdate(0, part) !== this.#frameCrc) {
          this.#fail(this.#partAt - FRAME_HEAD_BYTES, "the frame's checksum does not match");
        }
        this.#snapshotBytes += part.length;
        payload = part;
        this.#next("frameHead", FRAME_HEAD_BYTES);
        break;
      case "end":
        this.#end(getU64(view, 0));
        break;
    }
    return payload;
  }

  #frameHead(head: Uint8Array): void {
    const length = viewOf(head).getUint32(0, true);
    this.#frameCrc = viewOf(head).getUint32(4, true);
    if (length === 0) return this.#next("end", END_TOTAL_BYTES);
    this.#chain = chained(this.#chain, head);
    if (length > BACKUP_FRAME_BYTES_MAX) {
      this.#fail(this.#partAt, `a frame of "${length}" bytes is longer than any backup holds`);
    }
    this.#next("payload", length);
  }

  #end(total: number): void {
    const at = this.#partAt - FRAME_HEAD_BYTES;
    if (total !== this.#snapshotBytes) {
      this.#fail(at, `the end marker counts "${total}" bytes, the frames "${this.#snapshotBytes}"`);
    }
    if (this.#frameCrc !== this.#chain) {
      this.#fail(at, "the end marker's checksum of the frames does not match");
    }
    this.#next("done", 0);
  }

  #next(part: Part, bytes: number): void {
    this.#partAt += this.#filled;
    this.#part = part;
    this.#buffer = new Uint8Array(bytes);
    this.#filled = 0;
  }

  #fail(offset: number, problem: string): never {
    throw new BackupFormatError("corrupt", offset, problem);
  }
}

function readHeader(header: Uint8Array): BackupMeta {
  if (MAGIC.some((byte, i) => header[i] !== byte)) {
    throw new BackupFormatError("corrupt", 0, 'the data does not start with "RBAK"');
  }
  if (header[4] !== VERSION) {
    throw new BackupFormatError("corrupt", 4, `unknown version "${header[4]}"`);
  }
  const view = viewOf(header);
  if (crc32cUpdate(0, header, 0, 21) !== view.getUint32(21, true)) {
    throw new BackupFormatError("corrupt", 21, "the header's checksum does not match");
  }
  const meta = { index: getU64(view, 5), term: getU64(view, 13) };
  if (meta.index < 1 || meta.term < 1) {
    const holds = `the header holds index "${meta.index}" and term "${meta.term}"`;
    throw new BackupFormatError("corrupt", 5, `${holds}; both must be at least 1`);
  }
  return meta;
}
