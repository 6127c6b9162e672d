/**
 * A bounds-checked little-endian cursor over received bytes. Every read
 * checks that the bytes exist, so truncated input fails with a clear error
 * instead of reading past the end.
 *
 * @module
 */

const textDecoder = new TextDecoder("utf-8", { fatal: true });

/** Node ids and addresses are short ASCII: building them by hand skips a decoder call. */
const ASCII_FAST_BYTES_MAX = 64;

/** The ASCII string of `bytes[start, start + length)`, or null if it is not short ASCII. */
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
 * Reads numbers, strings and byte ranges from `bytes`, throwing on any
 * read past the end.
 *
 * @example
 * ```ts
 * import { ByteReader } from "./byte_reader.ts";
 * const r = new ByteReader(new Uint8Array([7, 1, 0]), "example");
 * if (r.u8() !== 7 || r.u16() !== 1 || r.remaining() !== 0) throw new Error();
 * ```
 */
export class ByteReader {
  /** The input. */
  readonly bytes: Uint8Array;
  /** What is being decoded, for error messages ("message", "handshake"). */
  readonly what: string;
  /** Offset of the next byte to read. */
  pos = 0;
  private readonly view: DataView;

  /**
   * @param bytes the input
   * @param what what is being decoded, named in errors
   */
  constructor(bytes: Uint8Array, what: string) {
    this.bytes = bytes;
    this.what = what;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Bytes left to read. */
  remaining(): number {
    return this.bytes.length - this.pos;
  }

  /** Throws unless `count` more bytes exist. */
  need(count: number): void {
    if (count > this.bytes.length - this.pos) {
      throw new Error(
        `Cannot decode ${this.what}: truncated at byte ${this.pos} (need ${count} of ${this.remaining()})`,
      );
    }
  }

  /** Throws a decode error naming the current offset. */
  fail(reason: string): never {
    throw new Error(`Cannot decode ${this.what}: ${reason} at byte ${this.pos}`);
  }

  /** Reads one byte. */
  u8(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
  }

  /** Reads an unsigned 16-bit integer. */
  u16(): number {
    this.need(2);
    const value = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return value;
  }

  /** Reads an unsigned 32-bit integer. */
  u32(): number {
    this.need(4);
    const value = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return value;
  }

  /** Reads a float64 that must be an integer in `[0, max)` (any non-negative safe integer by default). */
  int(field: string, max = Number.MAX_SAFE_INTEGER + 1): number {
    this.need(8);
    const value = this.view.getFloat64(this.pos, true);
    if (!Number.isSafeInteger(value) || value < 0 || value >= max) {
      this.fail(`${field} "${value}" is not an integer in 0..${max - 1}`);
    }
    this.pos += 8;
    return value;
  }

  /** Reads `[length u16][utf-8 bytes]`, rejecting invalid UTF-8 and more than `bytesMax` bytes. */
  str16(field: string, bytesMax: number): string {
    const length = this.u16();
    if (length > bytesMax) this.fail(`${field} length "${length}" exceeds ${bytesMax} bytes`);
    this.need(length);
    const start = this.pos;
    this.pos += length;
    const ascii = asciiAt(this.bytes, start, length);
    if (ascii !== null) return ascii;
    try {
      return textDecoder.decode(this.bytes.subarray(start, this.pos));
    } catch {
      this.pos = start;
      return this.fail(`${field} is not valid UTF-8`);
    }
  }

  /** Returns a view of the next `count` bytes (no copy). */
  view8(count: number): Uint8Array {
    this.need(count);
    const start = this.pos;
    this.pos += count;
    return this.bytes.subarray(start, this.pos);
  }

  /** Throws unless every byte was consumed. */
  end(): void {
    if (this.pos !== this.bytes.length) this.fail(`${this.remaining()} trailing bytes`);
  }
}
