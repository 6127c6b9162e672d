/**
 * Opening a connection to a peer: connect, send our handshake, read the
 * peer's answer (its handshake, or a refusal), all within one time limit.
 *
 * @module
 */

import { parseAddr } from "./address.ts";
import { FrameKind, FrameReader } from "./frame.ts";
import {
  decodeHandshake,
  decodeRefusal,
  encodeHandshake,
  HANDSHAKE_BYTES_MAX,
} from "./handshake.ts";
import { closeQuietly, errorText, writeAll } from "./io.ts";
import type { PeerInfo } from "./types.ts";

/** A connection whose handshakes are exchanged. */
export interface Dialed {
  conn: Deno.TcpConn;
  /** Reads the frames after the handshake. */
  reader: FrameReader;
  /** What the peer said about itself. */
  info: PeerInfo;
}

/** Limits of one dial. */
export interface DialOptions {
  timeoutMs: number;
  frameBytesMax: number;
  /** Aborting it ends the dial at once (the transport is closing). */
  signal?: AbortSignal;
}

/**
 * Connects to `addr` and exchanges handshakes. Throws
 * `Cannot reach peer at "addr": <reason>` on refusal, timeout or any error.
 */
export async function dial(addr: string, ours: PeerInfo, options: DialOptions): Promise<Dialed> {
  const { hostname, port } = parseAddr(addr);
  const controller = new AbortController();
  let conn: Deno.TcpConn | null = null;
  let timedOut = false;
  const abort = () => {
    controller.abort();
    if (conn !== null) closeQuietly(conn);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    abort();
  }, options.timeoutMs);
  options.signal?.addEventListener("abort", abort, { once: true });
  try {
    if (options.signal?.aborted) throw new Error("dial cancelled");
    conn = await Deno.connect({ hostname, port, signal: controller.signal });
    if (controller.signal.aborted) throw new Error("dial cancelled");
    conn.setNoDelay(true);
    conn.setKeepAlive(true);
    await writeAll(conn, encodeHandshake(ours));
    const reader = new FrameReader(conn, options.frameBytesMax);
    return { conn, reader, info: await readAnswer(reader) };
  } catch (error) {
    if (conn !== null) closeQuietly(conn);
    const reason = timedOut ? `no handshake within ${options.timeoutMs} ms` : errorText(error);
    throw new Error(`Cannot reach peer at "${addr}": ${reason}`);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", abort);
  }
}

async function readAnswer(reader: FrameReader): Promise<PeerInfo> {
  const payload = await reader.next(HANDSHAKE_BYTES_MAX);
  if (payload === null) throw new Error("connection closed before the handshake");
  if (payload[0] === FrameKind.refusal) throw new Error(`refused: ${decodeRefusal(payload)}`);
  return decodeHandshake(payload);
}
