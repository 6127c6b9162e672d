/**
 * The driver's only ways out: durable storage, the peer transport and the
 * clock. Production plugs in flat files, TCP and timers; the simulator plugs
 * in twins it controls, so it runs the driver as production runs it.
 *
 * @module
 */

import type { Message } from "../raft/types.ts";
import type { NodeIdentity, Storage } from "../storage/types.ts";
import type {
  InboundStats,
  PeerInfo,
  SnapshotSource,
  TransportHandlers,
} from "../transport/types.ts";

/** Storage the node needs beyond the log: its identity and the cluster id. */
export interface NodeStorage extends Storage {
  /** The node and cluster this storage belongs to. */
  identity(): NodeIdentity;
  /** Records the cluster id of a node that joined after its storage was created. */
  setClusterId(clusterId: string): Promise<void>;
  /** Wipes the log and snapshots and records `clusterId` (a node adopted into another cluster). */
  reset(clusterId: string): Promise<void>;
}

/** The peer links a node sends on; what arrives comes in through its handlers. */
export interface PeerTransport {
  /** Starts accepting peers. */
  listen(): Promise<void>;
  /** Queues messages for their destinations without waiting; drops what it cannot send. */
  send(messages: Message[]): void;
  /**
   * Queues snapshot message `m` whose data `source` gives, read as the link
   * sends it (never held whole); drops it, closing `source`, when it cannot.
   */
  sendSnapshot(m: Message, source: SnapshotSource): void;
  /** Adds an outbound destination, or moves one to `raftAddr`. */
  setPeer(id: string, raftAddr: string): void;
  /** Forgets a destination. */
  removePeer(id: string): void;
  /** Exchanges handshakes with `raftAddr` and answers what it said about itself. */
  probe(raftAddr: string, timeoutMs: number): Promise<PeerInfo>;
  /** What was refused or dropped on the way in. */
  inboundStats(): InboundStats;
  /** Closes every link; resolves once nothing of the transport runs. */
  close(): Promise<void>;
}

/** Builds a node's transport around the handlers the node gives it. */
export type TransportFactory = (
  handlers: TransportHandlers,
  clusterId: () => string,
) => PeerTransport;

/** Time as the driver sees it: a monotonic clock and timers. */
export interface Clock {
  /** Milliseconds on a monotonic clock. */
  nowMs(): number;
  /** Runs `run` every `intervalMs` until the returned function is called. */
  every(intervalMs: number, run: () => void): () => void;
  /** Runs `run` once after `delayMs` unless the returned function is called first. */
  after(delayMs: number, run: () => void): () => void;
  /** Lets other work run (timers, I/O, the loop) between slices of background work. */
  pause(): Promise<void>;
}
