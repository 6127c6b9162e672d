/**
 * UTF-8 decoding that rejects malformed bytes at the speed of the lenient
 * decoder: the lenient pass runs first, and only text that contains U+FFFD
 * (a replacement, or a genuine U+FFFD) is decoded again strictly.
 *
 * @module
 */

const lenient = new TextDecoder("utf-8", { ignoreBOM: true });
const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Decodes `bytes` as UTF-8 (a leading BOM is kept as text); null when they are malformed.
 *
 * @example
 * ```ts
 * import { decodeUtf8 } from "./utf8.ts";
 * if (decodeUtf8(new Uint8Array([0x68, 0x69])) !== "hi") throw new Error();
 * if (decodeUtf8(new Uint8Array([0xff])) !== null) throw new Error();
 * ```
 */
export function decodeUtf8(bytes: Uint8Array): string | null {
  const text = lenient.decode(bytes);
  if (!text.includes("\uFFFD")) return text;
  try {
    return strict.decode(bytes);
  } catch {
    return null;
  }
}
