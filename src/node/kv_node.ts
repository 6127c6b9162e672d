/**
 * The node the HTTP layer calls (`KvApi`): it composes the driver with the
 * peer book, membership changes and adoption, answers reads at each level,
 * writes, joins, removals and status, and builds a real node from its data
 * directory (`start`) or a node from ports the caller supplies (`create`,
 * used by the simulator).
 *
 * @module
 */

import {
  type JoinRequest,
  type KvApi,
  type KvRecord,
  type NodeStatus,
  NotLeaderError,
  type ReadLevel,
  RejectedError,
} from "../api.ts";
import { advertised, type NodeConfig, raftConfigFor } from "../config.ts";
import { encodeDelete, encodePut } from "../kv/command.ts";
import { KvStateMachine } from "../kv/state_machine.ts";
import type { Logger } from "../log.ts";
import type { RaftConfig } from "../raft/config.ts";
import type { Membership, NodeId } from "../raft/types.ts";
import type { RecoveredState } from "../storage/types.ts";
import type { PeerInfo } from "../transport/types.ts";
import { Adoption } from "./adoption.ts";
import { Driver, type DriverBreaks, type DriverListener } from "./driver.ts";
import { nodeListener } from "./listener.ts";
import { Members } from "./membership.ts";
import { PeerBook } from "./peers.ts";
import type { Clock, NodeStorage, PeerTransport, TransportFactory } from "./ports.ts";
import { nodeStatus } from "./status.ts";

/** The ports, seed and options a node is built from. */
export interface NodeParts {
  storage: NodeStorage;
  transport: TransportFactory;
  clock: Clock;
  /** Seeds the core's election timeouts (one per incarnation). */
  seed: number;
  logger: Logger;
  /** Called on a storage failure (the real node exits). */
  onFatal(error: Error): void;
  /** How the `--join` loop reaches a member (the global `fetch` by default). */
  fetch?: typeof fetch;
  /** Told what the driver does, after the node itself (the simulator's checks). */
  listener?: DriverListener;
  /** Core settings beyond those the config derives (the simulator varies message sizes). */
  raft?: Partial<RaftConfig>;
  /** Test-only bugs (see `DriverBreaks`). */
  breaks?: DriverBreaks;
}

/**
 * A running rafter node.
 *
 * @example
 * ```ts ignore
 * const node = await startNode(config);
 * await node.put("k", "v");
 * await node.stop();
 * ```
 */
export class RaftKvNode implements KvApi {
  readonly config: NodeConfig;
  private current: Driver;
  private readonly parts: NodeParts;
  private readonly transport: PeerTransport;
  private readonly peers: PeerBook;
  private readonly members: Members;
  private readonly adoption: Adoption;
  private clusterId: string;
  private stopped = false;
  private membersMemo: { latest: Membership; committed: Membership; known: Membership } | null =
    null;

  private constructor(config: NodeConfig, parts: NodeParts) {
    this.config = config;
    this.parts = parts;
    this.clusterId = parts.storage.identity().clusterId;
    this.transport = parts.transport({
      onMessage: (m) => {
        const refused = this.peers.filter(m);
        if (refused === null) this.current.receive(m);
        else parts.listener?.messageRefused?.(m, refused);
      },
      onPeer: (info) => this.onPeer(info),
      admit: (info, inbound) => this.peers.admit(info, inbound),
    }, () => this.clusterId);
    this.members = new Members({
      id: config.id,
      raftAddr: advertised(config.raftAddr, "Raft address"),
      httpAddr: config.advertiseHttpAddr,
      requestTimeoutMs: config.requestTimeoutMs,
      driver: () => this.current,
      transport: this.transport,
      clock: parts.clock,
      log: parts.logger,
      fetch: parts.fetch ?? ((input, init) => fetch(input, init)),
      stopped: () => this.stopped,
    });
    this.adoption = new Adoption({
      id: config.id,
      driver: () => this.current,
      adding: () => this.members.adding,
      log: parts.logger,
      clusterId: () => this.clusterId,
      setClusterId: (id) => this.clusterId = id,
      adopt: (info) => queueMicrotask(() => this.adopt(info)),
    });
    this.peers = new PeerBook(
      {
        id: config.id,
        membership: () => this.knownMembers(),
        core: () => this.current.core.state(),
        clusterId: () => this.clusterId,
        joining: () => this.members.joining,
        mayAdopt: (info) => this.adoption.consider(info),
      },
      this.transport,
      parts.logger,
    );
    this.current = this.newDriver(parts.storage.recovered());
  }

