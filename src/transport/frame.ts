/**
 * Framing on a peer connection: `[length u32 LE][kind u8][body]`, where the
 * length counts the kind byte and the body. Frames are written into a
 * {@link ByteWriter} and read back by a {@link FrameReader} that refuses any
 * length above its limit before reading the frame.
 *
 * @module
 */

import type { ByteWriter } from "../bytes/writer.ts";

/** What a frame carries; the first byte of every frame payload. */
export const FrameKind = {
  /** The first frame each way: see `handshake.ts`. */
  handshake: 1,
  /** One encoded Raft message. */
  message: 2,
  /** A `snap` message whose data follows in chunk frames: `[f64 data bytes][message]`. */
  snapHead: 3,
  /** The next piece of the snapshot data announced by the last `snapHead`. */
  snapChunk: 4,
  /** The accepting side refuses the handshake: `[str16 reason]`, then closes. */
  refusal: 5,
  /** With a cluster secret, the accepting side's nonce and id: see `challenge.ts`. */
  challenge: 6,
  /** With a cluster secret, an HMAC-SHA256 proving it: see `challenge.ts`. */
  proof: 7,
} as const;

/** Bytes of the length prefix. */
export const FRAME_HEADER_BYTES = 4;

const READ_BYTES_INITIAL = 64 * 1024;
/** A read buffer grown beyond this for one large frame is given back once empty. */
const READ_BYTES_RETAINED_MAX = 1 << 20;

/** Starts a frame of `kind` in `w`; returns the offset to pass to {@link endFrame}. */
export function beginFrame(w: ByteWriter, kind: number): number {
  const start = w.length;
  w.u32(0);
  w.u8(kind);
  return start;
}

/**
 * Writes the length of the frame begun at `start`. If the frame exceeds
 * `frameBytesMax`, removes it from `w` and throws.
 */
export function endFrame(w: ByteWriter, start: number, frameBytesMax: number): void {
  const length = w.length - start - FRAME_HEADER_BYTES;
  if (length > frameBytesMax) {
    w.length = start;
    throw new Error(`Frame of ${length} bytes exceeds frameBytesMax ${frameBytesMax}`);
  }
  w.patchU32(start, length);
}

/** The byte source a {@link FrameReader} reads from (a `Deno.Conn` in practice). */
export interface ByteSource {
  read(into: Uint8Array): Promise<number | null>;
}

/**
 * Reads length-prefixed frames from a connection into one reusable buffer.
 *
 * @example
 * ```ts
 * import { FrameReader } from "./frame.ts";
 * const chunks = [Uint8Array.of(2, 0, 0, 0, 9), Uint8Array.of(8)];
 * const source = {
 *   read(into: Uint8Array) {
 *     const next = chunks.shift();
 *     if (next === undefined) return Promise.resolve(null);
 *     into.set(next);
 *     return Promise.resolve(next.length);
 *   },
 * };
 * const reader = new FrameReader(source, 1024);
 * const frame = await reader.next();
 * if (frame?.length !== 2 || frame[0] !== 9 || (await reader.next()) !== null) throw new Error();
 * ```
 */
export class FrameReader {
  private buf = new Uint8Array(READ_BYTES_INITIAL);
  private view = new DataView(this.buf.buffer);
  private start = 0;
  private end = 0;
  private readonly source: ByteSource;
  private readonly frameBytesMax: number;

  /**
   * @param source where bytes come from
   * @param frameBytesMax largest frame payload accepted
   */
  constructor(source: ByteSource, frameBytesMax: number) {
    this.source = source;
    this.frameBytesMax = frameBytesMax;
  }

  /**
   * The next frame's payload (kind byte first), valid until the next call;
   * null when the peer closed the connection between frames. Throws on an
   * empty or oversized length (before reading the frame) and on a
   * connection closed mid-frame.
   */
  async next(bytesMax = this.frameBytesMax): Promise<Uint8Array | null> {
    this.releaseIfLarge();
    for (;;) {
      const buffered = this.end - this.start;
      let needed = FRAME_HEADER_BYTES;
      if (buffered >= FRAME_HEADER_BYTES) {
        const length = this.view.getUint32(this.start, true);
        if (length === 0 || length > bytesMax) {
          throw new Error(`Frame length "${length}" is outside 1..${bytesMax} bytes`);
        }
        needed += length;
        if (buffered >= needed) {
          const payload = this.buf.subarray(this.start + FRAME_HEADER_BYTES, this.start + needed);
          this.start += needed;
          return payload;
        }
      }
      this.makeRoom(needed);
      const count = await this.source.read(this.buf.subarray(this.end));
      if (count === null) {
        if (buffered === 0) return null;
        throw new Error(`Connection closed in the middle of a frame (${buffered} bytes buffered)`);
      }
      this.end += count;
    }
  }

  /** Ensures the buffer can hold `needed` bytes from `start`, moving or growing it. */
  private makeRoom(needed: number): void {
    if (this.buf.length - this.start >= needed && this.end < this.buf.length) return;
    const buffered = this.buf.subarray(this.start, this.end);
    if (this.buf.length >= needed) {
      this.buf.copyWithin(0, this.start, this.end);
    } else {
      const grown = new Uint8Array(Math.max(needed, this.buf.length * 2));
      grown.set(buffered);
      this.buf = grown;
      this.view = new DataView(grown.buffer);
    }
    this.end -= this.start;
    this.start = 0;
  }

  /** Gives back a buffer grown for one large frame once nothing is buffered. */
  private releaseIfLarge(): void {
    if (this.start !== this.end) return;
    this.start = this.end = 0;
    if (this.buf.length > READ_BYTES_RETAINED_MAX) {
      this.buf = new Uint8Array(READ_BYTES_INITIAL);
      this.view = new DataView(this.buf.buffer);
    }
  }
}
