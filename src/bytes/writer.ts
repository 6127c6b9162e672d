/**
 * The one growable little-endian byte buffer every encoder appends to (peer
 * frames, log commands, snapshots): fixed-width numbers, LEB128 varints,
 * length-prefixed text. A peer's writer is reused between writes, so
 * steady-state encoding allocates nothing.
 *
 * @module
 */

import { splitU64 } from "./u64.ts";

const textEncoder = new TextEncoder();

/** Bytes a writer starts with, and keeps when it shrinks after a large batch. */
const WRITER_BYTES_INITIAL = 4096;
/** Past this capacity, `reset()` gives the memory back instead of keeping it. */
const WRITER_BYTES_RETAINED_MAX = 1 << 20;

/** Node ids and addresses are short ASCII: copying them by hand skips an encoder call. */
const ASCII_FAST_CHARS_MAX = 64;
/** Longest key or value `text` copies as ASCII before the encoder (which wins beyond it). */
const ASCII_TEXT_CHARS_MAX = 24;

/**
 * Writes ASCII `text` of at most `charsMax` characters at `offset`; returns
 * its length, or -1 if it is longer or not ASCII.
 */
function asciiInto(text: string, bytes: Uint8Array, offset: number, charsMax: number): number {
  if (text.length > charsMax) return -1;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return -1;
    bytes[offset + i] = code;
  }
  return text.length;
}

/**
 * Appends numbers, strings and byte arrays to a buffer that grows as needed.
 *
 * @example
 * ```ts
 * import { ByteWriter } from "./writer.ts";
 * const w = new ByteWriter();
 * w.u8(7);
 * w.u32(1);
 * w.varint(300);
 * if (w.length !== 7 || w.bytes[0] !== 7) throw new Error();
 * ```
 */
export class ByteWriter {
  /** The buffer; only `bytes.subarray(0, length)` is meaningful. Replaced on growth. */
  bytes: Uint8Array;
  /** A view over `bytes`, replaced with it. */
  view: DataView;
  /** Number of bytes written. */
  length = 0;

  /** @param bytesInitial starting capacity in bytes */
  constructor(bytesInitial = WRITER_BYTES_INITIAL) {
    this.bytes = new Uint8Array(bytesInitial);
    this.view = new DataView(this.bytes.buffer);
  }

  /** Makes room for `count` more bytes. */
  reserve(count: number): void {
    const needed = this.length + count;
    if (needed <= this.bytes.length) return;
    let capacity = Math.max(this.bytes.length * 2, 64);
    while (capacity < needed) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }

  /** Appends one byte. */
  u8(value: number): void {
    this.reserve(1);
    this.bytes[this.length++] = value;
  }

  /** Appends an unsigned 16-bit integer. */
  u16(value: number): void {
    this.reserve(2);
    this.view.setUint16(this.length, value, true);
    this.length += 2;
  }

  /** Appends an unsigned 32-bit integer. */
  u32(value: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, value, true);
    this.length += 4;
  }

  /** Appends a float64; integers up to 2^53 survive exactly. */
  f64(value: number): void {
    this.reserve(8);
    this.view.setFloat64(this.length, value, true);
    this.length += 8;
  }

  /** Appends raw bytes. */
  raw(data: Uint8Array): void {
    this.reserve(data.length);
    this.bytes.set(data, this.length);
    this.length += data.length;
  }

  /**
   * Appends `[length u16][utf-8 bytes]`; throws when the encoding is longer
   * than `bytesMax` (at most 65535).
   */
  str16(text: string, bytesMax: number): void {
    this.reserve(2 + text.length * 3);
    const start = this.length + 2;
    let written = asciiInto(text, this.bytes, start, ASCII_FAST_CHARS_MAX);
    if (written < 0) {
      written = textEncoder.encodeInto(text, this.bytes.subarray(start)).written;
    }
    if (written > bytesMax) {
      throw new Error(`String "${text.slice(0, 40)}" is longer than ${bytesMax} bytes`);
    }
    this.view.setUint16(this.length, written, true);
    this.length = start + written;
  }

  /** Appends a non-negative safe integer as an LEB128 varint. */
  varint(value: number): void {
    this.reserve(8);
    const bytes = this.bytes;
    let at = this.length;
    while (value >= 0x80) {
      bytes[at++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    bytes[at++] = value;
    this.length = at;
  }

  /** Appends a u64 as two u32 halves, low first (the value below 2^53). */
  u64(value: number): void {
    const [low, high] = splitU64(value);
    this.u32(low);
    this.u32(high);
  }

  /** Appends the UTF-8 bytes of `text` with no length prefix; returns how many were written. */
  text(text: string): number {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    this.reserve(3 * text.length);
    const start = this.length;
    // Short ASCII text (most keys) is copied byte by byte: cheaper than
    // making a view for `encodeInto`, which wins for longer text.
    let written = asciiInto(text, this.bytes, start, ASCII_TEXT_CHARS_MAX);
    if (written < 0) written = textEncoder.encodeInto(text, this.bytes.subarray(start)).written;
    this.length += written;
    return written;
  }

  /**
   * Appends `text` as a varint byte length followed by its UTF-8 bytes in
   * one pass: the length is written afterwards into room reserved for the
   * longest length the text could have, padded with continuation bytes (a
   * non-minimal varint, which `ByteReader.varint` reads like any other).
   */
  lengthPrefixedText(text: string): void {
    let width = 1;
    for (let most = 3 * text.length; most >= 0x80; most = Math.floor(most / 0x80)) width++;
    this.reserve(width + 3 * text.length);
    const at = this.length;
    this.length += width;
    let length = this.text(text);
    const bytes = this.bytes;
    for (let i = 0; i < width; i++) {
      bytes[at + i] = (length % 0x80) | (i < width - 1 ? 0x80 : 0);
      length = Math.floor(length / 0x80);
    }
  }

  /** Appends `text` as a varint byte length followed by its UTF-8 bytes. */
  string(text: string): void {
    // When every length this text could have fits one byte, the one-pass
    // form is already minimal: encoded in place, with no buffer of its own.
    if (3 * text.length < 0x80) return this.lengthPrefixedText(text);
    const encoded = textEncoder.encode(text);
    this.varint(encoded.length);
    this.raw(encoded);
  }

  /** Overwrites a u32 at `offset` (a length prefix written before its payload). */
  patchU32(offset: number, value: number): void {
    this.view.setUint32(offset, value, true);
  }

  /** Forgets the contents, giving back memory beyond a modest capacity. */
  reset(): void {
    this.length = 0;
    if (this.bytes.length > WRITER_BYTES_RETAINED_MAX) {
      this.bytes = new Uint8Array(WRITER_BYTES_INITIAL);
      this.view = new DataView(this.bytes.buffer);
    }
  }

  /** The written bytes as a view (valid until the next write or reset). */
  written(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }

  /** The written bytes to keep: a view when little capacity is unused, else a copy. */
  finish(): Uint8Array {
    const used = this.written();
    return this.length * 4 >= this.bytes.length * 3 ? used : used.slice();
  }
}
