/**
 * The one bounds-checked little-endian reader every decoder uses (peer
 * frames, log commands, snapshots): every read checks that the bytes exist,
 * so truncated input fails with a clear error instead of reading past the
 * end, and every error starts with the reader's context.
 *
 * @module
 */

import { joinU64 } from "./u64.ts";
import { decodeUtf8 } from "./utf8.ts";

/**
 * Longest ASCII text built a character at a time (node ids, short keys),
 * which skips a decoder call. Up to 12 characters the engine makes each step
 * a flat string; from 13 on it makes a rope, which costs every later
 * comparison or hash a flattening (and a key kept in the store an extra
 * object), so longer text goes to the decoder, which answers a flat string.
 */
const ASCII_FAST_BYTES_MAX = 12;

/** Bytes `[start, start + length)` as text when they are short ASCII, else null. */
function asciiAt(bytes: Uint8Array, start: number, length: number): string | null {
  if (length > ASCII_FAST_BYTES_MAX) return null;
  let text = "";
  for (let i = start; i < start + length; i++) {
    const code = bytes[i]!;
    if (code >= 0x80) return null;
    text += String.fromCharCode(code);
  }
  return text;
}

/**
 * Reads numbers, strings and byte ranges from `bytes`, throwing on any read
 * past the end.
 *
 * @example
 * ```ts
 * import { ByteReader } from "./reader.ts";
 * const r = new ByteReader(new Uint8Array([7, 1, 0, 0xac, 0x02]), "Cannot read example");
 * if (r.u8() !== 7 || r.u16() !== 1 || r.varint() !== 300 || r.remaining !== 0) throw new Error();
 * ```
 */
export class ByteReader {
  /** The input. */
  readonly bytes: Uint8Array;
  /** The start of every error message, e.g. `"Cannot decode message"`. */
  readonly context: string;
  /** Offset of the next byte to read. */
  offset = 0;
  /** Made on the first float read: most readers never need one, and each costs an object. */
  private view: DataView | null = null;

  /**
   * @param bytes the input
   * @param context what is being read, as the start of every error message
   */
  constructor(bytes: Uint8Array, context: string) {
    this.bytes = bytes;
    this.context = context;
  }

  /** Bytes left to read. */
  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  /** Throws unless `count` more bytes exist. */
  need(count: number): void {
    if (count > this.bytes.length - this.offset) {
      this.fail(`truncated at byte ${this.offset} (need ${count} of ${this.remaining})`);
    }
  }

  /** Throws `"<context>: <problem>"`. */
  fail(problem: string): never {
    throw new Error(`${this.context}: ${problem}`);
  }

  /** Reads one byte. */
  u8(): number {
    this.need(1);
    return this.bytes[this.offset++]!;
  }

  /** Reads an unsigned 16-bit integer. */
  u16(): number {
    this.need(2);
    const b = this.bytes;
    const at = this.offset;
    this.offset += 2;
    return b[at]! | (b[at + 1]! << 8);
  }

  /** Reads an unsigned 32-bit integer. */
  u32(): number {
    this.need(4);
    const b = this.bytes;
    const at = this.offset;
    this.offset += 4;
    return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) + b[at + 3]! * 0x1000000;
  }

  /** Reads a u64 written as two u32 halves, low first. */
  u64(): number {
    const low = this.u32();
    return joinU64(low, this.u32());
  }

  /** Reads a float64 that must be an integer in `[0, max)` (any non-negative safe integer by default). */
  int(field: string, max = Number.MAX_SAFE_INTEGER + 1): number {
    this.need(8);
    const b = this.bytes;
    this.view ??= new DataView(b.buffer, b.byteOffset, b.byteLength);
    const value = this.view.getFloat64(this.offset, true);
    if (!Number.isSafeInteger(value) || value < 0 || value >= max) {
      this.fail(`${field} "${value}" is not an integer in 0..${max - 1} at byte ${this.offset}`);
    }
    this.offset += 8;
    return value;
  }

  /** Reads an LEB128 varint of at most 8 bytes that is a safe integer. */
  varint(): number {
    const bytes = this.bytes;
    const start = this.offset;
    let value = 0;
    let scale = 1;
    for (let at = start; at < start + 8 && at < bytes.length; at++) {
      const byte = bytes[at]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (value > Number.MAX_SAFE_INTEGER) this.fail(`varint at byte "${start}" is too large`);
        this.offset = at + 1;
        return value;
      }
      scale *= 0x80;
    }
    return this.fail(`varint at byte "${start}" is truncated or too long`);
  }

  /** Reads `[length u16][utf-8 bytes]`, rejecting invalid UTF-8 and more than `bytesMax` bytes. */
  str16(field: string, bytesMax: number): string {
    const length = this.u16();
    if (length > bytesMax) this.fail(`${field} length "${length}" exceeds ${bytesMax} bytes`);
    this.need(length);
    const start = this.offset;
    this.offset += length;
    const text = asciiAt(this.bytes, start, length) ??
      decodeUtf8(this.bytes.subarray(start, this.offset));
    if (text !== null) return text;
    this.offset = start;
    return this.fail(`${field} is not valid UTF-8 at byte ${start}`);
  }

  /** Returns a view of the next `length` bytes (no copy). */
  raw(length: number): Uint8Array {
    this.need(length);
    const start = this.offset;
    this.offset += length;
    return this.bytes.subarray(start, this.offset);
  }

  /** Decodes the UTF-8 text in bytes `[start, start + length)` without moving `offset`. */
  string(start: number, length: number): string {
    if (start + length > this.bytes.length) {
      this.fail(`text at byte "${start}" of "${length}" bytes runs past the end`);
    }
    const text = asciiAt(this.bytes, start, length) ??
      decodeUtf8(this.bytes.subarray(start, start + length));
    return text ?? this.fail(`text at byte "${start}" is not valid UTF-8`);
  }

  /** Reads a varint byte length and that many bytes of UTF-8 text. */
  prefixedString(): string {
    const length = this.varint();
    const text = this.string(this.offset, length);
    this.offset += length;
    return text;
  }

  /** Throws unless every byte was consumed. */
  end(): void {
    if (this.offset !== this.bytes.length) {
      this.fail(`${this.remaining} trailing bytes at byte ${this.offset}`);
    }
  }
}
