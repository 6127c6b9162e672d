/**
 * The node the HTTP layer calls (`KvApi`): it composes the driver with the
 * peer book, membership changes, adoption and the data model, and answers
 * reads at each level, writes, the data model's operations, joins,
 * removals and status. `create` builds one from ports the caller supplies
 * (`start.ts` passes files, TCP and timers; the simulator its twins).
 *
 * @module
 */

import {
  type Backup,
  type BytesRecord,
  type JoinRequest,
  type KvApi,
  type KvRecord,
  type LeadershipMoved,
  type LeaseInfo,
  type NodeStatus,
  type PutOptions,
  type PutResult,
  type ReadLevel,
  type ScanRequest,
  type ScanResult,
  type TxnRequest,
  type TxnResult,
  type WatchRequest,
  type WatchStream,
} from "../api.ts";
import { advertised, type NodeConfig, raftConfigFor } from "../config.ts";
import { encodeDelete } from "../kv/command.ts";
import { COMMAND_VERSION } from "../kv/command_types.ts";
import type { KvService } from "../kv/service.ts";
import { KvStateMachine } from "../kv/state_machine.ts";
import type { Logger } from "../log.ts";
import { NodeEvents } from "../metrics/node_events.ts";
import type { RaftConfig } from "../raft/config.ts";
import type { NodeId } from "../raft/types.ts";
import type { RecoveredState } from "../storage/types.ts";
import type { PeerInfo } from "../transport/types.ts";
import { Adoption } from "./adoption.ts";
import { openBackup } from "./backup.ts";
import { dataModel } from "./data_model.ts";
import { Driver, type DriverBreaks, type DriverListener } from "./driver.ts";
import { handOff, startTransfer } from "./handoff.ts";
import { nodeListener } from "./listener.ts";
import { Members } from "./membership.ts";
import { KnownMembers, PeerBook } from "./peers.ts";
import type { Clock, NodeStorage, PeerTransport, TransportFactory } from "./ports.ts";
import { readBarrier } from "./reads.ts";
import { nodeStatus } from "./status.ts";

/** The ports, seed and options a node is built from. */
export interface NodeParts {
  storage: NodeStorage;
  transport: TransportFactory;
  clock: Clock;
  /** Seeds the core's election timeouts and numbers reads apart from other starts' (one per start). */
  seed: number;
  logger: Logger;
  /** Called on a storage failure (the real node exits). */
  onFatal(error: Error): void;
  /** How the `--join` loop reaches a member (the global `fetch` by default). */
  fetch?: typeof fetch;
  /** Log lines and metrics of what happens (log lines only, counting nothing, when absent). */
  events?: NodeEvents;
  /** The `Rafter-Join-Proof` header value for a join body (a node with the cluster secret). */
  joinProof?: (body: Uint8Array) => Promise<string>;
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
  private readonly service: KvService;
  private readonly known = new KnownMembers();
  private readonly events: NodeEvents;
  private clusterId: string;
  private stopped = false;

