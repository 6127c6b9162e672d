/**
 * The driver: ties the Raft core, durable storage, the peer transport, the
 * key-value state machine and the clock together, and answers the HTTP
 * layer's calls.
 *
 * One loop runs at a time, in this order: feed ticks, messages, proposals and
 * reads to the core; take `ready()`; send the leader's messages at once
 * (§10.2.1); persist with one sync; send the replies that promise
 * durability; apply; answer writes and reads; `advance()`. Whatever arrives
 * while the sync runs waits for the next turn, so each sync covers a batch
 * (group commit).
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
  UnavailableError,
} from "./api.ts";
import { advertised, type NodeConfig, raftConfigFor } from "./config.ts";
import { encodeDelete, encodePut } from "./kv/command.ts";
import { decodeSnapshot, encodeSnapshotInSlices, type SnapshotContent } from "./kv/snapshot.ts";
import { type ApplyResult, KvStateMachine } from "./kv/state_machine.ts";
import { createLogger, type Logger } from "./log.ts";
import { RateLimitedLog } from "./log_rate.ts";
import { TERM_MAX } from "./raft/limits.ts";
import { applyConfChange, decodeConfChange, findMember } from "./raft/membership.ts";
import { bootstrapState, RaftNode } from "./raft/raft.ts";
import { createRng } from "./raft/rng.ts";
import type {
  ConfChange,
  Entry,
  HardState,
  Membership,
  Message,
  NodeId,
  Ready,
  Role,
  SnapshotMeta,
} from "./raft/types.ts";
import { FileStorage } from "./storage/file_storage.ts";
import type { RecoveredState } from "./storage/types.ts";
import { clustersConflict } from "./transport/handshake.ts";
import { TcpTransport } from "./transport/tcp_transport.ts";
import type { PeerInfo } from "./transport/types.ts";
import { Waiters } from "./waiters.ts";

/** Options beyond the config. */
export interface NodeOptions {
  logger?: Logger;
  /** Called on a storage failure; the default exits the process with status 1. */
  onFatal?: (error: Error) => void;
}

/** Ticks fed to the core at most per loop turn (after a long pause the rest follow). */
const TICKS_PER_TURN_MAX = 100;
/** A snapshot waits for at least 1/N as many applied entries as there are keys. */
const SNAPSHOT_STATE_SHARE = 4;
/** Records encoded per slice of a background snapshot (a few milliseconds each). */
const SNAPSHOT_SLICE_RECORDS = 20_000;
/** Most peers outside its configuration a node answers (while waiting to be added or lagging). */
const STRANGERS_MAX = 16;
/** How far ahead of ours a stranger's term may be for its message to be heard. */
const STRANGER_TERMS_AHEAD_MAX = 1000;
/** What a stranger may send a member: what a leader or a candidate sends. */
const STRANGER_TYPES: ReadonlySet<string> = new Set(["app", "hb", "snap", "vote", "preVote"]);
/** Least time between two log lines about bad messages from one peer. */
const DROP_LOG_INTERVAL_MS = 10_000;
/** Longest a join may wait for the node at the given address to answer a probe. */
const PROBE_TIMEOUT_MS = 3000;
/** A learner within this many entries of the commit index is promoted to voter. */
const PROMOTE_LAG_ENTRIES_MAX = 1000;

/** A running rafter node. */
export class RaftKvNode implements KvApi {
  readonly config: NodeConfig;
  private readonly log: Logger;
  private readonly onFatal: (error: Error) => void;
  private readonly storage: FileStorage;
  private readonly transport: TcpTransport;
  private raft: RaftNode;
  private machine: KvStateMachine;
  private clusterId: string;
  private readonly waiters = new Waiters<ApplyResult>();
  private inbox: Message[] = [];
  private proposals: { data: Uint8Array; conf: ConfChange | null; settle: Settle }[] = [];
  private readQueue: number[] = [];
  private snapshotFailures: NodeId[] = [];
  /** A snapshot is being written; its metadata lands in `snapshotsSaved`. */
  private snapshotting = false;
  private snapshotsSaved: SnapshotMeta[] = [];
  private snapshotWrite: Promise<void> = Promise.resolve();
  /** Peers outside our configuration that we answer, with their Raft address (see `onPeer`). */
  private readonly strangers = new Map<NodeId, string>();
  /** Nodes this leader is adding: their handshakes are admitted before the log names them. */
  private readonly joining = new Set<NodeId>();
  /** Peer messages dropped here: from a sender we cannot place, or refused by the core. */
  private messagesDropped = 0;
  private readonly dropLog: RateLimitedLog;
  /** Snapshots from the network, decoded when they arrived. */
  private readonly decodedSnapshots = new WeakMap<Uint8Array, SnapshotContent>();
  /** A commit-only hard state not yet written: it rides along with the next sync. */
  private unsavedHardState: HardState | null = null;
  private readonly promotions = new Map<NodeId, (() => void)[]>();
  private looping = false;
  private again = false;
  private stopped = false;
  private adoptClusterId = "";
  /** Joins this node is serving as leader: it must not be adopted meanwhile. */
  private joinsInFlight = 0;
  /** The peer whose cluster this node is adopting. */
  private adopter: PeerInfo | null = null;
  private readonly clockStart = performance.now();
  private ticksFed = 0;
  private timer: ReturnType<typeof setInterval> | undefined = undefined;
  private peersFor: Membership | null = null;
  private last: { role: Role; term: number; lead: NodeId } = {
    role: "follower",
    term: 0,
    lead: "",
  };
  private readonly raftAddr: string;
  /** Applied entries between this node's snapshots: `snapshotEntries` plus a per-node offset. */
  private readonly snapshotEvery: number;

