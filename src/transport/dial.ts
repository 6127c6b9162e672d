/**
 * Opening a connection to a peer: connect (and start TLS, checking the
 * listener's certificate and name), send our handshake, read the peer's
 * answer (its handshake, or a refusal) or, with a cluster secret, go through
 * the mutual challenge, all within one time limit.
 *
 * @module
 */

import { parseAddr } from "./address.ts";
import { freshNonce, PeerProofError, proveToListener } from "./challenge.ts";
import { FrameKind, FrameReader } from "./frame.ts";
import {
  decodeHandshake,
  decodeRefusal,
  encodeHandshake,
  HANDSHAKE_BYTES_MAX,
  PROTOCOL_VERSION,
} from "./handshake.ts";
import { closeQuietly, errorText, writeAll } from "./io.ts";
import type { PeerInfo, PeerSecret, PeerTls } from "./types.ts";

/** A connection whose handshakes are exchanged. */
export interface Dialed {
  conn: Deno.Conn;
  /** Reads the frames after the handshake. */
  reader: FrameReader;
  /** What the peer said about itself. */
  info: PeerInfo;
}

/** Limits and security of one dial. */
export interface DialOptions {
  timeoutMs: number;
  frameBytesMax: number;
  /** Aborting it ends the dial at once (the transport is closing). */
  signal?: AbortSignal;
  /** With it, the dial proves the cluster secret and checks the listener's proof. */
  secret?: PeerSecret | null;
  /** With it, the connection runs over TLS, checked against `caCerts`. */
  tls?: PeerTls | null;
}

/**
 * Connects to `addr` and exchanges handshakes. Throws
 * `Cannot reach peer at "addr": <reason>` on refusal, timeout or any error;
 * a {@link PeerProofError} when the peer could not prove the cluster secret.
 */
export async function dial(addr: string, ours: PeerInfo, options: DialOptions): Promise<Dialed> {
  const { hostname, port } = parseAddr(addr);
  const controller = new AbortController();
  const held: { conn: Deno.Conn | null } = { conn: null };
  let timedOut = false;
  const abort = () => {
    controller.abort();
    if (held.conn !== null) closeQuietly(held.conn);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    abort();
  }, options.timeoutMs);
  options.signal?.addEventListener("abort", abort, { once: true });
  try {
    if (options.signal?.aborted) throw new Error("dial cancelled");
    const conn = await connect(hostname, port, options.tls ?? null, controller.signal, held);
    const reader = new FrameReader(conn, options.frameBytesMax);
    const secret = options.secret ?? null;
    if (secret === null) {
      await writeAll(conn, encodeHandshake(ours));
      return { conn, reader, info: await readAnswer(reader) };
    }
    const hello = encodeHandshake(ours, PROTOCOL_VERSION, freshNonce());
    await writeAll(conn, hello);
    return { conn, reader, info: await proveToListener(conn, reader, secret, hello.subarray(4)) };
  } catch (error) {
    if (held.conn !== null) closeQuietly(held.conn);
    const reason = timedOut ? `no handshake within ${options.timeoutMs} ms` : errorText(error);
    const message = `Cannot reach peer at "${addr}": ${reason}`;
    throw error instanceof PeerProofError ? new PeerProofError(message) : new Error(message);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", abort);
  }
}

/**
 * A TCP connection (no delay, keepalive), upgraded to TLS when `tls` is
 * given: the peer's certificate must chain to `tls.caCerts` and name
 * `hostname`. `held` always holds the connection to close on abort.
 */
async function connect(
  hostname: string,
  port: number,
  tls: PeerTls | null,
  signal: AbortSignal,
  held: { conn: Deno.Conn | null },
): Promise<Deno.Conn> {
  const tcp = await Deno.connect({ hostname, port, signal });
  held.conn = tcp;
  if (signal.aborted) throw new Error("dial cancelled");
  // Set on the TCP socket before TLS takes it over: a TLS connection has no such setters.
  tcp.setNoDelay(true);
  tcp.setKeepAlive(true);
  if (tls === null) return tcp;
  const caCerts = tls.caCerts.length === 0 ? {} : { caCerts: tls.caCerts };
  const secure = await Deno.startTls(tcp, { hostname, ...caCerts });
  held.conn = secure;
  if (signal.aborted) throw new Error("dial cancelled");
  await secure.handshake();
  return secure;
}

async function readAnswer(reader: FrameReader): Promise<PeerInfo> {
  const payload = await reader.next(HANDSHAKE_BYTES_MAX);
  if (payload === null) throw new Error("connection closed before the handshake");
  if (payload[0] === FrameKind.refusal) throw new Error(`refused: ${decodeRefusal(payload)}`);
  return decodeHandshake(payload);
}
