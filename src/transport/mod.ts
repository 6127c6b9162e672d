/**
 * Peer transport: TCP links between rafter nodes, with a handshake, length-
 * prefixed frames, a binary message codec and chunked snapshots.
 *
 * @module
 */

export { TcpTransport } from "./tcp_transport.ts";
export type { PeerInfo, PeerStats, TransportHandlers, TransportOptions } from "./types.ts";
export { decodeMessage, encodeMessage } from "./codec.ts";
export { ByteWriter } from "../bytes/writer.ts";
export { DEFAULT_LIMITS } from "./limits.ts";
export { PROTOCOL_VERSION } from "./handshake.ts";