  /**
   * The members of the latest configuration in the log and of the committed
   * one: an uncommitted change (which a new leader may overwrite) must not
   * cut this node off from a member the cluster still has.
   */
  private knownMembers(): Membership {
    const core = this.current.core;
    const latest = core.currentMembership();
    const committed = core.membershipAt(core.log.committed);
    const memo = this.membersMemo;
    if (memo !== null && memo.latest === latest && memo.committed === committed) return memo.known;
    const known = latest === committed ? latest : [
      ...latest,
      ...committed.filter((c) => !latest.some((m) => m.id === c.id)),
    ];
    this.membersMemo = { latest, committed, known };
    return known;
  }

  /** Builds a node from `parts` (storage already opened) and starts it; the transport listens. */
  static async create(config: NodeConfig, parts: NodeParts): Promise<RaftKvNode> {
    const node = new RaftKvNode(config, parts);
    await node.transport.listen();
    node.peers.sync();
    node.current.start();
    return node;
  }

  /** The driver running now (a new one after adoption). */
  get driver(): Driver {
    return this.current;
  }

  /** Reads `key` at `level`. */
  async get(key: string, level: ReadLevel): Promise<KvRecord | null> {
    const local = level === "stale" ||
      (level === "consistent" && this.parts.breaks?.localConsistentReads === true);
    if (local) return this.current.machine.get(key);
    await this.current.waitForLeader();
    const driver = this.current;
    if (level === "default") {
      const index = driver.leaseRead();
      if (index >= 0 && driver.machine.appliedIndex >= index) return driver.machine.get(key);
      if (driver.core.state().role !== "leader") throw new NotLeaderError(driver.leaderHttpAddr());
      // No lease (a new leader, or a quorum not heard from lately): confirm with a round.
    }
    await driver.readIndex();
    return driver.machine.get(key);
  }

  /** Writes `key` once committed and applied. */
  async put(key: string, value: string): Promise<{ index: number }> {
    await this.current.waitForLeader();
    const result = await this.current.propose(encodePut(key, value), null);
    return { index: result.index };
  }

  /** Deletes `key` once committed and applied. */
  async delete(key: string): Promise<{ deleted: boolean; index: number }> {
    await this.current.waitForLeader();
    const result = await this.current.propose(encodeDelete(key), null);
    return { deleted: result.kind === "delete" && result.deleted, index: result.index };
  }

  /** Adds a member as a learner and waits until it is promoted to voter. */
  async join(request: JoinRequest): Promise<{ id: NodeId; index: number }> {
    await this.current.waitForLeader();
    return await this.members.join(request);
  }

  /** Removes a member. */
  async remove(id: NodeId): Promise<{ index: number }> {
    await this.current.waitForLeader();
    return await this.members.remove(id);
  }

  /**
   * Hands leadership to voter `to`, or to the most caught-up other voter
   * when `to` is empty (§3.10); answers the target. The transfer finishes
   * (or is abandoned) within an election timeout.
   */
  transferLeader(to: NodeId = ""): NodeId {
    const driver = this.current;
    driver.requireLeader();
    const target = to !== "" ? to : mostCaughtUpVoter(driver, this.config.id);
    if (target === undefined) {
      throw new RejectedError("Cannot transfer leadership: there is no other voter");
    }
    const error = driver.transferLeader(target);
    if (error !== null) {
      throw new RejectedError(`Cannot transfer leadership to "${target}": ${error}`);
    }
    return target;
  }

