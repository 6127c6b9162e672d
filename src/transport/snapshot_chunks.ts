/**
 * Snapshots travel in bounded chunks: a `snap` message whose data is larger
 * than the chunk size goes out as a `snapHead` frame (the message with empty
 * data, plus the data's size) followed by `snapChunk` frames in order. The
 * receiver reassembles them, bounded, before delivering the message. TCP
 * keeps the frames in order, and the sender writes a transfer's chunks right
 * after its head (a stored snapshot is read a chunk at a time as the
 * connection takes it), so nothing may come between the head and its last
 * chunk.
 *
 * @module
 */

import type { Message } from "../raft/types.ts";
import { ByteReader } from "../bytes/reader.ts";
import type { ByteWriter } from "../bytes/writer.ts";
import { decodeMessage, encodeMessage } from "./codec.ts";
import { beginFrame, endFrame, FrameKind } from "./frame.ts";

const EMPTY = new Uint8Array(0);

/**
 * Appends the frames carrying `m` to `w`: one message frame, or a head and
 * chunks for large snapshot data. All or nothing: on error (a frame above
 * `frameBytesMax`, a value the codec refuses) `w` is left as it was.
 */
export function writeMessageFrames(
  w: ByteWriter,
  m: Message,
  limits: { frameBytesMax: number; snapshotChunkBytes: number },
): void {
  const start = w.length;
  try {
    const snapshot = m.snapshot;
    if (snapshot === null || snapshot.data.length <= limits.snapshotChunkBytes) {
      const frame = beginFrame(w, FrameKind.message);
      encodeMessage(m, w);
      endFrame(w, frame, limits.frameBytesMax);
      return;
    }
    writeSnapshotHead(w, m, snapshot.data.length, limits.frameBytesMax);
    const data = snapshot.data;
    for (let offset = 0; offset < data.length; offset += limits.snapshotChunkBytes) {
      const chunk = data.subarray(offset, offset + limits.snapshotChunkBytes);
      writeSnapshotChunk(w, chunk, limits.frameBytesMax);
    }
  } catch (error) {
    w.length = start;
    throw error;
  }
}

/**
 * Appends the `snapHead` frame of snapshot message `m` whose data, `bytes`
 * long, follows in chunk frames ({@link writeSnapshotChunk}). All or
 * nothing, as {@link writeMessageFrames}.
 *
 * @example
 * ```ts
 * import { ByteWriter } from "../bytes/writer.ts";
 * import { SnapshotAssembler, writeSnapshotChunk, writeSnapshotHead } from "./snapshot_chunks.ts";
 * const m = {
 *   type: "snap" as const, from: "n1", to: "n2", term: 2, index: 0, logTerm: 0, entries: [],
 *   commit: 0, reject: false, hint: 0, seq: 0, ctx: 0,
 *   snapshot: { meta: { index: 9, term: 2, membership: [] }, data: new Uint8Array(0) },
 * };
 * const head = new ByteWriter();
 * writeSnapshotHead(head, m, 3, 1024);
 * const chunk = new ByteWriter();
 * writeSnapshotChunk(chunk, new Uint8Array([7, 8, 9]), 1024);
 * const assembler = new SnapshotAssembler(1 << 20);
 * assembler.begin(head.written().subarray(4));
 * if (assembler.add(chunk.written().subarray(4))?.snapshot?.data.join() !== "7,8,9") throw new Error();
 * ```
 */
export function writeSnapshotHead(
  w: ByteWriter,
  m: Message,
  bytes: number,
  frameBytesMax: number,
): void {
  const start = w.length;
  try {
    const head = beginFrame(w, FrameKind.snapHead);
    w.f64(bytes);
    encodeMessage({ ...m, snapshot: { meta: m.snapshot!.meta, data: EMPTY } }, w);
    endFrame(w, head, frameBytesMax);
  } catch (error) {
    w.length = start;
    throw error;
  }
}

/** Appends one `snapChunk` frame carrying `data`. */
export function writeSnapshotChunk(w: ByteWriter, data: Uint8Array, frameBytesMax: number): void {
  const chunk = beginFrame(w, FrameKind.snapChunk);
  w.raw(data);
  endFrame(w, chunk, frameBytesMax);
}

/**
 * Reassembles one chunked snapshot at a time from head and chunk frames.
 *
 * @example
 * ```ts
 * import { ByteWriter } from "../bytes/writer.ts";
 * import { SnapshotAssembler, writeMessageFrames } from "./snapshot_chunks.ts";
 * const m = {
 *   type: "snap" as const, from: "n1", to: "n2", term: 2, index: 0, logTerm: 0, entries: [],
 *   commit: 0, reject: false, hint: 0, seq: 0, ctx: 0,
 *   snapshot: { meta: { index: 9, term: 2, membership: [] }, data: new Uint8Array(10).fill(5) },
 * };
 * const w = new ByteWriter();
 * writeMessageFrames(w, m, { frameBytesMax: 1024, snapshotChunkBytes: 4 });
 * const frames = [];
 * for (let at = 0; at < w.length;) {
 *   const length = w.view.getUint32(at, true);
 *   frames.push(w.bytes.subarray(at + 4, at + 4 + length));
 *   at += 4 + length;
 * }
 * const assembler = new SnapshotAssembler(1 << 20);
 * assembler.begin(frames[0]!);
 * const done = frames.slice(1).map((frame) => assembler.add(frame));
 * if (done.length !== 3 || done[2]?.snapshot?.data.length !== 10) throw new Error();
 * ```
 */
export class SnapshotAssembler {
  private message: Message | null = null;
  private data: Uint8Array = EMPTY;
  private received = 0;
  private readonly snapshotBytesMax: number;

  /** @param snapshotBytesMax largest snapshot data accepted */
  constructor(snapshotBytesMax: number) {
    this.snapshotBytesMax = snapshotBytesMax;
  }

  /** Whether a transfer is under way (only chunk frames may come next). */
  get busy(): boolean {
    return this.message !== null;
  }

  /** Starts a transfer from a `snapHead` frame payload (kind byte first). */
  begin(payload: Uint8Array): Message {
    if (this.message !== null) {
      throw new Error("Snapshot head arrived before the last one finished");
    }
    const r: ByteReader = new ByteReader(payload.subarray(1), "Cannot decode snapshot head");
    const total = r.int("snapshot size");
    if (total === 0 || total > this.snapshotBytesMax) {
      r.fail(`snapshot size "${total}" is outside 1..${this.snapshotBytesMax} bytes`);
    }
    const message = decodeMessage(r.raw(r.remaining));
    if (message.snapshot?.data.length !== 0) {
      r.fail("snapshot head carries data inline");
    }
    this.message = message;
    this.data = new Uint8Array(total);
    this.received = 0;
    return message;
  }

  /** Adds a `snapChunk` frame payload; returns the finished message after the last chunk. */
  add(payload: Uint8Array): Message | null {
    const message = this.message;
    if (message === null) throw new Error("Snapshot chunk arrived without a snapshot head");
    const chunk = payload.subarray(1);
    if (chunk.length === 0 || chunk.length > this.data.length - this.received) {
      throw new Error(
        `Snapshot chunk of ${chunk.length} bytes does not fit: ${this.received} of ${this.data.length} received`,
      );
    }
    this.data.set(chunk, this.received);
    this.received += chunk.length;
    if (this.received < this.data.length) return null;
    message.snapshot = { meta: message.snapshot!.meta, data: this.data };
    this.message = null;
    this.data = EMPTY;
    return message;
  }
}
