/**
 * Parsing and formatting of `host:port` addresses (`[::1]:7001` for IPv6).
 *
 * @module
 */

/** A parsed `host:port`. */
export interface HostPort {
  hostname: string;
  port: number;
}

/**
 * Parses `host:port`; throws on anything else.
 *
 * @example
 * ```ts
 * import { parseAddr } from "./address.ts";
 * const { hostname, port } = parseAddr("127.0.0.1:7001");
 * if (hostname !== "127.0.0.1" || port !== 7001) throw new Error();
 * ```
 */
export function parseAddr(addr: string): HostPort {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s\[\]]+)):(\d{1,5})$/.exec(addr);
  const port = Number(match?.[3]);
  if (match === null || port > 65535) {
    throw new Error(`Invalid address "${addr}": expected host:port`);
  }
  return { hostname: match[1] ?? match[2]!, port };
}

/** Formats a host and port as `host:port`, bracketing IPv6 hosts. */
export function formatAddr(addr: HostPort): string {
  return addr.hostname.includes(":")
    ? `[${addr.hostname}]:${addr.port}`
    : `${addr.hostname}:${addr.port}`;
}

/** The `host:port` of a connection's remote end, for log lines. */
export function remoteOf(conn: Deno.Conn): string {
  const addr = conn.remoteAddr;
  return addr.transport === "tcp" ? formatAddr(addr) : String(addr.transport);
}
