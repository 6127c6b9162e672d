/**
 * Sending a snapshot over a connection: its head frame, then its data a
 * chunk at a time, each chunk read from its source (a stored snapshot file)
 * only when the connection has taken the one before: memory holds one chunk
 * whatever the snapshot's size.
 *
 * @module
 */

import { ByteWriter } from "../bytes/writer.ts";
import type { Message } from "../raft/types.ts";
import { writeAll } from "./io.ts";
import { writeSnapshotChunk, writeSnapshotHead } from "./snapshot_chunks.ts";
import type { SnapshotSource } from "./types.ts";

/** Room in a chunk frame for its length and kind. */
const CHUNK_FRAME_OVERHEAD_BYTES = 64;

/**
 * Writes `source`'s data to `conn` as `snapChunk` frames of at most
 * `limits.snapshotChunkBytes`, calling `sent` with each write's bytes.
 *
 * @example
 * ```ts ignore
 * await streamSnapshotChunks(conn, source, limits, (bytes) => meter.sent(peer, bytes));
 * ```
 */
export async function streamSnapshotChunks(
  conn: Deno.Conn,
  source: SnapshotSource,
  limits: { snapshotChunkBytes: number; frameBytesMax: number },
  sent: (bytes: number) => void,
): Promise<void> {
  const { snapshotChunkBytes, frameBytesMax } = limits;
  const frame = new ByteWriter(snapshotChunkBytes + CHUNK_FRAME_OVERHEAD_BYTES);
  // Bounded by the snapshot's size: every turn sends one chunk or throws.
  for (let offset = 0; offset < source.bytes; offset += snapshotChunkBytes) {
    const data = await source.read(offset, snapshotChunkBytes);
    if (data.length === 0) throw new Error(`Snapshot data ends early at byte ${offset}`);
    frame.length = 0;
    writeSnapshotChunk(frame, data, frameBytesMax);
    await writeAll(conn, frame.written());
    sent(frame.length);
  }
}

/**
 * One snapshot queued on a link: its head frame, built when it is queued,
 * then its chunks, read as the connection takes them.
 *
 * @example
 * ```ts ignore
 * const transfer = new SnapshotTransfer(m, source, limits.frameBytesMax);
 * await transfer.send(conn, limits, (bytes) => meter.sent(peer, bytes));
 * transfer.source.close();
 * ```
 */
export class SnapshotTransfer {
  readonly source: SnapshotSource;
  readonly #head: Uint8Array;
  /** The head went out: the connection is committed to this transfer's chunks. */
  started = false;

  /** Frames the head of `m` (its data in `source`); throws, closing `source`, when it cannot. */
  constructor(m: Message, source: SnapshotSource, frameBytesMax: number) {
    const head = new ByteWriter();
    try {
      writeSnapshotHead(head, m, source.bytes, frameBytesMax);
    } catch (error) {
      source.close();
      throw error;
    }
    this.source = source;
    this.#head = head.written();
  }

  /** Writes the head, then the chunks, to `conn`; calls `sent` with each write's bytes. */
  async send(
    conn: Deno.Conn,
    limits: { snapshotChunkBytes: number; frameBytesMax: number },
    sent: (bytes: number) => void,
  ): Promise<void> {
    this.started = true;
    await writeAll(conn, this.#head);
    sent(this.#head.length);
    await streamSnapshotChunks(conn, this.source, limits, sent);
  }
}