  private constructor(
    config: NodeConfig,
    storage: FileStorage,
    state: RecoveredState,
    options: NodeOptions,
  ) {
    this.config = config;
    this.log = options.logger ?? createLogger(config.logLevel, { prefix: config.id });
    this.onFatal = options.onFatal ?? ((error) => {
      this.log.error("storage failure; exiting", { error: error.message });
      Deno.exit(1);
    });
    this.storage = storage;
    this.dropLog = new RateLimitedLog(this.log, DROP_LOG_INTERVAL_MS);
    this.clusterId = storage.identity().clusterId;
    this.raftAddr = advertised(config.raftAddr, "Raft address");
    // Nodes apply the same entries at about the same time; a per-node offset
    // keeps their snapshot writes (and the disk syncs they slow) apart.
    this.snapshotEvery = config.snapshotEntries +
      stableHash(config.id) % Math.max(1, Math.floor(config.snapshotEntries / 5));
    this.raft = this.newCore(state);
    this.machine = this.newMachine(state);
    this.transport = new TcpTransport({
      nodeId: config.id,
      raftAddr: config.raftAddr,
      httpAddr: config.advertiseHttpAddr,
      clusterId: () => this.clusterId,
      logger: this.log,
    }, {
      onMessage: (m) => this.receive(m),
      onPeer: (info) => this.onPeer(info),
      admit: (info, inbound) => this.admitPeer(info, inbound),
    });
  }

  /** Opens the data directory, recovers, bootstraps when fresh, and starts the transport and clock. */
  static async start(config: NodeConfig, options: NodeOptions = {}): Promise<RaftKvNode> {
    const logger = options.logger ?? createLogger(config.logLevel, { prefix: config.id });
    const storage = await FileStorage.open(config.dataDir, {
      nodeId: config.id,
      segmentBytesMax: config.segmentBytesMax,
      logger,
    });
    let state = storage.recovered();
    const absurd = absurdState(state, config.dataDir);
    if (absurd !== null) {
      await storage.close();
      throw new Error(absurd);
    }
    const fresh = state.hardState.term === 0 && state.entries.length === 0 &&
      state.snapshot === null;
    if (fresh && config.join === "") {
      const boot = bootstrapState({
        id: config.id,
        raftAddr: advertised(config.raftAddr, "Raft address"),
        httpAddr: config.advertiseHttpAddr,
      });
      await storage.setClusterId(crypto.randomUUID());
      await storage.save(boot);
      state = storage.recovered();
      logger.info("bootstrapped a new cluster", { cluster: storage.identity().clusterId });
    }
    const node = new RaftKvNode(config, storage, state, { ...options, logger });
    try {
      await node.transport.listen();
    } catch (error) {
      await storage.close();
      throw error;
    }
    node.syncPeers();
    node.timer = setInterval(() => node.kick(), config.heartbeatMs);
    if (fresh && config.join !== "") node.joinLoop(config.join);
    node.kick();
    return node;
  }

  private newCore(state: RecoveredState): RaftNode {
    const seed = crypto.getRandomValues(new Uint32Array(1))[0]!;
    return new RaftNode({
      id: this.config.id,
      config: raftConfigFor(this.config),
      rng: createRng(seed),
      hardState: state.hardState,
      snapshot: state.snapshot?.meta ?? null,
      entries: state.entries,
    });
  }

