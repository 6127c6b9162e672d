/**
 * A growable little-endian byte buffer that encoders append to. One writer
 * per peer accumulates frames between writes, so steady-state encoding
 * allocates nothing.
 *
 * @module
 */

const textEncoder = new TextEncoder();

/** Bytes a writer starts with, and keeps when it shrinks after a large batch. */
const WRITER_BYTES_INITIAL = 4096;
/** Past this capacity, `reset()` gives the memory back instead of keeping it. */
const WRITER_BYTES_RETAINED_MAX = 1 << 20;

/** Node ids and addresses are short ASCII: copying them by hand skips an encoder call. */
const ASCII_FAST_CHARS_MAX = 64;

/** Writes short ASCII `text` at `offset`; returns its length, or -1 if it is not short ASCII. */
function asciiInto(text: string, bytes: Uint8Array, offset: number): number {
  if (text.length > ASCII_FAST_CHARS_MAX) return -1;
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
 * import { ByteWriter } from "./byte_writer.ts";
 * const w = new ByteWriter();
 * w.u8(7);
 * w.u32(1);
 * if (w.length !== 5 || w.bytes[0] !== 7) throw new Error();
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
    let written = asciiInto(text, this.bytes, start);
    if (written < 0) {
      written = textEncoder.encodeInto(text, this.bytes.subarray(start)).written;
    }
    if (written > bytesMax) {
      throw new Error(`String "${text.slice(0, 40)}" is longer than ${bytesMax} bytes`);
    }
    this.view.setUint16(this.length, written, true);
    this.length = start + written;
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
}
