/**
 * Values are bytes. Inside the state machine a value is held as a string
 * when its bytes are valid UTF-8 (the common case, and the most compact form
 * the engine has: about one byte per ASCII character) and as bytes
 * otherwise; either way it stands for exactly one byte sequence. This file
 * converts between the two forms and the JSON view that shows text as text
 * and anything else as base64.
 *
 * @module
 */

import { decodeUtf8 } from "../bytes/utf8.ts";

/** A value: its UTF-8 text, or its bytes (which may or may not be valid UTF-8). */
export type Value = string | Uint8Array;

/** A value as JSON shows it: text, or base64 with `encoding` when the bytes are not UTF-8. */
export interface ValueText {
  value: string;
  encoding?: "base64";
}

const encoder = new TextEncoder();

/** Any character beyond ASCII; text without one has a UTF-8 length equal to its length. */
const NON_ASCII = /[\u0080-\uFFFF]/;

/** UTF-8 length of a well-formed string. */
export function utf8Length(text: string): number {
  if (!NON_ASCII.test(text)) return text.length;
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) continue;
    // Two bytes below U+0800; three above, and a surrogate pair's four are two per unit.
    bytes += unit < 0x800 || (unit >= 0xd800 && unit < 0xe000) ? 1 : 2;
  }
  return bytes;
}

/**
 * The number of bytes `value` stands for.
 *
 * @example
 * ```ts
 * import { valueByteLength } from "./value.ts";
 * if (valueByteLength("é🦀") !== 6 || valueByteLength(new Uint8Array(3)) !== 3) throw new Error();
 * ```
 */
export function valueByteLength(value: Value): number {
  return typeof value === "string" ? utf8Length(value) : value.length;
}

/** The bytes `value` stands for. */
export function valueBytes(value: Value): Uint8Array {
  return typeof value === "string" ? encoder.encode(value) : value;
}

/**
 * The compact form of `bytes`: a string when they are valid UTF-8, else a
 * copy (so that the value never holds on to a larger buffer it came from).
 *
 * @example
 * ```ts
 * import { valueFromBytes } from "./value.ts";
 * if (valueFromBytes(new Uint8Array([0x68, 0x69])) !== "hi") throw new Error();
 * if (!(valueFromBytes(new Uint8Array([0xff])) instanceof Uint8Array)) throw new Error();
 * ```
 */
export function valueFromBytes(bytes: Uint8Array): Value {
  return decodeUtf8(bytes) ?? bytes.slice();
}

/**
 * The JSON view of `value`: its text, or base64 marked `"encoding":"base64"`.
 *
 * @example
 * ```ts
 * import { valueText } from "./value.ts";
 * const view = valueText(new Uint8Array([0xff, 0x00]));
 * if (view.value !== "/wA=" || view.encoding !== "base64") throw new Error();
 * if (valueText("hi").encoding !== undefined) throw new Error();
 * ```
 */
export function valueText(value: Value): ValueText {
  if (typeof value === "string") return { value };
  const text = decodeUtf8(value);
  if (text !== null) return { value: text };
  return { value: value.toBase64(), encoding: "base64" };
}

/** True when two values stand for the same bytes. */
export function sameValue(a: Value, b: Value): boolean {
  if (typeof a === "string" && typeof b === "string") return a === b;
  const x = valueBytes(a);
  const y = valueBytes(b);
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
