/**
 * A growable byte writer and a bounds-checked reader with LEB128 varints,
 * the building blocks of the snapshot format.
 *
 * @module
 */

import { decodeUtf8 } from "./utf8.ts";

const encoder = new TextEncoder();
/** Longest text `ByteWriter.text` tries to copy as ASCII before using the encoder. */
const ASCII_COPY_CHARS_MAX = 24;

/**
 * Appends bytes to a buffer that doubles when full.
 *
 * @example
 * ```ts
 * import { ByteReader, ByteWriter } from "./bytes.ts";
 * const writer = new ByteWriter(4);
 * writer.varint(300);
 * writer.string("héllo");
 * const reader = new ByteReader(writer.bytes(), "Cannot read");
 * if (reader.varint() !== 300 || reader.prefixedString() !== "héllo") throw new Error();
 * ```
 */
export class ByteWriter {
  #buffer: Uint8Array;
  #length = 0;

  /** @param capacityBytes the initial capacity */
  constructor(capacityBytes: number) {
    this.#buffer = new Uint8Array(Math.max(16, capacityBytes));
  }

  /** Bytes written so far. */
  get length(): number {
    return this.#length;
  }

  /** Makes room for `bytes` more bytes. */
  reserve(bytes: number): void {
    const needed = this.#length + bytes;
    if (needed <= this.#buffer.length) return;
    const grown = new Uint8Array(Math.max(needed, this.#buffer.length * 2));
    grown.set(this.#buffer.subarray(0, this.#length));
    this.#buffer = grown;
  }

  /** Appends one byte. */
  u8(value: number): void {
    this.reserve(1);
    this.#buffer[this.#length++] = value;
  }

  /** Appends a 32-bit unsigned integer, little-endian. */
  u32(value: number): void {
    this.reserve(4);
    const buffer = this.#buffer;
    let at = this.#length;
    buffer[at++] = value & 0xff;
    buffer[at++] = (value >>> 8) & 0xff;
    buffer[at++] = (value >>> 16) & 0xff;
    buffer[at++] = value >>> 24;
    this.#length = at;
  }

  /** Appends a non-negative safe integer as an LEB128 varint. */
  varint(value: number): void {
    this.reserve(8);
    const buffer = this.#buffer;
    let at = this.#length;
    while (value >= 0x80) {
      buffer[at++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    buffer[at++] = value;
    this.#length = at;
  }

  /** Appends raw bytes. */
  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.#buffer.set(bytes, this.#length);
    this.#length += bytes.length;
  }

  /** Appends the UTF-8 bytes of `text` with no length prefix; returns how many were written. */
  text(text: string): number {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    this.reserve(3 * text.length);
    const buffer = this.#buffer;
    const start = this.#length;
    // Short ASCII text (most keys) is copied byte by byte: cheaper than
    // making a view for `encodeInto`, which wins for longer text.
    if (text.length <= ASCII_COPY_CHARS_MAX) {
      let at = start;
      let i = 0;
      for (; i < text.length; i++) {
        const code = text.charCodeAt(i);
        if (code >= 0x80) break;
        buffer[at++] = code;
      }
      if (i === text.length) {
        this.#length = at;
        return at - start;
      }
    }
    const written = encoder.encodeInto(text, buffer.subarray(start)).written;
    this.#length += written;
    return written;
  }

  /**
   * Appends `text` as a varint byte length followed by its UTF-8 bytes in
   * one pass: the length is written afterwards into room reserved for the
   * longest length the text could have, padded with continuation bytes (a
   * non-minimal varint, which {@link ByteReader.varint} reads like any other).
   */
  lengthPrefixedText(text: string): void {
    let width = 1;
    for (let most = 3 * text.length; most >= 0x80; most = Math.floor(most / 0x80)) width++;
    this.reserve(width + 3 * text.length);
    const at = this.#length;
    this.#length += width;
    let length = this.text(text);
    const buffer = this.#buffer;
    for (let i = 0; i < width; i++) {
      buffer[at + i] = (length % 0x80) | (i < width - 1 ? 0x80 : 0);
      length = Math.floor(length / 0x80);
    }
  }

  /** Appends `text` as a varint byte length followed by its UTF-8 bytes. */
  string(text: string): void {
    const bytes = encoder.encode(text);
    this.varint(bytes.length);
    this.raw(bytes);
  }

  /** The bytes written, without copying when little capacity is unused. */
  bytes(): Uint8Array {
    const used = this.#buffer.subarray(0, this.#length);
    return this.#length * 4 >= this.#buffer.length * 3 ? used : used.slice();
  }
}

/**
 * Reads what a {@link ByteWriter} wrote; every read checks bounds and
 * throws `"<context>: ..."` on bytes that run out or do not decode.
 */
export class ByteReader {
  readonly #bytes: Uint8Array;
  readonly #context: string;
  /** The next byte to read. */
  offset = 0;

  /**
   * @param bytes what to read
   * @param context the start of every error message, e.g. `"Cannot restore snapshot"`
   */
  constructor(bytes: Uint8Array, context: string) {
    this.#bytes = bytes;
    this.#context = context;
  }

  /** Throws an error prefixed with the context. */
  fail(problem: string): never {
    throw new Error(`${this.#context}: ${problem}`);
  }

  #need(bytes: number): void {
    if (this.offset + bytes > this.#bytes.length) {
      this.fail(`data ends at byte "${this.#bytes.length}", inside a field at "${this.offset}"`);
    }
  }

  /** Reads one byte. */
  u8(): number {
    this.#need(1);
    return this.#bytes[this.offset++]!;
  }

  /** Reads a 32-bit unsigned integer, little-endian. */
  u32(): number {
    this.#need(4);
    const bytes = this.#bytes;
    const at = this.offset;
    this.offset = at + 4;
    return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16)) +
      bytes[at + 3]! * 0x1000000;
  }

  /** Reads an LEB128 varint of at most 8 bytes that is a safe integer. */
  varint(): number {
    const bytes = this.#bytes;
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

  /** Reads `length` raw bytes (a view, not a copy). */
  raw(length: number): Uint8Array {
    this.#need(length);
    const at = this.offset;
    this.offset = at + length;
    return this.#bytes.subarray(at, at + length);
  }

  /** Decodes the UTF-8 text in bytes `[start, start + length)` without moving `offset`. */
  string(start: number, length: number): string {
    if (start + length > this.#bytes.length) {
      this.fail(`text at byte "${start}" of "${length}" bytes runs past the end`);
    }
    const text = decodeUtf8(this.#bytes.subarray(start, start + length));
    return text ?? this.fail(`text at byte "${start}" is not valid UTF-8`);
  }

  /** Reads a varint byte length and that many bytes of UTF-8 text. */
  prefixedString(): string {
    const length = this.varint();
    const text = this.string(this.offset, length);
    this.offset += length;
    return text;
  }

  /** Bytes left to read. */
  get remaining(): number {
    return this.#bytes.length - this.offset;
  }
}
