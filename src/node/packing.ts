/**
 * Packing the commands of proposals into shared slabs (`src/bytes/slabs.ts`)
 * before they enter the log: the log keeps every entry until a snapshot
 * covers it, and a command in a slab costs a view instead of a buffer and a
 * native allocation of its own.
 *
 * @module
 */

import { SLAB_COPY_BYTES_MAX, type Slabs } from "../bytes/slabs.ts";
import type { Proposal } from "./requests.ts";

/**
 * Copies the data of `proposals` small enough for a slab (`SLAB_COPY_BYTES_MAX`)
 * into `slabs` and points each at its copy; a larger command keeps its own
 * buffer, uncopied. Answers them.
 *
 * @example
 * ```ts
 * import { packProposals } from "./packing.ts";
 * import { Slabs } from "../bytes/slabs.ts";
 * const settle = { resolve() {}, reject() {}, conf: null, deadline: 0 };
 * const packed = packProposals([
 *   { ...settle, data: new Uint8Array([1, 2]) },
 *   { ...settle, data: new Uint8Array([3]) },
 * ], new Slabs());
 * if (packed[0]!.data.buffer !== packed[1]!.data.buffer) throw new Error("one buffer");
 * if (packed[1]!.data.join() !== "3") throw new Error("the bytes are kept");
 * ```
 */
export function packProposals(proposals: Proposal[], slabs: Slabs): Proposal[] {
  for (const p of proposals) {
    if (p.data.length <= SLAB_COPY_BYTES_MAX) p.data = slabs.copy(p.data);
  }
  return proposals;
}
