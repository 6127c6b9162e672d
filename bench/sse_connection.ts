/**
 * One server-sent-event stream read over a plain TCP connection, for the `watch-fanout`
 * scenario's thousand readers. `fetch` spends far more per chunk (a byte stream, promises, text
 * decoding) than readers sharing two cores with the servers can afford: beside 10 busy watches
 * it took about half a core, which the cluster then lacked. This reads into one reused buffer,
 * undoes HTTP/1.1 chunked framing as bytes arrive, and hands each complete message (the bytes up
 * to its blank line) to the caller without building a string.
 *
 * @module
 */
import { parseHead, parseHexSize } from "./http_response.ts";

const LF = 10;
const CR = 13;
/** Bytes read at once. */
const READ_BYTES = 64 * 1024;
/** Most bytes of a response head. */
const HEAD_BYTES_MAX = 16 * 1024;
/** Most bytes of a chunk size line (the size and any extension). */
const SIZE_LINE_BYTES_MAX = 256;
/** Most bytes of one message not yet complete. */
const MESSAGE_BYTES_MAX = 16 * 1024 * 1024;

/** Where a complete message lies: `bytes[start]` up to, not including, its blank line at `end`. */
export type MessageHandler = (bytes: Uint8Array, start: number, end: number) => void;

/**
 * A stream the server answered with a status other than 200, or one it broke; a malformed head
 * or chunk size throws `HttpProtocolError` (`http_response.ts`, whose parsers this reuses).
 */
export class SseConnectionError extends Error {
  /** @param message what went wrong, in sentence case */
  constructor(message: string) {
    super(message);
    this.name = "SseConnectionError";
  }
}

/**
 * An open `text/event-stream` response over HTTP/1.1.
 *
 * @example
 * ```ts
 * import { SseConnection } from "./sse_connection.ts";
 * const server = Deno.serve({ port: 0, onListen() {} }, () =>
 *   new Response("id: 1\nevent: progress\ndata: {}\n\n", {
 *     headers: { "content-type": "text/event-stream" },
 *   }));
 * const connection = await SseConnection.open(`http://127.0.0.1:${server.addr.port}/watch`, 1000);
 * let messages = 0;
 * await connection.read(() => messages++);
 * if (messages !== 1) throw new Error(String(messages));
 * await server.shutdown();
 * ```
 */
export class SseConnection {
  readonly #conn: Deno.Conn;
  #buffer = new Uint8Array(READ_BYTES);
  /** Bytes in `#buffer` not yet looked at, from `#at` to `#filled`. */
  #at = 0;
  #filled = 0;
  readonly #chunked: boolean;
  /** Body bytes left when the answer has a `content-length` (and is not chunked); else -1. */
  #lengthLeft: number;
  /** Data bytes left in the current chunk; -1 while reading a chunk's size line. */
  #chunkLeft = -1;
  /** The chunk size line read so far (it may arrive split over reads). */
  readonly #sizeLine = new Uint8Array(SIZE_LINE_BYTES_MAX);
  #sizeLineFilled = 0;
  /** CR LF bytes still to skip after a chunk's data. */
  #trailerLeft = 0;
  /** Body bytes of messages not yet complete. */
  #message = new Uint8Array(4096);
  #messageFilled = 0;
  /** Bytes of `#message` already searched for a blank line. */
  #messageScanned = 0;
  #closed = false;

  private constructor(conn: Deno.Conn, chunked: boolean, length: number) {
    this.#conn = conn;
    this.#chunked = chunked;
    this.#lengthLeft = chunked ? -1 : length;
  }

