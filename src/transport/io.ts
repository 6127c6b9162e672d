/**
 * Small connection helpers shared by the link and the listener.
 *
 * @module
 */

/** Writes all of `bytes`, looping over partial writes. */
export async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    // Each write moves at least one byte or throws, so this ends.
    offset += await conn.write(bytes.subarray(offset));
  }
}

/**
 * No delay and keepalive on a plain TCP connection (a TLS one has no such
 * setters: the dialer sets them before TLS starts).
 *
 * @example
 * ```ts
 * import { tuneTcp } from "./io.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * tuneTcp(conn);
 * conn.close();
 * listener.close();
 * ```
 */
export function tuneTcp(conn: Deno.Conn): void {
  if (!("setNoDelay" in conn)) return;
  const tcp = conn as Deno.TcpConn;
  tcp.setNoDelay(true);
  tcp.setKeepAlive(true);
}

/** Closes `conn`, ignoring "already closed": several paths may race to close one connection. */
export function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

/** The message of an error, or its string form. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * True when `error` means the connection ended (reset, closed mid-frame)
 * rather than that the peer broke the protocol.
 */
export function isConnectionLoss(error: unknown): boolean {
  return error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.ConnectionAborted ||
    error instanceof Deno.errors.BrokenPipe ||
    error instanceof Deno.errors.BadResource ||
    error instanceof Deno.errors.Interrupted ||
    error instanceof Deno.errors.UnexpectedEof ||
    (error instanceof Error && error.message.startsWith("Connection closed"));
}