  /** This node's view of itself and the cluster. */
  status(): NodeStatus {
    return nodeStatus(this.current, {
      id: this.config.id,
      clusterId: this.clusterId,
      heartbeatMs: this.config.heartbeatMs,
      droppedPeerMessages: this.peers.droppedTotal(),
      leaderContactMs: this.current.leaderContactMs(),
    });
  }

  /** Asks `url` to add this node, with backoff, until it answers or the node stops. */
  joinLoop(url: string): Promise<void> {
    return this.members.joinLoop(url);
  }

  /** Stops accepting work, finishes the turn in progress, closes links and files. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.current.stop();
    await this.transport.close();
    await this.parts.storage.close();
  }

  private newDriver(state: RecoveredState): Driver {
    const { config, parts } = this;
    const machine = new KvStateMachine();
    if (state.snapshot !== null) machine.restore(state.snapshot.data);
    return new Driver({
      id: config.id,
      settings: {
        raft: { ...raftConfigFor(config), ...parts.raft },
        heartbeatMs: config.heartbeatMs,
        requestTimeoutMs: config.requestTimeoutMs,
        proposalsInflightMax: config.proposalsInflightMax,
        snapshotEntries: config.snapshotEntries,
        snapshotCatchUpEntries: config.snapshotCatchUpEntries,
      },
      state,
      machine,
      seed: parts.seed,
      storage: parts.storage,
      transport: this.transport,
      clock: parts.clock,
      listener: nodeListener({
        id: config.id,
        log: parts.logger,
        peers: () => this.peers,
        members: () => this.members,
        extra: parts.listener,
      }),
      decoded: (snapshot) => this.peers.decoded(snapshot),
      onFatal: (error) => this.fail(error),
      ...(parts.breaks === undefined ? {} : { breaks: parts.breaks }),
    });
  }

  /**
   * A peer completed a handshake. A fresh node learns its cluster id from
   * the first leader, before answering it, so that our handshake names it.
   */
  private onPeer(info: PeerInfo): void {
    if (this.clusterId === "" && info.clusterId !== "") {
      this.clusterId = info.clusterId;
      this.parts.storage.setClusterId(info.clusterId).catch((error) => this.fail(error));
      this.parts.logger.info("joined cluster", { cluster: info.clusterId, via: info.id });
    }
    this.peers.handshake(info);
  }

  /** Starts over in `info`'s cluster: a fresh log and a new driver. */
  private async adopt(info: PeerInfo): Promise<void> {
    const clusterId = info.clusterId;
    try {
      await this.current.stop("This node is joining another cluster");
      await this.parts.storage.reset(clusterId);
    } catch (error) {
      return this.fail(error instanceof Error ? error : new Error(String(error)));
    }
    if (this.stopped) return;
    this.current = this.newDriver(this.parts.storage.recovered());
    this.peers.reset();
    this.peers.sync();
    // The new leader dialed us while we were still a member of our own
    // cluster: answer it until its log tells us who is who.
    this.peers.handshake(info);
    this.current.start();
    this.adoption.done(clusterId);
  }

  private fail(error: Error): void {
    if (this.stopped) return;
    this.stopped = true;
    this.current.requests.failAll("Node stopped on a storage failure");
    this.parts.onFatal(error);
  }
}

/** The voter other than `self` whose log matches the leader's furthest. */
function mostCaughtUpVoter(driver: Driver, self: NodeId): NodeId | undefined {
  const voters = new Set(
    driver.core.currentMembership().filter((m) => m.voter && m.id !== self).map((m) => m.id),
  );
  let best: { id: NodeId; match: number } | undefined;
  for (const p of driver.core.progress()) {
    if (!voters.has(p.id)) continue;
    if (best === undefined || p.match > best.match) best = { id: p.id, match: p.match };
  }
  return best?.id;
}
