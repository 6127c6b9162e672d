/**
 * A minimal HTTP/1.1 client over one TCP connection (`Deno.connect`, then TLS when given a CA):
 * writes prebuilt request bytes, reads into one reused buffer and parses the response in place.
 * One request at a time, keep-alive, reconnecting when the server closes. It exists because
 * `fetch` costs more per request than a load generator sharing two cores with the servers can
 * afford.
 *
 * @module
 */

import { HttpProtocolError, type HttpResponseInfo, parseHttpResponse } from "./http_response.ts";

/** Initial receive buffer size in bytes. */
const bufferBytesInitial = 16 * 1024;
/** Largest response accepted, in bytes; larger ones are a protocol error. */
const responseBytesMax = 4 * 1024 * 1024;

/** One keep-alive connection to `hostname:port`. */
export class RawHttpConnection {
  readonly #hostname: string;
  readonly #port: number;
  readonly #caCert: string | null;
  #conn: Deno.Conn | null = null;
  #buffer = new Uint8Array(bufferBytesInitial);
  #filled = 0;
  /** `performance.now()` when the current request started, or -1 when idle. */
  startedAtMs = -1;
  /** Set by `abort()`; the failing request then counts as a timeout. */
  aborted = false;

  /**
   * @param hostname server address @param port server port
   * @param caCert PEM of the CA to trust over TLS; null for plain TCP
   */
  constructor(hostname: string, port: number, caCert: string | null = null) {
    this.#hostname = hostname;
    this.#port = port;
    this.#caCert = caCert;
  }

  /** The buffer the last response's offsets refer to; valid until the next request. */
  get buffer(): Uint8Array {
    return this.#buffer;
  }

  /** Whether a TCP connection is open. */
  get connected(): boolean {
    return this.#conn !== null;
  }

  /** Opens the connection (and its TLS session) if it is not open. */
  async connect(): Promise<void> {
    if (this.#conn !== null) return;
    const tcp = await Deno.connect({ hostname: this.#hostname, port: this.#port });
    tcp.setNoDelay(true);
    const caCerts = this.#caCert === null ? null : [this.#caCert];
    this.#conn = caCerts === null
      ? tcp
      : await Deno.startTls(tcp, { hostname: this.#hostname, caCerts });
    this.#filled = 0;
  }

  /**
   * Sends `request` and reads one response. Throws on socket errors, protocol errors and
   * `abort()`; the connection is then closed and the next request reconnects.
   */
  async request(request: Uint8Array): Promise<HttpResponseInfo> {
    this.aborted = false;
    try {
      if (this.#conn === null) await this.connect();
      const conn = this.#conn!;
      // One await per write and per read, no nested async calls: this is the hot path.
      let written = await conn.write(request);
      while (written < request.length) written += await conn.write(request.subarray(written));
      if (this.#filled !== 0) throw new HttpProtocolError("Server sent bytes before the request");
      for (;;) {
        if (this.#filled === this.#buffer.length) this.#grow();
        const n = await conn.read(
          this.#filled === 0 ? this.#buffer : this.#buffer.subarray(this.#filled),
        );
        const info = n === null ? this.#atEof() : this.#parse(n);
        if (info === null) continue;
        if (!info.keepAlive) this.close();
        return info;
      }
    } catch (error) {
      this.close();
      throw error;
    }
  }

  /** Closes the connection so a pending request fails; used for timeouts. */
  abort(): void {
    this.aborted = true;
    this.close();
  }

  /** Closes the connection; safe to repeat. */
  close(): void {
    const conn = this.#conn;
    this.#conn = null;
    if (conn === null) return;
    try {
      conn.close();
    } catch {
      // Already closed by the peer or by abort(): nothing left to release.
    }
  }

  #parse(n: number): HttpResponseInfo | null {
    this.#filled += n;
    const info = parseHttpResponse(this.#buffer, 0, this.#filled);
    if (info === null) return null;
    // One request is in flight, so one response must end exactly where the bytes end.
    if (info.messageEnd !== this.#filled) {
      throw new HttpProtocolError("Server sent more bytes than one response");
    }
    this.#filled = 0;
    return info;
  }

  #atEof(): HttpResponseInfo {
    const info = parseHttpResponse(this.#buffer, 0, this.#filled, true)!;
    this.#filled = 0;
    return { ...info, keepAlive: false };
  }

  #grow(): void {
    if (this.#buffer.length >= responseBytesMax) {
      throw new HttpProtocolError(`Response is larger than "${responseBytesMax}" bytes`);
    }
    const bigger = new Uint8Array(this.#buffer.length * 2);
    bigger.set(this.#buffer);
    this.#buffer = bigger;
  }
}
