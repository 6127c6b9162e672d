/**
 * The byte toolkit every encoder and decoder shares: a growable writer, a
 * bounds-checked reader, u64 halves and strict UTF-8 decoding.
 *
 * @module
 */

export { ByteWriter } from "./writer.ts";
export { ByteReader } from "./reader.ts";
export { getU64, joinU64, setU64, splitU64 } from "./u64.ts";
export { decodeUtf8 } from "./utf8.ts";
