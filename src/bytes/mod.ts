/**
 * The byte toolkit every encoder and decoder shares: a growable writer, a
 * bounds-checked reader, u64 halves, strict UTF-8 decoding and slabs for
 * small arrays that live long.
 *
 * @module
 */

export { ByteWriter } from "./writer.ts";
export { ByteReader } from "./reader.ts";
export { getU64, joinU64, setU64, splitU64 } from "./u64.ts";
export { decodeUtf8 } from "./utf8.ts";
export { SLAB_BYTES, SLAB_COPY_BYTES_MAX, Slabs } from "./slabs.ts";
