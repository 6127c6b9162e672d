/**
 * The public shapes of the peer transport: what a peer says about itself,
 * the options and the callbacks.
 *
 * @module
 */

import type { Logger } from "../log.ts";
import type { Message } from "../raft/types.ts";

/** What a peer says about itself in its handshake. */
export interface PeerInfo {
  id: string;
  /** The peer's cluster id, `""` while it does not know one. */
  clusterId: string;
  /** `host:port` of the peer's Raft listener. */
  raftAddr: string;
  /** `host:port` of the peer's HTTP API, `""` when it has none. */
  httpAddr: string;
  /** The newest log command version the peer can apply (1 when it does not say). */
  commandVersion?: number;
}

/**
 * Proves and checks knowledge of the cluster secret (`ClusterSecret` in
 * `src/secret/`): an HMAC of a label and some parts.
 */
export interface PeerSecret {
  prove(label: string, parts: readonly Uint8Array[]): Promise<Uint8Array>;
  /** True when `proof` was made with any secret this node accepts; constant time. */
  verify(label: string, parts: readonly Uint8Array[], proof: Uint8Array): Promise<boolean>;
}

/** What peer links over TLS need: this node's certificate and key, and whom to trust. */
export interface PeerTls {
  /** PEM certificate (chain) the listener presents; it must name the Raft address's host. */
  cert: string;
  /** PEM private key of `cert`. */
  key: string;
  /** PEM CA certificates a dialer checks listeners against; empty: the system's roots. */
  caCerts: string[];
}

/** Settings of a {@link TcpTransport}; only the first four are required. */
export interface TransportOptions {
  nodeId: string;
  /** `host:port` to listen on (port 0 picks a free port). */
  raftAddr: string;
  /** Advertised in the handshake. */
  httpAddr: string;
  /** The current cluster id; `""` while unknown (a fresh node waiting to be added). */
  clusterId: () => string;
  /** The newest log command version this node can apply, announced in handshakes (default 1). */
  commandVersion?: number;
  /** Largest frame accepted or sent, in bytes (default 16 MiB). */
  frameBytesMax?: number;
  /** Bytes that may wait for one peer before messages are dropped (default 64 MiB). */
  queueBytesMax?: number;
  /** Snapshot data larger than this travels in chunks of this size (default 1 MiB). */
  snapshotChunkBytes?: number;
  /** Largest snapshot a peer may send us in chunks, in bytes (default 8 GiB). */
  snapshotBytesMax?: number;
  /** How long a new connection may take to exchange handshakes (default 5000 ms). */
  handshakeTimeoutMs?: number;
  /** First reconnect delay after a failure (default 50 ms); doubles up to `reconnectMsMax`. */
  reconnectMsMin?: number;
  /** Longest reconnect delay (default 2000 ms). */
  reconnectMsMax?: number;
  /** Most inbound connections served at once (default 256). */
  inboundConnsMax?: number;
  /**
   * A link that sent a request (an append, heartbeat, vote or read index)
   * and has heard nothing at all from the peer since, for this long, is
   * presumed dead and dialed again (default 5000 ms). After a partition a
   * connection whose packets were lost can otherwise stay silent for as
   * long as TCP's retransmission backoff, which grows to minutes.
   */
  replySilenceMsMax?: number;
  /**
   * The cluster secret: every link then opens with the mutual challenge of
   * `challenge.ts`, and a peer that cannot prove it is refused. Null or
   * absent: handshakes as before secrets existed.
   */
  secret?: PeerSecret | null;
  /** Links over TLS: the listener serves `cert`, dialers check it and its name. */
  tls?: PeerTls | null;
  logger?: Logger;
  /** Counts the bytes and messages that go to and come from each peer (none by default). */
  meter?: PeerMeter;
}

/**
 * The data of a snapshot being sent, read a range at a time as the link
 * writes it (a stored snapshot file), so a large snapshot is never held
 * whole. The link closes it when the transfer ends or fails.
 */
export interface SnapshotSource {
  /** Bytes of snapshot data. */
  bytes: number;
  /** Reads `length` bytes (fewer only at the end) from `offset`. */
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): void;
}

/**
 * Counters of peer traffic, called on the hot path (once per write, per
 * frame read, per batch dropped): keep them to a few additions.
 */
export interface PeerMeter {
  /** `bytes` were written to peer `to` (one write of one or more frames). */
  sent(to: string, bytes: number): void;
  /** A frame of `bytes` (header included) arrived from peer `from`. */
  received(from: string, bytes: number): void;
  /** `messages` to peer `to` were dropped unsent (queue full, link down, write failed). */
  sendFailed(to: string, messages: number): void;
}

/** What the transport calls back into. */
export interface TransportHandlers {
  /** A message arrived from a peer (already checked against the peer's handshake). */
  onMessage(message: Message): void;
  /** Called with the peer's handshake for every accepted inbound and outbound link. */
  onPeer?(info: PeerInfo): void;
  /**
   * Decides whether to talk to a peer whose handshake arrived (`inbound`:
   * it dialed us) or answered ours: null to accept, or a sentence saying why
   * not, which a refusal frame carries back. The default refuses a peer
   * whose cluster id differs from ours when both are known.
   */
  admit?(info: PeerInfo, inbound: boolean): string | null;
}

/** What the listener refused or dropped from peers since it started. */
export interface InboundStats {
  /**
   * Handshakes refused (bad version or cluster, a peer we cannot place, our
   * own id, a failed cluster secret proof either way).
   */
  handshakesRefused: number;
  /** Frames that failed to decode or broke the protocol; each closed its connection. */
  framesDropped: number;
}

/** Counters of one outbound link, for status pages and tests. */
export interface PeerStats {
  id: string;
  raftAddr: string;
  /** Whether a handshake-complete connection is up. */
  connected: boolean;
  /** Bytes waiting to be written. */
  queuedBytes: number;
  /** Messages dropped since the link was created (queue full, outage, oversized). */
  dropped: number;
}
