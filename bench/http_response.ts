/**
 * A small HTTP/1.1 response parser working on bytes in place, for the load generator's raw
 * client. It handles `Content-Length` bodies, chunked bodies (decoded in place), bodies that
 * end with the connection, statuses without a body (204, 304), and keep-alive rules of
 * HTTP/1.0 and 1.1. It copies nothing and builds no strings for well-formed responses.
 *
 * @module
 */

/** Where one complete response lies in the buffer. */
export interface HttpResponseInfo {
  /** Status code, e.g. 200. */
  status: number;
  /** First body byte. */
  bodyStart: number;
  /** One past the last body byte; chunked bodies are decoded in place, so this is contiguous. */
  bodyEnd: number;
  /** One past the last byte of the whole message as it arrived (the bytes consumed). */
  messageEnd: number;
  /** Whether the connection may carry another request. */
  keepAlive: boolean;
}

/** A response that breaks the protocol; the connection must be dropped. */
export class HttpProtocolError extends Error {
  /** @param message what is wrong, in sentence case */
  constructor(message: string) {
    super(message);
    this.name = "HttpProtocolError";
  }
}

const CR = 13;
const LF = 10;
const COLON = 58;
const SPACE = 32;
const TAB = 9;
const SEMICOLON = 59;

const contentLengthName = bytesOf("content-length");
const transferEncodingName = bytesOf("transfer-encoding");
const connectionName = bytesOf("connection");
const chunkedToken = bytesOf("chunked");
const closeToken = bytesOf("close");
const keepAliveToken = bytesOf("keep-alive");
const httpPrefix = bytesOf("HTTP/1.");
/** Largest `Content-Length` or chunk size accepted, in bytes. */
const bodyBytesMax = 1 << 30;

function bytesOf(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** Index of the first CRLF at or after `from` and before `end`, or -1. */
function findCrlf(buf: Uint8Array, from: number, end: number): number {
  for (let i = from; i + 1 < end; i++) {
    if (buf[i] === CR && buf[i + 1] === LF) return i;
  }
  return -1;
}

/** Whether `buf[from, to)` equals `lower` ignoring ASCII case. */
function equalsIgnoreCase(buf: Uint8Array, from: number, to: number, lower: Uint8Array): boolean {
  if (to - from !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    if ((buf[from + i]! | 0x20) !== lower[i]) return false;
  }
  return true;
}

/** Whether the comma-separated list in `buf[from, to)` has `token` as an element. */
function listHasToken(buf: Uint8Array, from: number, to: number, token: Uint8Array): boolean {
  let start = from;
  for (let i = from; i <= to; i++) {
    if (i < to && buf[i] !== 44) continue;
    let a = start;
    let b = i;
    while (a < b && (buf[a] === SPACE || buf[a] === TAB)) a++;
    while (b > a && (buf[b - 1] === SPACE || buf[b - 1] === TAB)) b--;
    if (equalsIgnoreCase(buf, a, b, token)) return true;
    start = i + 1;
  }
  return false;
}

/** Parses a run of decimal digits; -1 when empty, not decimal, or too large. */
function parseDecimal(buf: Uint8Array, from: number, to: number): number {
  if (from >= to) return -1;
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
    if (n > bodyBytesMax) return -1;
  }
  return n;
}

/** The parts of a header block that decide how the body is framed. */
export interface HeadInfo {
  status: number;
  version1: boolean;
  headEnd: number;
  contentLength: number;
  chunked: boolean;
  close: boolean;
  keepAlive: boolean;
}

function parseStatusLine(buf: Uint8Array, start: number, lineEnd: number): number {
  for (let i = 0; i < httpPrefix.length; i++) {
    if (buf[start + i] !== httpPrefix[i]) {
      throw new HttpProtocolError(`Response does not start with "HTTP/1."`);
    }
  }
  const code = parseDecimal(buf, start + 9, start + 12);
  if (lineEnd < start + 12 || buf[start + 8] !== SPACE || code < 100 || code > 999) {
    throw new HttpProtocolError("Response has a malformed status line");
  }
  return code;
}

