/**
 * A snapshot's state machine bytes in pieces: a buffer cut into pieces
 * without copying, pieces joined into one buffer, and a reader over bytes
 * already in memory (what the in-memory storage hands out).
 *
 * @module
 */

import type { Snapshot } from "../raft/types.ts";
import type { SnapshotReader } from "./types.ts";

/** Largest piece a snapshot held in memory is cut into. */
export const SNAPSHOT_PIECE_BYTES = 1024 * 1024;

/**
 * `data` as pieces of at most {@link SNAPSHOT_PIECE_BYTES}, without copying.
 *
 * @example
 * ```ts
 * import { piecesOf, SNAPSHOT_PIECE_BYTES } from "./snapshot_pieces.ts";
 * const pieces = [...piecesOf(new Uint8Array(SNAPSHOT_PIECE_BYTES + 1))];
 * if (pieces.length !== 2 || pieces[1]!.length !== 1) throw new Error();
 * ```
 */
export function* piecesOf(data: Uint8Array): Generator<Uint8Array, void, undefined> {
  for (let offset = 0; offset < data.length; offset += SNAPSHOT_PIECE_BYTES) {
    yield data.subarray(offset, offset + SNAPSHOT_PIECE_BYTES);
  }
}

/**
 * The pieces joined into one buffer.
 *
 * @example
 * ```ts
 * import { joinPieces } from "./snapshot_pieces.ts";
 * const joined = await joinPieces([new Uint8Array([1]), new Uint8Array([2, 3])]);
 * if (joined.join() !== "1,2,3") throw new Error();
 * ```
 */
export async function joinPieces(
  pieces: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): Promise<Uint8Array> {
  const all: Uint8Array[] = [];
  let bytes = 0;
  for await (const piece of pieces) {
    // A writer may reuse a piece's buffer for the next one: keep a copy.
    all.push(piece.slice());
    bytes += piece.length;
  }
  const joined = new Uint8Array(bytes);
  let offset = 0;
  for (const piece of all) {
    joined.set(piece, offset);
    offset += piece.length;
  }
  return joined;
}

/**
 * A reader over a snapshot held in memory.
 *
 * @example
 * ```ts
 * import { memorySnapshotReader } from "./snapshot_pieces.ts";
 * const reader = memorySnapshotReader({
 *   meta: { index: 1, term: 1, membership: [] },
 *   data: new Uint8Array([4, 5, 6]),
 * });
 * if (reader.bytes !== 3 || (await reader.read(1, 5)).join() !== "5,6") throw new Error();
 * ```
 */
export function memorySnapshotReader(snapshot: Snapshot): SnapshotReader {
  const data = snapshot.data;
  return {
    meta: snapshot.meta,
    bytes: data.length,
    read: (offset, length) => Promise.resolve(data.slice(offset, offset + length)),
    close() {},
  };
}
