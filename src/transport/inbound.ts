/**
 * Serving one accepted connection: check the peer's handshake (with a
 * cluster secret, its proof first: `challenge.ts`), answer with ours, then
 * read frames and deliver messages until the peer hangs up. A refused
 * handshake or any protocol error closes this connection only and is
 * reported to the transport, which counts it and logs it with a rate limit.
 *
 * @module
 */

import type { Logger } from "../log.ts";
import type { Message } from "../raft/types.ts";
import { remoteOf } from "./address.ts";
import { challengeDialer, listenerAnswer } from "./challenge.ts";
import { decodeMessage } from "./codec.ts";
import { FRAME_HEADER_BYTES, FrameKind, FrameReader } from "./frame.ts";
import { decodeHello, encodeHandshake, encodeRefusal, HANDSHAKE_BYTES_MAX } from "./handshake.ts";
import { closeQuietly, errorText, isConnectionLoss, tuneTcp, writeAll } from "./io.ts";
import type { TransportLimits } from "./limits.ts";
import { SnapshotAssembler } from "./snapshot_chunks.ts";
import type { PeerInfo, PeerMeter, PeerSecret } from "./types.ts";

/** What serving a connection needs from the transport. */
export interface InboundEnv {
  limits: TransportLimits;
  logger: Logger;
  /** The cluster secret every peer must prove first; null: none asked. */
  secret: PeerSecret | null;
  /** Our handshake as of now. */
  ours(): PeerInfo;
  /** Why the peer must be refused, or null to accept. */
  admit(info: PeerInfo): string | null;
  /** A handshake was refused, or a frame broke the protocol: count it and log it, rate-limited. */
  dropped(what: "handshake" | "frame", remote: string, peer: string, reason: string): void;
  /** Tells the node about a peer whose handshake was accepted. */
  announce(info: PeerInfo): void;
  /** Hands a checked message to the node. */
  deliver(message: Message): void;
  /** True once the transport is closing: errors then are expected and not logged. */
  closing(): boolean;
  /** A connection from peer `id` passed its handshake (so it can be closed by peer). */
  opened(id: string, conn: Deno.Conn): void;
  /** Counts what arrives, if anything does. */
  meter: PeerMeter | undefined;
}

/** Serves `conn` until it ends; never throws. Closes `conn`. */
export async function serveInbound(conn: Deno.Conn, env: InboundEnv): Promise<void> {
  const remote = remoteOf(conn);
  let peer = "";
  try {
    tuneTcp(conn);
    const reader = new FrameReader(conn, env.limits.frameBytesMax);
    const info = await acceptHandshake(conn, reader, env);
    if (info === null) return;
    peer = info.id;
    env.opened(peer, conn);
    await receive(reader, info, env);
    env.logger.debug("peer connection closed", { peer, remote });
  } catch (error) {
    if (env.closing()) return;
    if (isConnectionLoss(error)) {
      env.logger.debug("peer connection lost", { remote, peer, error: errorText(error) });
    } else {
      env.dropped("frame", remote, peer, errorText(error));
    }
  } finally {
    closeQuietly(conn);
  }
}

/**
 * Reads and checks the peer's handshake within the time limit, then answers
 * with ours. Returns null when the handshake was refused (and reported).
 */
async function acceptHandshake(
  conn: Deno.Conn,
  reader: FrameReader,
  env: InboundEnv,
): Promise<PeerInfo | null> {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    closeQuietly(conn);
  }, env.limits.handshakeTimeoutMs);
  const remote = remoteOf(conn);
  try {
    const accepted = await readHandshake(conn, reader, env).catch(async (error) => {
      if (timedOut) throw new Error(`No handshake within ${env.limits.handshakeTimeoutMs} ms`);
      // Tell the peer why before hanging up, so a join or probe can report it.
      await writeAll(conn, encodeRefusal(errorText(error))).catch(() => {});
      env.dropped("handshake", remote, "", errorText(error));
      return null;
    });
    if (accepted === null) return null;
    const answer = encodeHandshake(env.ours());
    const { secret } = env;
    const transcript = accepted.transcript;
    await writeAll(
      conn,
      secret === null || transcript === null
        ? answer
        : await listenerAnswer(secret, transcript, answer),
    );
    env.announce(accepted.info);
    return accepted.info;
  } finally {
    clearTimeout(timer);
  }
}

/** The admitted peer, and with a secret the handshake its proof and ours cover. */
interface Accepted {
  info: PeerInfo;
  transcript: { hello: Uint8Array; challenge: Uint8Array } | null;
}

/**
 * The peer's handshake, checked: with a secret, its proof comes first, so
 * nothing an unproven peer says reaches admission (which may adopt this
 * node into the peer's cluster).
 */
async function readHandshake(
  conn: Deno.Conn,
  reader: FrameReader,
  env: InboundEnv,
): Promise<Accepted> {
  const payload = await reader.next(HANDSHAKE_BYTES_MAX);
  if (payload === null) throw new Error("Connection closed before the handshake");
  const hello = payload.slice();
  const { info, nonce } = decodeHello(hello);
  let transcript: Accepted["transcript"] = null;
  if (env.secret !== null) {
    const ourId = env.ours().id;
    const challenge = await challengeDialer(conn, reader, env.secret, {
      bytes: hello,
      nonce,
      ourId,
    });
    transcript = { hello, challenge };
  } else if (nonce !== null) {
    throw new Error(
      `Node "${env.ours().id}" has no cluster secret: it cannot check the peer's proof`,
    );
  }
  const refusal = env.admit(info);
  if (refusal !== null) throw new Error(refusal);
  return { info, transcript };
}

/** Reads frames until a clean end of stream; throws on any protocol error. */
async function receive(reader: FrameReader, peer: PeerInfo, env: InboundEnv): Promise<void> {
  const assembler = new SnapshotAssembler(env.limits.snapshotBytesMax);
  // Bounded by the connection: each turn consumes one frame or ends.
  for (;;) {
    const payload = await reader.next();
    if (payload === null) {
      if (assembler.busy) throw new Error("Connection closed in the middle of a snapshot");
      return;
    }
    env.meter?.received(peer.id, payload.length + FRAME_HEADER_BYTES);
    const message = decodeFrame(payload, assembler, peer);
    if (message !== null) env.deliver(message);
  }
}

/** The message a frame completes, or null while a snapshot is still arriving. */
function decodeFrame(
  payload: Uint8Array,
  assembler: SnapshotAssembler,
  peer: PeerInfo,
): Message | null {
  const kind = payload[0];
  if (assembler.busy && kind !== FrameKind.snapChunk) {
    throw new Error(`Expected a snapshot chunk, got frame kind "${kind}"`);
  }
  if (kind === FrameKind.snapChunk) return assembler.add(payload);
  let message: Message;
  if (kind === FrameKind.message) message = decodeMessage(payload.subarray(1));
  else if (kind === FrameKind.snapHead) message = assembler.begin(payload);
  else throw new Error(`Unexpected frame kind "${kind}"`);
  if (message.from !== peer.id) {
    throw new Error(`Message from "${message.from}" on the link of "${peer.id}"`);
  }
  return kind === FrameKind.message ? message : null;
}