  private newMachine(state: RecoveredState): KvStateMachine {
    const machine = new KvStateMachine();
    if (state.snapshot !== null) machine.restore(state.snapshot.data);
    return machine;
  }

  // ---- KvApi ---------------------------------------------------------------

  /** Reads `key` at `level`. */
  async get(key: string, level: ReadLevel): Promise<KvRecord | null> {
    if (level === "stale") return this.machine.get(key);
    if (level === "default") {
      const index = this.raft.leaseRead(this.lagTicks());
      if (index >= 0 && this.machine.appliedIndex >= index) return this.machine.get(key);
      if (this.raft.state().role !== "leader") throw new NotLeaderError(this.leaderHttpAddr());
      // No lease (a new leader, or a quorum not heard from lately): confirm with a round.
    }
    await this.readIndex();
    return this.machine.get(key);
  }

  /** Writes `key` once committed and applied. */
  async put(key: string, value: string): Promise<{ index: number }> {
    const result = await this.propose(encodePut(key, value), null);
    return { index: result.index };
  }

  /** Deletes `key` once committed and applied. */
  async delete(key: string): Promise<{ deleted: boolean; index: number }> {
    const result = await this.propose(encodeDelete(key), null);
    return { deleted: result.kind === "delete" && result.deleted, index: result.index };
  }

  /** Adds a member as a learner and waits until it is promoted to voter. */
  async join(request: JoinRequest): Promise<{ id: NodeId; index: number }> {
    this.requireLeader();
    this.joinsInFlight++;
    try {
      return await this.addMember(request);
    } finally {
      this.joinsInFlight--;
    }
  }

  private async addMember(request: JoinRequest): Promise<{ id: NodeId; index: number }> {
    // The new node dials us as soon as it hears our probe: admit it from now on.
    if (request.id !== "") this.joining.add(request.id);
    try {
      return await this.probeAndAdd(request);
    } finally {
      this.joining.delete(request.id);
    }
  }

  private async probeAndAdd(request: JoinRequest): Promise<{ id: NodeId; index: number }> {
    const info = await this.probe(request.raftAddr);
    if (request.id !== "" && info.id !== request.id) {
      throw new RejectedError(
        `Cannot join: the node at "${request.raftAddr}" is "${info.id}", not "${request.id}"`,
      );
    }
    const id = info.id;
    this.joining.add(id);
    const httpAddr = request.httpAddr !== "" ? request.httpAddr : info.httpAddr;
    const membership = this.raft.currentMembership();
    const existing = findMember(membership, id);
    const sameAddr = membership.find((m) => m.raftAddr === request.raftAddr && m.id !== id);
    if (sameAddr !== undefined) {
      throw new RejectedError(
        `Cannot join: address "${request.raftAddr}" belongs to member "${sameAddr.id}"`,
      );
    }
    let index = 0;
    if (existing === undefined) {
      const change: ConfChange = { op: "addLearner", id, raftAddr: request.raftAddr, httpAddr };
      index = (await this.propose(new Uint8Array(0), change)).index;
    } else if (existing.raftAddr !== request.raftAddr) {
      throw new RejectedError(
        `Cannot join: node id "${id}" is already a member at "${existing.raftAddr}"`,
      );
    }
    try {
      await this.waitVoter(id);
    } finally {
      this.joining.delete(id);
    }
    return { id, index };
  }

  /** Removes a member. */
  async remove(id: NodeId): Promise<{ index: number }> {
    this.requireLeader();
    const member = findMember(this.raft.currentMembership(), id);
    if (member === undefined) {
      throw new RejectedError(`Cannot remove: node id "${id}" is not a member`);
    }
    const change: ConfChange = {
      op: "remove",
      id,
      raftAddr: member.raftAddr,
      httpAddr: member.httpAddr,
    };
    const result = await this.propose(new Uint8Array(0), change);
    return { index: result.index };
  }

  /** This node's view of itself and the cluster. */
  status(): NodeStatus {
    const state = this.raft.state();
    const progress = new Map(this.raft.progress().map((p) => [p.id, p]));
    const leader = findMember(this.raft.currentMembership(), state.lead);
    return {
      id: this.config.id,
      clusterId: this.clusterId,
      role: state.role,
      term: state.term,
      leaderId: state.lead,
      leaderHttpAddr: leader?.httpAddr ?? "",
      commitIndex: this.raft.log.committed,
      appliedIndex: this.machine.appliedIndex,
      lastLogIndex: this.raft.log.lastIndex(),
      snapshotIndex: this.raft.snapshot()?.index ?? 0,
      droppedPeerMessages: this.droppedPeerMessages(),
      members: this.raft.currentMembership().map((m) => {
        const p = progress.get(m.id);
        return {
          id: m.id,
          voter: m.voter,
          raftAddr: m.raftAddr,
          httpAddr: m.httpAddr,
          matchIndex: p?.match ?? 0,
          lastContactMs: p === undefined
            ? -1
            : (state.ticks - p.lastContactTick) * this.config.heartbeatMs,
        };
      }),
    };
  }

