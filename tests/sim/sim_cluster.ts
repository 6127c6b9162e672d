/**
 * The simulated machines of a run: each node is the production node
 * (`RaftKvNode` with its driver) over simulated storage, transport and
 * clock. The cluster carries messages between transports through the
 * simulated network, models the handshake of each connection (so admission
 * runs as in production), answers probes, completes storage writes when
 * the run says, and crashes and restarts nodes.
 *
 * @module
 */

import type { NodeConfig } from "../../src/config.ts";
import { silentLogger } from "../../src/log.ts";
import type { DriverBreaks, DriverListener } from "../../src/node/driver.ts";
import { RaftKvNode } from "../../src/node/kv_node.ts";
import type { RaftConfig } from "../../src/raft/config.ts";
import type { Rng } from "../../src/raft/rng.ts";
import type { Message, NodeId } from "../../src/raft/types.ts";
import type { PeerInfo } from "../../src/transport/types.ts";
import type { InFlight, SimNetwork } from "./network.ts";
import type { SimClock } from "./sim_clock.ts";
import { brokenPromise } from "./durable_log.ts";
import { type SimDisk, SimStorage } from "./sim_storage.ts";
import { simAddr, SimTransport, type SimWire } from "./sim_transport.ts";

/** One machine: its disk survives crashes; the rest is rebuilt on restart. */
export interface Machine {
  readonly id: NodeId;
  readonly disk: SimDisk;
  node: RaftKvNode | null;
  storage: SimStorage | null;
  transport: SimTransport | null;
  incarnation: number;
}

/** How the cluster builds and watches its nodes. */
export interface ClusterOptions {
  network: SimNetwork;
  clock: SimClock;
  /** The node config of `id`. */
  config(id: NodeId): NodeConfig;
  /** Core settings beyond the config (message sizes, windows). */
  raft: Partial<RaftConfig>;
  seed: number;
  /** The run's listener for one incarnation of a node. */
  listener(id: NodeId, incarnation: number): DriverListener;
  /** A node stopped on a fatal error. */
  onFatal(id: NodeId, error: Error): void;
  /** A node sent a reply whose promise its disk does not hold yet (§10.2.1). */
  unkept(id: NodeId, what: string): void;
  breaks: DriverBreaks & { ackBeforeSync?: boolean };
}

/** How a delivery ended before the node's loop. */
export type Delivery = "delivered" | "no node" | "misaddressed" | "refused";

/** The nodes of a run. */
export class SimCluster implements SimWire {
  readonly machines = new Map<NodeId, Machine>();
  private readonly options: ClusterOptions;
  /** "a>b" → the incarnations of a and b whose connection shook hands. */
  private readonly connections = new Map<string, string>();
  private probes: {
    from: SimTransport;
    raftAddr: string;
    settle: (p: PeerInfo | Error) => void;
  }[] = [];

  /** @param options network, clock, configs and hooks */
  constructor(options: ClusterOptions) {
    this.options = options;
  }

  /** Adds a machine with `disk`; it runs once started. */
  add(id: NodeId, disk: SimDisk): void {
    this.machines.set(id, { id, disk, node: null, storage: null, transport: null, incarnation: 0 });
  }

  /** The machine `id`; throws when unknown. */
  machine(id: NodeId): Machine {
    const m = this.machines.get(id);
    if (m === undefined) throw new Error(`No machine "${id}"`);
    return m;
  }

  /** Running machines. */
  alive(): Machine[] {
    return [...this.machines.values()].filter((m) => m.node !== null);
  }

  /** Boots (or reboots) `id` from its disk. */
  async start(id: NodeId): Promise<void> {
    const m = this.machine(id);
    m.incarnation++;
    const incarnation = m.incarnation;
    const storage = new SimStorage(m.disk, this.options.breaks.ackBeforeSync === true);
    m.storage = storage;
    // The storage break is the simulated disk's; the node takes the others.
    const { ackBeforeSync: _disk, ...breaks } = this.options.breaks;
    m.node = await RaftKvNode.create(this.options.config(id), {
      storage,
      transport: (handlers, clusterId) => {
        m.transport = new SimTransport(id, handlers, clusterId, this);
        return m.transport;
      },
      clock: this.options.clock.forOwner(`${id}#${incarnation}`),
      seed: (this.options.seed * 31 + incarnation * 7919 + hash(id)) >>> 0,
      logger: silentLogger,
      onFatal: (error) => this.options.onFatal(id, error),
      listener: this.options.listener(id, incarnation),
      raft: this.options.raft,
      breaks: { ...breaks, plan: breaks.plan ?? {} },
    });
  }

