/**
 * Small byte arrays that live long, copied into large shared buffers
 * ("slabs"). A log entry's command stays in memory until a snapshot covers
 * it, hundreds of thousands of them with a large state; with a buffer of its
 * own each costs the engine an `ArrayBuffer` and a native allocation, and
 * small buffers that live that long, interleaved in the C allocator's heap
 * with the short-lived ones of request handling, keep its pages from ever
 * being given back. In slabs, the cost is one view per entry, and since
 * entries are compacted in log order, slabs are freed whole, oldest first.
 * A slab stays alive while any view into it does.
 *
 * @module
 */

/** Bytes of one slab. */
export const SLAB_BYTES = 256 * 1024;
/** Arrays larger than this get a buffer of their own. */
export const SLAB_COPY_BYTES_MAX = 16 * 1024;

/**
 * Copies arrays into the current slab, starting a new one when it is full.
 *
 * @example
 * ```ts
 * import { Slabs } from "./slabs.ts";
 * const slabs = new Slabs();
 * const a = slabs.copy(new Uint8Array([1, 2]));
 * const b = slabs.copy(new Uint8Array([3]));
 * if (a.buffer !== b.buffer || b.join() !== "3" || a.join() !== "1,2") throw new Error();
 * if (slabs.copy(new Uint8Array(20_000)).buffer === a.buffer) throw new Error("large: its own");
 * ```
 */
export class Slabs {
  #slab = new Uint8Array(0);
  #used = 0;

  /** A copy of `bytes`: a view into a slab, or its own buffer past {@link SLAB_COPY_BYTES_MAX}. */
  copy(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
    const length = bytes.length;
    if (length > SLAB_COPY_BYTES_MAX) return bytes.slice();
    if (length > this.#slab.length - this.#used) {
      this.#slab = new Uint8Array(SLAB_BYTES);
      this.#used = 0;
    }
    const view = this.#slab.subarray(this.#used, this.#used + length);
    view.set(bytes);
    this.#used += length;
    return view;
  }
}