  private constructor(config: NodeConfig, parts: NodeParts) {
    this.config = config;
    this.parts = parts;
    this.events = parts.events ??
      new NodeEvents({ logger: parts.logger, nodeId: config.id, slowFsyncMs: config.slowFsyncMs });
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
      joinProof: parts.joinProof ?? null,
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
        membership: () => {
          const core = this.current.core;
          return this.known.of(core.currentMembership(), core.membershipAt(core.log.committed));
        },
        core: () => this.current.core.state(),
        clusterId: () => this.clusterId,
        joining: () => this.members.joining,
        mayAdopt: (info) => this.adoption.consider(info),
      },
      this.transport,
      parts.logger,
    );
    this.service = dataModel({
      config,
      quotaBytes: config.quotaBytes,
      driver: () => this.current,
      clock: parts.clock,
      commandVersion: () => this.peers.commandVersion(COMMAND_VERSION),
      breaks: parts.breaks ?? {},
    });
    this.current = this.newDriver(parts.storage.recovered());
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
    const breaks = this.parts.breaks?.localConsistentReads === true;
    await readBarrier(this.current, level, breaks);
    return this.current.machine.get(key);
  }

  /** Writes `key` once committed and applied (checked against the quota once every member can). */
  put(key: string, value: string): Promise<{ index: number }> {
    return this.service.put(key, value);
  }

  /** Deletes `key` once committed and applied. */
  async delete(key: string): Promise<{ deleted: boolean; index: number }> {
    await this.current.waitForLeader();
    const result = await this.current.propose(encodeDelete(key), null);
    return { deleted: result.kind === "delete" && result.deleted, index: result.index };
  }

  /** Puts a value (text or bytes) with conditions, a lease or a TTL. */
  putValue(key: string, value: string | Uint8Array, options: PutOptions): Promise<PutResult> {
    return this.service.putValue(key, value, options);
  }

  /** Deletes `key` if `prevIndex` (when given) holds. */
  deleteValue(key: string, options: { prevIndex?: number }) {
    return this.service.deleteValue(key, options);
  }

  /** Reads `key` with its value as bytes. */
  getValue(key: string, level: ReadLevel): Promise<BytesRecord | null> {
    return this.service.getValue(key, level);
  }

  /** One page of keys with a prefix, in UTF-8 byte order, read at one applied index. */
  scan(request: ScanRequest, level: ReadLevel): Promise<ScanResult> {
    return this.service.scan(request, level);
  }

  /** Deletes every key with `prefix` as one entry. */
  deletePrefix(prefix: string): Promise<{ deleted: number; index: number }> {
    return this.service.deletePrefix(prefix);
  }

  /** Runs a transaction as one entry. */
  txn(request: TxnRequest): Promise<TxnResult> {
    return this.service.txn(request);
  }

  /** Grants a lease of `ttlMs`. */
  leaseGrant(ttlMs: number): Promise<{ id: number; ttlMs: number }> {
    return this.service.leaseGrant(ttlMs);
  }

  /** Restarts lease `id`'s TTL on the leader. */
  leaseKeepAlive(id: number): Promise<{ id: number; ttlMs: number }> {
    return this.service.leaseKeepAlive(id);
  }

  /** Lease `id`: TTL, time left and attached keys (on the leader). */
  leaseInfo(id: number): Promise<LeaseInfo> {
    return this.service.leaseInfo(id);
  }

  /** Revokes lease `id`, deleting every attached key, as one entry. */
  leaseRevoke(id: number): Promise<{ id: number; deleted: number; index: number }> {
    return this.service.leaseRevoke(id);
  }

  /** Opens a watch from this node's applied state. */
  watch(request: WatchRequest): Promise<WatchStream> {
    return this.service.watch(request);
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
    return startTransfer(this.current, { to, self: this.config.id });
  }

  /** Like {@link transferLeader}, resolving once another node leads (within an election timeout). */
  handOffLeadership(to: NodeId): Promise<LeadershipMoved> {
    const options = { to, self: this.config.id, clock: this.parts.clock };
    return handOff(this.current, { ...options, timeoutMs: this.config.electionMs });
  }

  /** A backup of the state machine at its applied index, taken without stopping writes. */
  backup(): Backup {
    return openBackup(this.current);
  }

  /** This node's view of itself and the cluster. */
  status(): NodeStatus {
    return nodeStatus(this.current, {
      id: this.config.id,
      clusterId: this.clusterId,
      heartbeatMs: this.config.heartbeatMs,
      droppedPeerMessages: this.peers.droppedTotal(),
      leaderContactMs: this.current.leaderContactMs(),
      quotaBytes: this.config.quotaBytes,
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
        historyLimits: {
          entriesMax: config.watchHistoryEntries,
          bytesMax: config.watchHistoryBytes,
        },
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
        events: this.events,
        peers: () => this.peers,
        members: () => this.members,
        expireLeases: () => this.service.expireLeases(),
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
    this.current.requests.failAll(`Node stopped: ${error.message}`);
    this.parts.onFatal(error);
  }
}