  /** Stops accepting work, finishes the turn in progress, closes links and files. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    for (let i = 0; i < 500 && this.looping; i++) await new Promise((r) => setTimeout(r, 10));
    await this.snapshotWrite;
    this.waiters.failAll(new UnavailableError("Node is shutting down"), true);
    for (const p of this.proposals) p.settle.reject(new UnavailableError("Node is shutting down"));
    this.proposals = [];
    await this.transport.close();
    if (this.unsavedHardState !== null) {
      await this.storage.save({ hardState: this.unsavedHardState, entries: [] });
    }
    await this.storage.close();
  }

  // ---- requests into the loop ----------------------------------------------

  private requireLeader(): void {
    if (this.stopped) throw new UnavailableError("Node is shutting down");
    if (this.raft.state().role !== "leader") throw new NotLeaderError(this.leaderHttpAddr());
  }

  private leaderHttpAddr(): string {
    const lead = this.raft.state().lead;
    return lead === "" ? "" : findMember(this.raft.currentMembership(), lead)?.httpAddr ?? "";
  }

  private propose(data: Uint8Array, conf: ConfChange | null): Promise<ApplyResult> {
    this.requireLeader();
    if (this.waiters.writeCount + this.proposals.length >= this.config.proposalsInflightMax) {
      throw new UnavailableError("Too many writes in flight; retry shortly");
    }
    return new Promise((resolve, reject) => {
      this.proposals.push({ data, conf, settle: { resolve, reject } });
      this.kick();
    });
  }

  private readIndex(): Promise<void> {
    if (this.stopped) throw new UnavailableError("Node is shutting down");
    return new Promise((resolve, reject) => {
      const ctx = this.waiters.addRead({ index: -1, deadline: this.deadline(), resolve, reject });
      this.readQueue.push(ctx);
      this.kick();
    });
  }

  private deadline(): number {
    return performance.now() + this.config.requestTimeoutMs;
  }

  private lagTicks(): number {
    return this.dueTicks() - this.ticksFed;
  }

  private dueTicks(): number {
    return Math.floor((performance.now() - this.clockStart) / this.config.heartbeatMs);
  }

  // ---- the loop ----------------------------------------------------------------

  private kick(): void {
    if (this.stopped) return;
    if (this.looping) {
      this.again = true;
      return;
    }
    this.looping = true;
    queueMicrotask(() => this.loop());
  }

  private async loop(): Promise<void> {
    try {
      while (!this.stopped) {
        this.again = false;
        if (this.adoptClusterId !== "") await this.adopt(this.adoptClusterId);
        this.intake();
        if (this.raft.hasReady()) await this.handleReady(this.raft.ready());
        else if (!this.again) break;
      }
    } catch (error) {
      this.onFatal(error instanceof Error ? error : new Error(String(error)));
    } finally {
      this.looping = false;
    }
  }

  /** Feeds ticks, messages, proposals and reads to the core. */
  private intake(): void {
    const due = this.dueTicks();
    for (let i = 0; this.ticksFed < due && i < TICKS_PER_TURN_MAX; i++) {
      this.ticksFed++;
      this.raft.tick();
      if (i === 0) this.onTick();
    }
    this.compactSaved();
    for (const id of this.snapshotFailures) this.raft.reportSnapshotFailure(id);
    this.snapshotFailures = [];
    const inbox = this.inbox;
    this.inbox = [];
    for (const m of inbox) {
      const dropped = this.raft.step(m);
      if (dropped !== null) this.dropMessage(m, dropped);
    }
    const proposals = this.proposals;
    this.proposals = [];
    for (const p of proposals) this.proposeOne(p);
    const reads = this.readQueue;
    this.readQueue = [];
    for (const ctx of reads) {
      if (!this.raft.readIndex(ctx)) this.waiters.dropRead(ctx, new NotLeaderError(""));
    }
  }

