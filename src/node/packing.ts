/**
 * Packing the commands of one turn's proposals into one buffer: the log
 * keeps every entry until a snapshot covers it (hundreds of thousands with a
 * large state), and an entry whose data has a buffer of its own costs the
 * engine an `ArrayBuffer` and a native allocation besides its bytes. Views
 * into one buffer per turn cost only the view, and the entries of a turn,
 * consecutive in the log, are compacted together, so the buffer is freed
 * whole.
 *
 * @module
 */

import type { Proposal } from "./requests.ts";

/** Commands up to this size are packed; a larger one keeps its own buffer. */
export const PACKED_COMMAND_BYTES_MAX = 4096;

/**
 * Copies the data of `proposals` of at most {@link PACKED_COMMAND_BYTES_MAX}
 * bytes into one new buffer and points each at its part; answers them.
 *
 * @example
 * ```ts
 * import { packProposals } from "./packing.ts";
 * const settle = { resolve() {}, reject() {}, conf: null, deadline: 0 };
 * const packed = packProposals([
 *   { ...settle, data: new Uint8Array([1, 2]) },
 *   { ...settle, data: new Uint8Array([3]) },
 * ]);
 * if (packed[0]!.data.buffer !== packed[1]!.data.buffer) throw new Error("one buffer");
 * if (packed[1]!.data.join() !== "3") throw new Error("the bytes are kept");
 * ```
 */
export function packProposals(proposals: Proposal[]): Proposal[] {
  let total = 0;
  let count = 0;
  for (const p of proposals) {
    if (p.data.length > PACKED_COMMAND_BYTES_MAX) continue;
    total += p.data.length;
    count++;
  }
  if (count < 2) return proposals;
  const region = new Uint8Array(total);
  let at = 0;
  for (const p of proposals) {
    const length = p.data.length;
    if (length > PACKED_COMMAND_BYTES_MAX) continue;
    region.set(p.data, at);
    p.data = region.subarray(at, at + length);
    at += length;
  }
  return proposals;
}