  /**
   * Connects to `url` (`http:` only), sends a GET and reads the response head; throws unless
   * it is 200 within `timeoutMs`.
   */
  static async open(url: string, timeoutMs: number): Promise<SseConnection> {
    const target = new URL(url);
    if (target.protocol !== "http:") {
      throw new SseConnectionError(`Watches are read over plain HTTP only, not "${url}"`);
    }
    const conn = await Deno.connect({
      hostname: target.hostname,
      port: Number(target.port || "80"),
    });
    const timer = setTimeout(() => conn.close(), timeoutMs);
    try {
      const request =
        `GET ${target.pathname}${target.search} HTTP/1.1\r\nhost: ${target.host}\r\n` +
        "accept: text/event-stream\r\n\r\n";
      const bytes = new TextEncoder().encode(request);
      for (let written = 0; written < bytes.length;) {
        written += await conn.write(bytes.subarray(written));
      }
      const buffer = new Uint8Array(READ_BYTES);
      let filled = 0;
      for (;;) {
        const n = await conn.read(buffer.subarray(filled));
        if (n === null) throw new SseConnectionError(`"${url}" closed before answering`);
        filled += n;
        const head = parseHead(buffer, 0, filled);
        if (head !== null) {
          const rest = buffer.subarray(head.headEnd, filled);
          if (head.status !== 200) {
            const body = new TextDecoder().decode(rest);
            throw new SseConnectionError(`Watch "${url}" answered ${head.status}: ${body}`);
          }
          const connection = new SseConnection(conn, head.chunked, head.contentLength);
          connection.#buffer.set(rest);
          connection.#filled = rest.length;
          return connection;
        }
        if (filled >= HEAD_BYTES_MAX) throw new SseConnectionError(`"${url}" sent too long a head`);
      }
    } catch (error) {
      try {
        conn.close();
      } catch {
        // Closed by the timer already.
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Reads until the stream ends or {@link close} is called, calling `onMessage` for each
   * complete message. Resolves at the end of the stream, or at close; throws on a broken one.
   */
  async read(onMessage: MessageHandler): Promise<void> {
    try {
      for (;;) {
        if (this.#take(onMessage)) return;
        if (this.#lengthLeft === 0) return;
        const n = await this.#conn.read(this.#buffer);
        if (n === null) return;
        this.#at = 0;
        this.#filled = n;
      }
    } catch (error) {
      if (!this.#closed) throw error;
    } finally {
      this.close();
    }
  }

  /** Closes the connection; a pending {@link read} resolves. Safe to repeat. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }

  /** Moves the body bytes read so far into the message buffer; true at the end of the body. */
  #take(onMessage: MessageHandler): boolean {
    const buffer = this.#buffer;
    while (this.#at < this.#filled) {
      if (!this.#chunked) {
        // Without chunks the body runs to its length, or to the end of the connection.
        const n = this.#lengthLeft < 0
          ? this.#filled - this.#at
          : Math.min(this.#lengthLeft, this.#filled - this.#at);
        this.#append(buffer.subarray(this.#at, this.#at + n));
        this.#at += n;
        if (this.#lengthLeft >= 0) this.#lengthLeft -= n;
        if (this.#lengthLeft === 0) {
          this.#deliver(onMessage);
          return true;
        }
      } else if (this.#trailerLeft > 0) {
        this.#at++;
        this.#trailerLeft--;
      } else if (this.#chunkLeft < 0) {
        if (this.#readSizeLine()) {
          this.#deliver(onMessage);
          return true;
        }
      } else {
        const n = Math.min(this.#chunkLeft, this.#filled - this.#at);
        this.#append(buffer.subarray(this.#at, this.#at + n));
        this.#at += n;
        this.#chunkLeft -= n;
        if (this.#chunkLeft === 0) {
          this.#chunkLeft = -1;
          this.#trailerLeft = 2;
        }
      }
    }
    this.#deliver(onMessage);
    return false;
  }

  /** Reads the chunk size line's bytes at hand; true when it was the last chunk (size 0). */
  #readSizeLine(): boolean {
    const buffer = this.#buffer;
    while (this.#at < this.#filled) {
      const byte = buffer[this.#at++]!;
      if (byte !== LF) {
        if (this.#sizeLineFilled === SIZE_LINE_BYTES_MAX) {
          throw new SseConnectionError("A chunk size line is too long");
        }
        this.#sizeLine[this.#sizeLineFilled++] = byte;
        continue;
      }
      const line = this.#sizeLine;
      const end = this.#sizeLineFilled > 0 && line[this.#sizeLineFilled - 1] === CR
        ? this.#sizeLineFilled - 1
        : this.#sizeLineFilled;
      this.#sizeLineFilled = 0;
      const size = parseHexSize(line, 0, end);
      if (size === 0) return true;
      this.#chunkLeft = size;
      return false;
    }
    return false;
  }

  #append(bytes: Uint8Array): void {
    const needed = this.#messageFilled + bytes.length;
    if (needed > this.#message.length) {
      if (needed > MESSAGE_BYTES_MAX) {
        throw new SseConnectionError(`A message is longer than ${MESSAGE_BYTES_MAX} bytes`);
      }
      const bigger = new Uint8Array(Math.max(needed, this.#message.length * 2));
      bigger.set(this.#message.subarray(0, this.#messageFilled));
      this.#message = bigger;
    }
    this.#message.set(bytes, this.#messageFilled);
    this.#messageFilled = needed;
  }

  /** Hands over every complete message and keeps the incomplete rest. */
  #deliver(onMessage: MessageHandler): void {
    const message = this.#message;
    let start = 0;
    for (let i = Math.max(1, this.#messageScanned); i < this.#messageFilled; i++) {
      if (message[i] !== LF || message[i - 1] !== LF) continue;
      onMessage(message, start, i - 1);
      start = i + 1;
    }
    // The last byte may be the first LF of a blank line: look at it again next time.
    this.#messageScanned = this.#messageFilled - start;
    if (start === 0) return;
    message.copyWithin(0, start, this.#messageFilled);
    this.#messageFilled -= start;
  }
}