  private proposeOne(p: { data: Uint8Array; conf: ConfChange | null; settle: Settle }): void {
    const result = p.conf === null
      ? this.raft.propose(p.data)
      : this.raft.proposeConfChange(p.conf);
    if (result.ok) {
      this.waiters.addWrite(result.index, {
        term: result.term,
        deadline: this.deadline(),
        ...p.settle,
      });
    } else if (result.code === "notLeader") {
      p.settle.reject(new NotLeaderError(this.leaderHttpAddr()));
    } else if (result.code === "invalid") {
      p.settle.reject(new RejectedError(result.error));
    } else {
      p.settle.reject(new UnavailableError(result.error));
    }
  }

  /**
   * Committed entries are applied before this batch's sync: they are
   * durable on a quorum already, so answering them need not wait for the
   * disk, and the sync of new entries overlaps the replies.
   */
  private async handleReady(rd: Ready): Promise<void> {
    this.send(rd.messages);
    if (rd.snapshot !== null) {
      await this.storage.saveSnapshot(rd.snapshot);
      const decoded = this.decodedSnapshots.get(rd.snapshot.data);
      if (decoded !== undefined) this.machine.restoreContent(decoded);
      else this.machine.restore(rd.snapshot.data);
      this.log.info("installed snapshot", { index: rd.snapshot.meta.index });
    }
    for (const entry of rd.committed) this.apply(entry);
    for (const rs of rd.readStates) this.waiters.readIndexKnown(rs.ctx, rs.index);
    this.waiters.serveReads(this.machine.appliedIndex);
    if (rd.hardState !== null) this.unsavedHardState = rd.hardState;
    if (rd.mustSync) {
      await this.storage.save({ hardState: this.unsavedHardState, entries: rd.entries });
      this.unsavedHardState = null;
    }
    this.send(rd.messagesAfterSync);
    this.raft.advance(rd);
    this.noteState();
    if (this.raft.currentMembership() !== this.peersFor) this.syncPeers();
    this.maybeSnapshot();
  }

  private apply(entry: Entry): void {
    if (entry.type === "conf") {
      const change = decodeConfChange(entry.data);
      const next = applyConfChange(this.machine.membership, change);
      this.machine.setMembership(next, entry.index);
      this.log.info(
        `member ${
          change.op === "remove" ? "removed" : change.op === "promote" ? "promoted" : "added"
        }`,
        {
          id: change.id,
          index: entry.index,
        },
      );
      if (findMember(next, change.id)?.voter === true) this.wakePromotion(change.id);
      this.waiters.applied(entry.index, entry.term, () => ({ kind: "noop", index: entry.index }));
      return;
    }
    const result = this.machine.apply(entry);
    this.waiters.applied(entry.index, entry.term, () => result);
  }

  /** Sends messages; a snapshot's bytes are read from disk first, off the loop. */
  private send(messages: Message[]): void {
    if (messages.length === 0) return;
    const plain = messages.filter((m) => m.type !== "snap");
    if (plain.length > 0) this.transport.send(plain);
    for (const m of messages) if (m.type === "snap") this.sendSnapshot(m);
  }

  private async sendSnapshot(m: Message): Promise<void> {
    try {
      const snap = await this.storage.loadSnapshot();
      if (snap === null || snap.meta.index !== m.snapshot?.meta.index) {
        throw new Error(`snapshot ${m.snapshot?.meta.index} is no longer on disk`);
      }
      this.log.info("sending snapshot", {
        to: m.to,
        index: snap.meta.index,
        bytes: snap.data.length,
      });
      this.transport.send([{ ...m, snapshot: snap }]);
    } catch (error) {
      this.log.warn("cannot send snapshot", { to: m.to, error: String(error) });
      this.snapshotFailures.push(m.to);
      this.kick();
    }
  }

  /** Logs role changes and fails what a change of leader makes hopeless. */
  private noteState(): void {
    const now = this.raft.state();
    const before = this.last;
    if (now.role === before.role && now.term === before.term && now.lead === before.lead) return;
    this.last = { role: now.role, term: now.term, lead: now.lead };
    if (now.role !== before.role || now.term !== before.term) {
      if (now.role === "leader") this.log.info("became leader", { term: now.term });
      else if (before.role === "leader") this.log.info("stepped down", { term: now.term });
    }
    if (now.lead !== before.lead && now.lead !== "") {
      this.log.info("leader is known", { leader: now.lead, term: now.term });
    }
    if (now.lead !== before.lead) this.pruneStrangers();
    if (before.role === "leader" && now.role !== "leader") {
      this.waiters.failAll(
        new UnavailableError(
          "Leadership changed before the write committed; it may or may not apply",
        ),
        false,
      );
    }
    if (now.lead !== before.lead) {
      this.waiters.failAll(new UnavailableError("Leader changed"), true);
    }
  }