/**
 * Parses the status line and headers of `buf[start, end)`; null until the blank line after them
 * has arrived. `headEnd` is the first body byte.
 *
 * @example
 * ```ts
 * import { parseHead } from "./http_response.ts";
 * const bytes = new TextEncoder().encode("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5");
 * const head = parseHead(bytes, 0, bytes.length);
 * if (head?.status !== 200 || !head.chunked || head.headEnd !== bytes.length - 1) throw new Error();
 * ```
 */
export function parseHead(buf: Uint8Array, start: number, end: number): HeadInfo | null {
  const statusEnd = findCrlf(buf, start, end);
  if (statusEnd < 0) return null;
  const head: HeadInfo = {
    status: parseStatusLine(buf, start, statusEnd),
    version1: buf[start + 7] === 49,
    headEnd: -1,
    contentLength: -1,
    chunked: false,
    close: false,
    keepAlive: false,
  };
  let line = statusEnd + 2;
  for (;;) {
    const lineEnd = findCrlf(buf, line, end);
    if (lineEnd < 0) return null;
    if (lineEnd === line) break;
    readHeader(buf, line, lineEnd, head);
    line = lineEnd + 2;
  }
  head.headEnd = line + 2;
  return head;
}

function readHeader(buf: Uint8Array, line: number, lineEnd: number, head: HeadInfo): void {
  let colon = line;
  while (colon < lineEnd && buf[colon] !== COLON) colon++;
  if (colon === lineEnd) throw new HttpProtocolError("Response has a header line without a colon");
  let valueStart = colon + 1;
  while (valueStart < lineEnd && (buf[valueStart] === SPACE || buf[valueStart] === TAB)) {
    valueStart++;
  }
  let valueEnd = lineEnd;
  while (valueEnd > valueStart && (buf[valueEnd - 1] === SPACE || buf[valueEnd - 1] === TAB)) {
    valueEnd--;
  }
  if (equalsIgnoreCase(buf, line, colon, contentLengthName)) {
    const length = parseDecimal(buf, valueStart, valueEnd);
    if (length < 0) throw new HttpProtocolError("Response has a malformed Content-Length");
    if (head.contentLength >= 0 && head.contentLength !== length) {
      throw new HttpProtocolError("Response has conflicting Content-Length headers");
    }
    head.contentLength = length;
  } else if (equalsIgnoreCase(buf, line, colon, transferEncodingName)) {
    head.chunked = listHasToken(buf, valueStart, valueEnd, chunkedToken);
  } else if (equalsIgnoreCase(buf, line, colon, connectionName)) {
    if (listHasToken(buf, valueStart, valueEnd, closeToken)) head.close = true;
    if (listHasToken(buf, valueStart, valueEnd, keepAliveToken)) head.keepAlive = true;
  }
}

/**
 * The size on a chunk's size line `buf[from, to)` (without its CRLF; an extension after `;` is
 * ignored); throws on a malformed or too large one.
 *
 * @example
 * ```ts
 * import { parseHexSize } from "./http_response.ts";
 * if (parseHexSize(new TextEncoder().encode("1aF;x=1"), 0, 7) !== 0x1af) throw new Error();
 * ```
 */
export function parseHexSize(buf: Uint8Array, from: number, to: number): number {
  let end = from;
  while (end < to && buf[end] !== SEMICOLON && buf[end] !== SPACE && buf[end] !== TAB) end++;
  if (end === from) throw new HttpProtocolError("Response has an empty chunk size");
  let n = 0;
  for (let i = from; i < end; i++) {
    const c = buf[i]! | 0x20;
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (d < 0) throw new HttpProtocolError("Response has a malformed chunk size");
    n = n * 16 + d;
    if (n > bodyBytesMax) throw new HttpProtocolError("Response has a chunk that is too large");
  }
  return n;
}

/**
 * Walks a chunked body starting at `from`; returns the message end, or -1 if incomplete.
 * With `compact`, also moves the chunk data together at `from` and returns the body end in
 * `bodyEnd[0]`.
 */
