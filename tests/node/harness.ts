/**
 * One production node in process, over the simulator's storage, clock and a
 * transport whose sends the test reads and whose deliveries the test makes:
 * no sockets, no sleeps. Time moves and writes complete only when the test
 * says.
 *
 * @module
 */

import { defaultNodeConfig, type NodeConfig, validateNodeConfig } from "../../src/config.ts";
import { silentLogger } from "../../src/log.ts";
import type { NodeEvents } from "../../src/metrics/node_events.ts";
import { RaftKvNode } from "../../src/node/kv_node.ts";
import { encodeConfChange } from "../../src/raft/membership.ts";
import { newMessage } from "../../src/raft/message.ts";
import type { Entry, Message, MessageType } from "../../src/raft/types.ts";
import { drain, type Drainer } from "../sim/drain.ts";
import { SimClock } from "../sim/sim_clock.ts";
import { SimDisk, SimStorage } from "../sim/sim_storage.ts";
import { simAddr, SimTransport, type SimWire } from "../sim/sim_transport.ts";

/** Drains per settle: more than any chain of awaits in the node needs. */
const SETTLE_DRAINS = 5;
/** Milliseconds per tick in these tests. */
export const HEARTBEAT_MS = 10;

/** A promise's outcome, filled in when it settles: for asserting on a value or an error. */
export interface Outcome<T> {
  value?: T;
  error?: unknown;
  done: boolean;
}

/** Settles `promise` into an {@link Outcome}, for asserting on either. */
export function outcome<T>(promise: Promise<T>): Outcome<T> {
  const box: Outcome<T> = { done: false };
  promise.then(
    (value) => Object.assign(box, { value, done: true }),
    (error) => Object.assign(box, { error, done: true }),
  );
  return box;
}

/** A node under test and the handles that drive it. */
export class TestNode {
  readonly node: RaftKvNode;
  readonly storage: SimStorage;
  readonly clock: SimClock;
  readonly transport: SimTransport;
  /** Every message the node sent, in order. */
  readonly sent: Message[];
  private readonly drainer: Drainer;

  private constructor(parts: {
    node: RaftKvNode;
    storage: SimStorage;
    clock: SimClock;
    transport: SimTransport;
    sent: Message[];
    drainer: Drainer;
  }) {
    this.node = parts.node;
    this.storage = parts.storage;
    this.clock = parts.clock;
    this.transport = parts.transport;
    this.sent = parts.sent;
    this.drainer = parts.drainer;
  }

  /**
   * Node "n1" of a cluster whose voters are `voters` (n1 first), started from
   * a disk holding `options.prelude` (committed entries from index 1) and
   * then their membership entries, reporting to `options.events` if given,
   * with `options.seed` for what the node draws (7 by default).
   */
  static async start(
    voters: string[],
    config: Partial<NodeConfig> = {},
    options: { prelude?: Entry[]; events?: NodeEvents; seed?: number } = {},
  ): Promise<TestNode> {
    const prelude = options.prelude ?? [];
    const disk = new SimDisk("n1", "test");
    const entries: Entry[] = [
      ...prelude,
      ...voters.map((id, i) => ({
        index: prelude.length + i + 1,
        term: 1,
        type: "conf" as const,
        data: encodeConfChange({
          op: "addVoter",
          id,
          raftAddr: simAddr(id),
          httpAddr: `sim-${id}:8001`,
        }),
      })),
    ];
    disk.seed({
      hardState: { term: 1, vote: "", commit: entries.at(-1)!.index },
      entries,
    });
    const clock = new SimClock();
    const storage = new SimStorage(disk, false);
    const sent: Message[] = [];
    const wire: SimWire = {
      send: (_, m) => sent.push(m),
      probe: () => Promise.reject(new Error("Cannot reach peers in this test")),
    };
    let transport: SimTransport | null = null;
    const node = await RaftKvNode.create(nodeConfig(config), {
      storage,
      transport: (handlers, clusterId) =>
        transport = new SimTransport("n1", handlers, clusterId, wire),
      clock: clock.forOwner("n1"),
      seed: options.seed ?? 7,
      logger: silentLogger,
      ...(options.events === undefined ? {} : { events: options.events }),
      onFatal: (error) => {
        throw error;
      },
    });
    return new TestNode({ node, storage, clock, transport: transport!, sent, drainer: drain() });
  }

  /** Lets the node run until it waits on the test (a few tasks: promise chains interleave). */
  async settle(): Promise<void> {
    for (let i = 0; i < SETTLE_DRAINS; i++) await this.drainer.drain();
  }

  /** Moves time by `ticks` heartbeats, one at a time, letting the node run after each. */
  async tick(ticks = 1): Promise<void> {
    for (let i = 0; i < ticks; i++) {
      this.clock.advanceTo(this.clock.nowMs + HEARTBEAT_MS);
      await this.settle();
    }
  }

  /** Completes every pending storage write (and those they lead to), letting the node run. */
  async sync(): Promise<void> {
    for (let rounds = 0; rounds < 100; rounds++) {
      await this.settle();
      if (!this.storage.completeNext()) return;
    }
  }

  /** Delivers a message from a peer, as if over an accepted connection. */
  async receive(type: MessageType, from: string, term: number, fields: Partial<Message> = {}) {
    this.transport.handlers.onMessage({ ...newMessage(type, from, "n1", term), ...fields });
    await this.settle();
  }

  /** Makes n1 leader of its term + 1 with the votes of `peers`. */
  async elect(peers: string[]): Promise<number> {
    const term = this.node.driver.core.state().term + 1;
    for (let i = 0; i < 40 && this.node.driver.core.state().role === "follower"; i++) {
      await this.tick();
    }
    for (const peer of peers) await this.receive("preVoteResp", peer, term);
    await this.sync();
    for (const peer of peers) await this.receive("voteResp", peer, term);
    await this.sync();
    return term;
  }

  /** Stops the node and releases the drainer. */
  async stop(): Promise<void> {
    const stopping = this.node.stop();
    await this.sync();
    await stopping;
    this.drainer.close();
  }
}

function nodeConfig(overrides: Partial<NodeConfig>): NodeConfig {
  return validateNodeConfig({
    ...defaultNodeConfig(),
    raftAddr: simAddr("n1"),
    httpAddr: "sim-n1:8001",
    dataDir: "test/n1",
    heartbeatMs: HEARTBEAT_MS,
    electionMs: 10 * HEARTBEAT_MS,
    requestTimeoutMs: 1000 * HEARTBEAT_MS,
    ...overrides,
  });
}