  /** Once per turn with ticks: expire waiters, promote learners that caught up. */
  private onTick(): void {
    this.waiters.expire(performance.now());
    if (this.raft.state().role !== "leader" || this.raft.pendingConf() !== 0) return;
    if (!this.raft.hasCommittedInTerm()) return;
    const membership = this.raft.currentMembership();
    for (const p of this.raft.progress()) {
      const member = findMember(membership, p.id);
      if (member === undefined || member.voter) continue;
      if (p.match + PROMOTE_LAG_ENTRIES_MAX < this.raft.log.committed || p.match === 0) continue;
      const result = this.raft.proposeConfChange({ op: "promote", ...member });
      if (result.ok) this.log.info("promoting learner", { id: member.id });
      return;
    }
  }

  /**
   * Every `snapshotEntries` applied entries: freeze the state machine here,
   * encode it in slices and write the file in the background while the loop
   * goes on, then compact in a later turn.
   */
  private maybeSnapshot(): void {
    if (this.snapshotting) return;
    const applied = this.machine.appliedIndex;
    const last = this.raft.snapshot()?.index ?? 0;
    // A snapshot costs time proportional to the whole state: with many keys,
    // wait for writes worth a fraction of it, so the cost per write stays flat.
    const every = Math.max(
      this.snapshotEvery,
      Math.floor(this.machine.size / SNAPSHOT_STATE_SHARE),
    );
    if (applied - last < every || applied !== this.raft.log.applied) return;
    const meta = {
      index: applied,
      term: this.raft.log.term(applied),
      membership: this.machine.membership,
    };
    const frozen = this.machine.freeze();
    this.snapshotting = true;
    this.snapshotWrite = encodeSnapshotInSlices(frozen, SNAPSHOT_SLICE_RECORDS, yieldToEventLoop)
      .then((data) => this.storage.saveSnapshot({ meta, data }))
      .then(() => {
        this.snapshotsSaved.push(meta);
        this.kick();
      }, (error) => this.onFatal(error instanceof Error ? error : new Error(String(error))));
  }

  /** In the loop: the core learns of saved snapshots and the log is compacted behind them. */
  private compactSaved(): void {
    for (const meta of this.snapshotsSaved) {
      const compactTo = Math.max(0, meta.index - this.config.snapshotCatchUpEntries);
      this.raft.snapshotTaken(meta, compactTo);
      this.storage.compact(compactTo).catch((error) => this.onFatal(error));
      this.log.info("snapshot taken", { index: meta.index, keys: this.machine.size });
    }
    if (this.snapshotsSaved.length > 0) this.snapshotting = false;
    this.snapshotsSaved = [];
  }

  // ---- membership and peers ------------------------------------------------------

  private syncPeers(): void {
    const membership = this.raft.currentMembership();
    const previous = this.peersFor ?? [];
    this.peersFor = membership;
    for (const m of membership) {
      if (m.id !== this.config.id) this.transport.setPeer(m.id, m.raftAddr);
    }
    for (const m of previous) {
      if (findMember(membership, m.id) === undefined) this.transport.removePeer(m.id);
    }
    this.pruneStrangers();
    if (
      findMember(previous, this.config.id) !== undefined &&
      findMember(membership, this.config.id) === undefined
    ) {
      this.log.warn("this node was removed from the cluster");
    }
  }

  private async probe(raftAddr: string): Promise<PeerInfo> {
    try {
      return await this.transport.probe(raftAddr, PROBE_TIMEOUT_MS);
    } catch (error) {
      throw new RejectedError(
        `Cannot join: the node at "${raftAddr}" did not accept us: ${
          error instanceof Error ? error.message : error
        }`,
      );
    }
  }