function walkChunks(
  buf: Uint8Array,
  from: number,
  end: number,
  compact: Int32Array | null,
): number {
  let pos = from;
  let write = from;
  for (;;) {
    const lineEnd = findCrlf(buf, pos, end);
    if (lineEnd < 0) return -1;
    const size = parseHexSize(buf, pos, lineEnd);
    const data = lineEnd + 2;
    if (size === 0) {
      // Trailer fields, if any, end with an empty line.
      let line = data;
      for (;;) {
        const trailerEnd = findCrlf(buf, line, end);
        if (trailerEnd < 0) return -1;
        if (trailerEnd === line) {
          if (compact !== null) compact[0] = write;
          return line + 2;
        }
        line = trailerEnd + 2;
      }
    }
    if (data + size + 2 > end) return -1;
    if (buf[data + size] !== CR || buf[data + size + 1] !== LF) {
      throw new HttpProtocolError("Response has a chunk without its closing CRLF");
    }
    if (compact !== null) {
      buf.copyWithin(write, data, data + size);
      write += size;
    }
    pos = data + size + 2;
  }
}

function keepAliveOf(head: HeadInfo): boolean {
  if (head.close) return false;
  return head.version1 || head.keepAlive;
}

/**
 * Parses one response from `buf[start, end)`. Returns null while more bytes are needed.
 * Pass `eof` when the peer has closed, so a body delimited by the end of the connection can
 * complete. A complete chunked body is decoded in place (the buffer is modified).
 *
 * @example
 * ```ts
 * import { parseHttpResponse } from "./http_response.ts";
 * const bytes = new TextEncoder().encode("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
 * const info = parseHttpResponse(bytes, 0, bytes.length);
 * if (info?.status !== 200 || info.bodyEnd - info.bodyStart !== 2) throw new Error();
 * ```
 */
export function parseHttpResponse(
  buf: Uint8Array,
  start: number,
  end: number,
  eof = false,
): HttpResponseInfo | null {
  const head = parseHead(buf, start, end);
  if (head === null) {
    if (eof) throw new HttpProtocolError("Connection closed before the response headers ended");
    return null;
  }
  const { status, headEnd } = head;
  if (status < 200) {
    throw new HttpProtocolError(`Response has an unsupported interim status "${status}"`);
  }
  const keepAlive = keepAliveOf(head);
  if (status === 204 || status === 304) {
    return { status, bodyStart: headEnd, bodyEnd: headEnd, messageEnd: headEnd, keepAlive };
  }
  if (head.chunked) {
    const messageEnd = walkChunks(buf, headEnd, end, null);
    if (messageEnd < 0) return incomplete(eof);
    const bodyEnd = new Int32Array(1);
    walkChunks(buf, headEnd, end, bodyEnd);
    return { status, bodyStart: headEnd, bodyEnd: bodyEnd[0]!, messageEnd, keepAlive };
  }
  if (head.contentLength >= 0) {
    const messageEnd = headEnd + head.contentLength;
    if (messageEnd > end) return incomplete(eof);
    return { status, bodyStart: headEnd, bodyEnd: messageEnd, messageEnd, keepAlive };
  }
  // No length given: the body runs until the server closes the connection.
  if (!eof) return null;
  return { status, bodyStart: headEnd, bodyEnd: end, messageEnd: end, keepAlive: false };
}

function incomplete(eof: boolean): null {
  if (eof) throw new HttpProtocolError("Connection closed before the response body ended");
  return null;
}

/**
 * Index of the first occurrence of `needle` in `haystack[from, to)`, or -1.
 *
 * @example
 * ```ts
 * import { indexOfBytes } from "./http_response.ts";
 * const text = new TextEncoder().encode('{"value":"abc"}');
 * if (indexOfBytes(text, new TextEncoder().encode("abc"), 0, text.length) !== 10) throw new Error();
 * ```
 */
export function indexOfBytes(
  haystack: Uint8Array,
  needle: Uint8Array,
  from: number,
  to: number,
): number {
  const n = needle.length;
  if (n === 0) return from <= to ? from : -1;
  const first = needle[0]!;
  const last = to - n;
  outer: for (let i = from; i <= last; i++) {
    if (haystack[i] !== first) continue;
    for (let j = 1; j < n; j++) {
      if (haystack[i + j] !== needle[j]) continue outer;
    }
    return i;
  }
  return -1;
}