  /** Crashes `id`: writes still pending are lost, the first maybe torn after `keepEntries`. */
  crash(id: NodeId, keepEntries = 0): void {
    const m = this.machine(id);
    if (m.node === null) return;
    m.storage?.crash(keepEntries);
    if (m.transport !== null) m.transport.closed = true;
    this.options.clock.cancelOwner(`${id}#${m.incarnation}`);
    m.node = null;
    m.storage = null;
    m.transport = null;
  }

  /** The node that `raftAddr` names, if it is a machine. */
  byAddr(raftAddr: string): Machine | undefined {
    return [...this.machines.values()].find((m) => simAddr(m.id) === raftAddr);
  }

  /** SimWire: queue a message on the network, tagged with the sender's incarnation. */
  send(from: SimTransport, message: Message): void {
    const m = this.machine(from.id);
    const log = m.node?.driver.core.log;
    const broken = log === undefined
      ? null
      : brokenPromise(m.disk.durable, message, (index) => log.term(index));
    if (broken !== null) this.options.unkept(from.id, broken);
    const to = this.machines.get(message.to)?.incarnation ?? 0;
    this.options.network.send(message, this.options.clock.nowMs, { from: m.incarnation, to });
  }

  /** SimWire: a probe is answered at the next time unit. */
  probe(from: SimTransport, raftAddr: string): Promise<PeerInfo> {
    return new Promise((resolve, reject) => {
      this.probes.push({
        from,
        raftAddr,
        settle: (p) => p instanceof Error ? reject(p) : resolve(p),
      });
    });
  }

  /** Answers the probes made since the last call. */
  answerProbes(): void {
    const probes = this.probes;
    this.probes = [];
    for (const p of probes) {
      const target = this.byAddr(p.raftAddr);
      const t = target?.transport;
      if (t == null || this.options.network.isCut(p.from.id, t.id)) {
        p.settle(new Error(`Cannot reach peer at "${p.raftAddr}": connection refused`));
        continue;
      }
      const refusal = t.handlers.admit?.(p.from.info(), true) ?? null;
      if (refusal !== null) {
        t.refused();
        p.settle(new Error(`Cannot reach peer at "${p.raftAddr}": refused: ${refusal}`));
        continue;
      }
      t.handlers.onPeer?.(p.from.info());
      p.settle(t.info());
    }
  }

  /**
   * Delivers one message: after a handshake on a new connection (both
   * sides admit each other, as over TCP), to the node's message handler.
   */
  deliver(f: InFlight): Delivery {
    const target = this.machines.get(f.target)?.transport;
    if (target == null) return "no node";
    const m = f.message;
    if (m.to !== target.id) return "misaddressed";
    const sender = this.machines.get(m.from);
    if (f.corruption === null && sender?.incarnation !== f.incarnation) return "no node";
    if (!this.shakeHands(sender, m.from, target)) return "refused";
    target.handlers.onMessage(m);
    return "delivered";
  }

  /** Completes pending storage writes: each node, each write in order, with chance `rate`. */
  completeWrites(rng: Rng, rate: number): void {
    for (const m of this.machines.values()) {
      for (let i = 0; i < 64 && m.storage !== null && m.storage.pendingCount > 0; i++) {
        if (rng.int(1000) >= rate * 1000) break;
        m.storage.completeNext();
      }
    }
  }

  private shakeHands(sender: Machine | undefined, from: NodeId, target: SimTransport): boolean {
    const key = `${from}>${target.id}`;
    const incarnations = `${sender?.incarnation ?? 0}:${this.machine(target.id).incarnation}`;
    if (this.connections.get(key) === incarnations) return true;
    const info = sender?.transport?.info() ??
      { id: from, clusterId: target.info().clusterId, raftAddr: "sim-stranger:7001", httpAddr: "" };
    if (target.handlers.admit?.(info, true) != null) {
      target.refused();
      return false;
    }
    const back = sender?.transport;
    if (back != null && back.handlers.admit?.(target.info(), false) != null) return false;
    target.handlers.onPeer?.(info);
    back?.handlers.onPeer?.(target.info());
    this.connections.set(key, incarnations);
    return true;
  }
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}