  private waitVoter(id: NodeId): Promise<void> {
    if (findMember(this.machine.membership, id)?.voter === true) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new UnavailableError(`Node "${id}" was added as a learner but has not caught up yet`),
        );
      }, this.config.requestTimeoutMs * 2);
      const list = this.promotions.get(id) ?? [];
      list.push(() => {
        clearTimeout(timer);
        resolve();
      });
      this.promotions.set(id, list);
    });
  }

  private wakePromotion(id: NodeId): void {
    const list = this.promotions.get(id);
    this.promotions.delete(id);
    for (const wake of list ?? []) wake();
  }

  /**
   * A peer completed a handshake. A node answers a peer its configuration
   * does not name (a stranger) at the address it announced while it waits to
   * be added, or while it follows that peer as leader (a leader added while
   * this node was away); once its log names the members, those links go. A
   * fresh node learns its cluster id from the first leader.
   */
  private onPeer(info: PeerInfo): void {
    if (this.clusterId === "" && info.clusterId !== "") {
      // First, so that our handshake to this peer already names the cluster.
      this.clusterId = info.clusterId;
      this.storage.setClusterId(info.clusterId).catch((error) => this.onFatal(error));
      this.log.info("joined cluster", { cluster: info.clusterId, via: info.id });
    }
    const membership = this.raft.currentMembership();
    if (
      info.id !== this.config.id && findMember(membership, info.id) === undefined &&
      (this.strangers.has(info.id) || this.strangers.size < STRANGERS_MAX)
    ) {
      this.strangers.set(info.id, info.raftAddr);
      this.transport.setPeer(info.id, info.raftAddr);
    }
  }

  /** Drops links to strangers we neither wait for nor follow; members' links are kept. */
  private pruneStrangers(): void {
    const membership = this.raft.currentMembership();
    const waiting = findMember(membership, this.config.id) === undefined;
    const lead = this.raft.state().lead;
    for (const id of [...this.strangers.keys()]) {
      const member = findMember(membership, id) !== undefined;
      if (!member && (waiting || id === lead)) continue;
      this.strangers.delete(id);
      if (!member) this.transport.removePeer(id);
    }
  }

  /**
   * Whom the transport talks to. Inbound, a peer must name our cluster and
   * be one we can place: a member, a node this leader is adding, or (while
   * this node waits to be added or knows no leader) a possible leader. A
   * fresh node admits the member that is adding it; a node of another
   * cluster only when this node may be adopted. Outbound, we chose the peer:
   * only a conflicting cluster id is refused.
   */
  private admitPeer(info: PeerInfo, inbound: boolean): string | null {
    const ours = this.clusterId;
    const conflict = `Peer "${info.id}" is in cluster "${info.clusterId}", not "${ours}"`;
    if (!inbound) return clustersConflict(ours, info.clusterId) ? conflict : null;
    if (info.clusterId === "") return `Peer "${info.id}" names no cluster`;
    if (ours === "") return null;
    if (info.clusterId !== ours) {
      const verdict = this.mayAdopt(info);
      return verdict === true ? null : `${conflict}: ${verdict}`;
    }
    if (this.canPlace(info.id)) return null;
    return `Node "${info.id}" is not a member of cluster "${ours}"`;
  }

  private canPlace(id: NodeId): boolean {
    const membership = this.raft.currentMembership();
    if (findMember(membership, id) !== undefined || this.joining.has(id)) return true;
    if (this.strangers.has(id)) return true;
    return findMember(membership, this.config.id) === undefined || this.raft.state().lead === "";
  }

  /** Hands a peer's message to the loop, unless it must be dropped. */
  private receive(m: Message): void {
    const refused = this.knowsSender(m)
      ? (m.type === "snap" ? this.checkSnapshot(m) : null)
      : `"${m.from}" is not a member of this node's configuration`;
    if (refused !== null) return this.dropMessage(m, refused);
    this.inbox.push(m);
    this.kick();
  }

  /**
   * Members are heard. A node waiting to be added hears the strangers it
   * answers. A member hears a stranger only as a possible leader or
   * candidate (one added while this node was away, which the cluster may
   * need), only while it follows no other leader, and only a bounded number
   * of terms ahead, so no stranger can push its term toward the limit.
   */
  private knowsSender(m: Message): boolean {
    const membership = this.raft.currentMembership();
    if (findMember(membership, m.from) !== undefined) return true;
    if (!this.strangers.has(m.from)) return false;
    if (findMember(membership, this.config.id) === undefined) return true;
    const { lead, term } = this.raft.state();
    if ((lead !== "" && lead !== m.from) || m.term > term + STRANGER_TERMS_AHEAD_MAX) return false;
    return STRANGER_TYPES.has(m.type);
  }

  /**
   * A snapshot is decoded and checked against its metadata before the core
   * sees it, so a corrupt one is dropped instead of being installed. The
   * decoded state is kept for the restore.
   */
  private checkSnapshot(m: Message): string | null {
    const snapshot = m.snapshot!;
    let content: SnapshotContent;
    try {
      content = decodeSnapshot(snapshot.data);
    } catch (error) {
      return (error as Error).message;
    }
    if (content.appliedIndex !== snapshot.meta.index) {
      return `snapshot data is at index ${content.appliedIndex}, its metadata says ${snapshot.meta.index}`;
    }
    if (JSON.stringify(content.membership) !== JSON.stringify(snapshot.meta.membership)) {
      return "snapshot data and metadata name different members";
    }
    this.decodedSnapshots.set(snapshot.data, content);
    return null;
  }

  private dropMessage(m: Message, reason: string): void {
    this.messagesDropped++;
    this.dropLog.warn(m.from, "dropped a peer message", {
      from: m.from,
      type: m.type,
      term: m.term,
      reason,
    });
  }

  /** Everything refused or dropped from peers: handshakes, frames and messages. */
  private droppedPeerMessages(): number {
    const inbound = this.transport.inboundStats();
    return this.messagesDropped + inbound.handshakesRefused + inbound.framesDropped;
  }

  /**
   * A node of another cluster wants us. Only a node that bootstrapped alone
   * and never applied a client write may be adopted; it then starts over
   * with that cluster's id and log.
   */
  private mayAdopt(info: PeerInfo): true | string {
    if (this.adoptClusterId === info.clusterId) return true;
    if (this.joinsInFlight > 0) {
      return `node "${this.config.id}" is adding members to its own cluster`;
    }
    const membership = this.raft.currentMembership();
    const alone = membership.length === 1 && membership[0]!.id === this.config.id;
    const pristine = alone && this.raft.log.offset === 0 &&
      this.raft.log.entries.every((e) => e.type === "conf" || e.data.length === 0);
    if (!pristine) {
      const reason = `node "${this.config.id}" holds data and cannot join another cluster`;
      this.log.warn("refused a node of another cluster: this node holds data", {
        peer: info.id,
        cluster: info.clusterId,
      });
      return reason;
    }
    // From now on every handshake carries the new id, so the peer never sees
    // (and never adopts) the one this node is leaving.
    this.adoptClusterId = info.clusterId;
    this.adopter = info;
    this.clusterId = info.clusterId;
    this.kick();
    return true;
  }

  private async adopt(clusterId: string): Promise<void> {
    this.waiters.failAll(new UnavailableError("This node is joining another cluster"), true);
    await this.storage.reset(clusterId);
    this.clusterId = clusterId;
    const state = this.storage.recovered();
    this.raft = this.newCore(state);
    this.machine = this.newMachine(state);
    this.peersFor = null;
    this.syncPeers();
    // The new leader dialed us while we were still a member of our own
    // cluster: answer it until its log tells us who is who.
    if (this.adopter !== null) this.onPeer(this.adopter);
    if (this.adoptClusterId === clusterId) this.adoptClusterId = "";
    this.log.info("adopted into another cluster", { cluster: clusterId });
  }

  /** Asks `url` to add this node, with backoff, until it answers 200 or the node stops. */
  private async joinLoop(url: string): Promise<void> {
    const body = JSON.stringify({
      id: this.config.id,
      addr: this.raftAddr,
      httpAddr: this.config.advertiseHttpAddr,
    });
    let delay = 200;
    while (!this.stopped && this.raft.currentMembership().length === 0) {
      try {
        const response = await fetch(`${url}/join`, {
          method: "POST",
          body,
          headers: { "content-type": "application/json" },
          signal: AbortSignal.timeout(this.config.requestTimeoutMs * 3),
        });
        const text = await response.text();
        if (response.ok) {
          this.log.info("join accepted", { via: url });
          return;
        }
        this.log.warn("join refused; retrying", { via: url, status: response.status, body: text });
      } catch (error) {
        this.log.warn("join failed; retrying", { via: url, error: String(error) });
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 5000);
    }
  }
}

/** Settle functions of a pending write. */
interface Settle {
  resolve(value: ApplyResult): void;
  reject(error: Error): void;
}

/** A small deterministic hash of a node id (FNV-1a). */
function stableHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Lets timers, I/O and the loop run between slices of background work. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Why recovered state cannot be served, or null: a term at or beyond
 * `TERM_MAX` was never reached by a working cluster, only forced in by a
 * bad peer, and a node holding it would stop every election.
 */
function absurdState(state: RecoveredState, dataDir: string): string | null {
  const last = state.entries[state.entries.length - 1];
  const term = Math.max(state.hardState.term, last?.term ?? 0, state.snapshot?.meta.term ?? 0);
  if (term < TERM_MAX) return null;
  return `Cannot start: the log in "${dataDir}/wal" holds term ${term}, at or above the ` +
    `largest a cluster may reach (${TERM_MAX}); restore this member from a backup or ` +
    `remove it and join a fresh data directory`;
}
