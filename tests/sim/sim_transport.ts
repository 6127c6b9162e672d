/**
 * The simulator's peer transport: the node's address book and handlers,
 * with messages handed to the simulated network. Like the TCP transport it
 * sends only to peers in its address book and drops messages addressed to
 * another node; handshakes are modelled by the cluster on first delivery.
 *
 * @module
 */

import { COMMAND_VERSION } from "../../src/kv/command_types.ts";
import type { PeerTransport } from "../../src/node/ports.ts";
import type { Message, NodeId } from "../../src/raft/types.ts";
import type {
  InboundStats,
  PeerInfo,
  SnapshotSource,
  TransportHandlers,
} from "../../src/transport/types.ts";

/** Where a simulated transport sends and probes: the cluster. */
export interface SimWire {
  send(from: SimTransport, message: Message): void;
  probe(from: SimTransport, raftAddr: string): Promise<PeerInfo>;
}

/** The Raft address a simulated node announces (a host:port any parser takes). */
export function simAddr(id: NodeId): string {
  return `sim-${id}:7001`;
}

/**
 * One node's transport in the simulation.
 *
 * @example
 * ```ts
 * import { SimTransport } from "./sim_transport.ts";
 * const sent: string[] = [];
 * const wire = { send: (_: unknown, m: { to: string }) => sent.push(m.to), probe: () => Promise.reject() };
 * const t = new SimTransport("n1", { onMessage() {} }, () => "c", wire as never);
 * t.setPeer("n2", "sim:n2");
 * t.send([{ to: "n2" }, { to: "n3" }] as never);
 * if (sent.join() !== "n2") throw new Error(sent.join());
 * ```
 */
export class SimTransport implements PeerTransport {
  readonly id: NodeId;
  readonly handlers: TransportHandlers;
  private readonly clusterId: () => string;
  private readonly wire: SimWire;
  private readonly book = new Map<NodeId, string>();
  private readonly drops: InboundStats = { handshakesRefused: 0, framesDropped: 0 };
  closed = false;

  /**
   * @param id the node's id
   * @param handlers the node's handlers
   * @param clusterId the node's cluster id as of now
   * @param wire the cluster that carries messages
   */
  constructor(id: NodeId, handlers: TransportHandlers, clusterId: () => string, wire: SimWire) {
    this.id = id;
    this.handlers = handlers;
    this.clusterId = clusterId;
    this.wire = wire;
  }

  /** What this node says in a handshake. */
  info(): PeerInfo {
    return {
      id: this.id,
      clusterId: this.clusterId(),
      raftAddr: simAddr(this.id),
      httpAddr: "",
      commandVersion: COMMAND_VERSION,
    };
  }

  /** True when `id` is in the address book. */
  knows(id: NodeId): boolean {
    return this.book.has(id);
  }

  /** Counts a refused handshake (the cluster models handshakes). */
  refused(): void {
    this.drops.handshakesRefused++;
  }

  listen(): Promise<void> {
    return Promise.resolve();
  }

  send(messages: Message[]): void {
    if (this.closed) return;
    for (const m of messages) if (this.book.has(m.to)) this.wire.send(this, m);
  }

  /** Reads the whole snapshot (it is in memory already) and sends it as one message. */
  sendSnapshot(m: Message, source: SnapshotSource): void {
    source.read(0, source.bytes).then((data) => {
      this.send([{ ...m, snapshot: { meta: m.snapshot!.meta, data } }]);
    }).finally(() => source.close());
  }

  setPeer(id: NodeId, raftAddr: string): void {
    if (id !== this.id) this.book.set(id, raftAddr);
  }

  removePeer(id: NodeId): void {
    this.book.delete(id);
  }

  probe(raftAddr: string): Promise<PeerInfo> {
    return this.wire.probe(this, raftAddr);
  }

  inboundStats(): InboundStats {
    return { ...this.drops };
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}
