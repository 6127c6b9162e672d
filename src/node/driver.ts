/**
 * The loop of one node: take in ticks, peer messages, proposals and reads;
 * step the core; carry out the plan for its `Ready` (`ready_plan.ts`);
 * advance. One turn runs at a time; what arrives during a turn's sync waits
 * for the next (group commit), but a leader steps its followers'
 * acknowledgements as they arrive (§10.2.1), so they commit without waiting
 * for its own sync. The driver depends only on the ports (storage,
 * transport, clock) and reports what happened to a listener instead of
 * calling upward.
 *
 * @module
 */

import { NotLeaderError, RejectedError, UnavailableError } from "../api.ts";
import type { ApplyResult, KvStateMachine } from "../kv/state_machine.ts";
import { findMember } from "../raft/membership.ts";
import { RaftNode } from "../raft/raft.ts";
import { createRng } from "../raft/rng.ts";
import type {
  ConfChange,
  Entry,
  HardState,
  Message,
  NodeId,
  Ready,
  Snapshot,
} from "../raft/types.ts";
import { LeaseDeadlines } from "../kv/lease_deadlines.ts";
import { WatchHistory } from "../kv/watch_history.ts";
import { Applier } from "./apply.ts";
import { Inbox } from "./inbox.ts";
import type { CoreState, DriverOptions } from "./driver_options.ts";
import { planReady, type PlanStep, runPlan } from "./ready_plan.ts";
import { type Proposal, Requests } from "./requests.ts";
import { Snapshotter } from "./snapshots.ts";

export type {
  CoreState,
  DriverBreaks,
  DriverListener,
  DriverOptions,
  DriverSettings,
} from "./driver_options.ts";

/** Ticks fed to the core at most per turn (after a long pause the rest follow). */
const TICKS_PER_TURN_MAX = 100;
/**
 * Read ids one start numbers within, from its seed (a random 32-bit number
 * in production): starts with other seeds never share an id until one
 * start has made this many reads, and the largest id stays a safe integer.
 */
const READ_IDS_PER_START = 2 ** 21;

/**
 * One node's loop around its core and state machine.
 *
 * @example
 * ```ts ignore
 * const driver = new Driver(options);
 * driver.start();
 * await driver.propose(encodePut("k", "v"), null);
 * await driver.stop();
 * ```
 */
export class Driver {
  readonly core: RaftNode;
  readonly machine: KvStateMachine;
  readonly requests: Requests;
  readonly snapshots: Snapshotter;
  /** The recent changes watches read, from the state machine's applied index on. */
  readonly history: WatchHistory;
  /** Lease deadlines, kept while this node leads. */
  readonly deadlines = new LeaseDeadlines();
  private readonly options: DriverOptions;
  private readonly applier: Applier;
  private readonly inbox = new Inbox();
  private snapshotFailures: NodeId[] = [];
  private carry: HardState | null = null;
  private looping: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private ticksFed = 0;
  private readonly clockStart: number;
  private cancelTimer: () => void = () => {};
  private last: CoreState = { role: "follower", term: 0, lead: "" };
  private leaderHeardAt = -1;

  /** @param options state, ports and listener */
  constructor(options: DriverOptions) {
    this.options = options;
    const { state, settings } = options;
    this.core = new RaftNode({
      id: options.id,
      config: settings.raft,
      rng: createRng(options.seed),
      hardState: state.hardState,
      snapshot: state.snapshot?.meta ?? null,
      entries: state.entries,
      ...(options.breaks?.core === undefined ? {} : { breaks: options.breaks.core }),
    });
    this.machine = options.machine;
    // The first tick is due at once: a lone voter leads without waiting a heartbeat.
    this.clockStart = options.clock.nowMs() - settings.heartbeatMs;
    this.requests = new Requests({
      proposalsInflightMax: settings.proposalsInflightMax,
      requestTimeoutMs: settings.requestTimeoutMs,
      nowMs: () => options.clock.nowMs(),
      readIdBase: (options.seed >>> 0) * READ_IDS_PER_START,
    });
    this.history = new WatchHistory(this.machine.appliedIndex, settings.historyLimits);
    this.applier = new Applier(this.machine, {
      requests: this.requests,
      history: this.history,
      deadlines: this.deadlines,
      nowMs: () => options.clock.nowMs(),
    }, options.listener);
    this.snapshots = Snapshotter.forDriver(options, () => this.kick(), (e) => this.fatal(e));
  }

  /** Starts the clock; the loop runs whenever there is work. */
  start(): void {
    const { clock, settings } = this.options;
    this.cancelTimer = clock.every(settings.heartbeatMs, () => this.kick());
    this.kick();
  }

  /** Hands a peer's message to the next turn. */
  receive(m: Message): void {
    if (m.from === this.last.lead) this.leaderHeardAt = this.options.clock.nowMs();
    this.inbox.push(m);
    this.kick();
  }

  /** Milliseconds since the leader was last heard from: 0 on the leader, -1 when none is known. */
  leaderContactMs(): number {
    const { role, lead } = this.core.state();
    if (role === "leader") return 0;
    if (lead === "" || this.leaderHeardAt < 0) return -1;
    return Math.round(this.options.clock.nowMs() - this.leaderHeardAt);
  }

  /**
   * Proposes a command (or a membership change); resolves once it applied.
   * On a node that knows no leader it waits for one, up to its deadline.
   */
  propose(data: Uint8Array, conf: ConfChange | null): Promise<ApplyResult> {
    if (this.stopped || this.core.state().lead !== "") this.requireLeader();
    const result = this.requests.propose(data, conf);
    result.catch(() => this.options.listener.proposalFailed?.());
    this.kick();
    return result;
  }

  /**
   * Resolves once this node knows a leader (at once when it does); fails at
   * the request deadline with nothing proposed, so the request may be retried.
   */
  waitForLeader(): Promise<void> {
    if (this.stopped) return Promise.reject(new UnavailableError("Node is shutting down"));
    if (this.core.state().lead !== "") return Promise.resolve();
    const waiting = this.requests.waitForLeader();
    this.kick();
    return waiting;
  }

  /** Resolves once a linearizable read may be served from the state machine (§6.4). */
  readIndex(): Promise<void> {
    if (this.stopped) return Promise.reject(new UnavailableError("Node is shutting down"));
    const read = this.requests.read();
    this.kick();
    return read;
  }

  /** The index the state machine must reach before a lease read, or -1 without a lease (§6.4.1). */
  leaseRead(): number {
    const due = this.dueTicks();
    return this.core.leaseRead(due - this.ticksFed);
  }

  /** Starts a leadership transfer to `target` (§3.10); answers why it cannot, or null. */
  transferLeader(target: NodeId): string | null {
    this.requireLeader();
    const error = this.core.transferLeader(target);
    this.kick();
    return error;
  }

  /** Throws unless this node leads and is running. */
  requireLeader(): void {
    if (this.stopped) throw new UnavailableError("Node is shutting down");
    if (this.core.state().role !== "leader") throw new NotLeaderError(this.leaderHttpAddr());
  }

  /** The leader's HTTP address, or `""` when none is known. */
  leaderHttpAddr(): string {
    const lead = this.core.state().lead;
    return lead === "" ? "" : findMember(this.core.currentMembership(), lead)?.httpAddr ?? "";
  }

  /** Stops: finishes the turn and the snapshot in progress, fails every waiter, writes what is owed. */
  async stop(reason = "Node is shutting down"): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.cancelTimer();
    await this.looping;
    await this.snapshots.settled();
    this.requests.failAll(reason);
    if (this.carry !== null) {
      await this.options.storage.save({ hardState: this.carry, entries: [] });
    }
  }

  /** Runs a turn soon, or another one after the turn in progress. */
  kick(): void {
    if (this.stopped) return;
    if (this.looping !== null) {
      this.again = true;
      return;
    }
    this.looping = new Promise((resolve) => queueMicrotask(() => this.loop().then(resolve)));
  }

  private async loop(): Promise<void> {
    try {
      while (!this.stopped) {
        this.again = false;
        this.intake();
        if (this.core.hasReady()) {
          await this.handleReady(this.core.ready());
        } else {
          // A turn with nothing to persist or send may still change the role
          // (CheckQuorum steps a leader down on a tick): answer its waiters now.
          this.noteState();
          if (!this.again) break;
        }
      }
    } catch (error) {
      this.fatal(error instanceof Error ? error : new Error(String(error)));
    } finally {
      this.looping = null;
    }
  }

  private fatal(error: Error): void {
    this.stopped = true;
    this.cancelTimer();
    this.options.onFatal(error);
  }

  private dueTicks(): number {
    return Math.floor(
      (this.options.clock.nowMs() - this.clockStart) / this.options.settings.heartbeatMs,
    );
  }

  /** Feeds ticks, saved snapshots, messages, proposals and reads to the core. */
  private intake(): void {
    const due = this.dueTicks();
    for (let i = 0; this.ticksFed < due && i < TICKS_PER_TURN_MAX; i++) {
      this.ticksFed++;
      this.core.tick();
      if (i === 0) {
        this.requests.expire(this.options.clock.nowMs());
        this.options.listener.ticked?.();
      }
    }
    this.compactSaved();
    for (const id of this.snapshotFailures) this.core.reportSnapshotFailure(id);
    this.snapshotFailures = [];
    this.step(this.inbox.take());
    for (const p of this.requests.takeProposals()) this.proposeOne(p);
    for (const ctx of this.requests.takeReads()) {
      if (!this.core.readIndex(ctx)) this.requests.dropRead(ctx, new NotLeaderError(""));
    }
  }

  private step(messages: Message[]): void {
    for (const m of messages) this.options.listener.messageStepped?.(m, this.core.step(m));
  }
  private proposeOne(p: Proposal): void {
    const result = p.conf === null
      ? this.core.propose(p.data)
      : this.core.proposeConfChange(p.conf);
    if (result.ok) this.requests.proposed(p, result.index, result.term);
    else if (result.code === "invalid") p.reject(new RejectedError(result.error));
    else if (result.code !== "notLeader") p.reject(new UnavailableError(result.error));
    else if (this.core.state().lead !== "") p.reject(new NotLeaderError(this.leaderHttpAddr()));
    else this.requests.retryOnLeader(p).then(() => this.kick());
  }

  /** The core learns of saved snapshots, and the log is compacted behind them. */
  private compactSaved(): void {
    for (const meta of this.snapshots.takeSaved()) {
      const compactTo = this.snapshots.compactionPoint(this.core.log, meta.index);
      this.core.snapshotTaken(meta, compactTo);
      this.options.storage.compact(compactTo).catch((error: Error) => this.fatal(error));
    }
  }

  private async handleReady(rd: Ready): Promise<void> {
    const plan = planReady(rd, this.carry, this.options.breaks?.plan);
    this.carry = plan.carry;
    await runPlan(plan.steps, (step) => this.carryOut(step));
    this.core.advance(rd);
    this.noteState();
    this.options.listener.turnEnded?.();
    this.snapshots.maybeStart(this.core, this.machine);
  }

  /** One step of the plan; only the steps that touch storage return a promise. */
  private carryOut(step: PlanStep): Promise<void> | undefined {
    switch (step.kind) {
      case "send":
        this.send(step.messages);
        return undefined;
      case "installSnapshot":
        return this.install(step.snapshot);
      case "apply":
        this.applier.apply(step.entries);
        this.requests.serveReads(this.machine.appliedIndex);
        return undefined;
      case "reads":
        for (const rs of step.readStates) this.requests.readIndexKnown(rs.ctx, rs.index);
        this.requests.serveReads(this.machine.appliedIndex);
        return undefined;
      case "save":
        return this.save(step.batch.hardState, step.batch.entries);
    }
  }

  private async install(snapshot: Snapshot): Promise<void> {
    // An older snapshot of our own already being written must not land after this one.
    await this.snapshots.cancel();
    await this.options.storage.saveSnapshot(snapshot);
    this.applier.restore(snapshot, this.options.decoded(snapshot));
    this.options.listener.snapshotInstalled?.(snapshot.meta, snapshot.data.length);
  }

  private async save(hardState: HardState | null, entries: Entry[]): Promise<void> {
    const { role, term } = this.core.state();
    const ack = (m: Message) => role === "leader" && m.type === "appResp" && m.term === term;
    const saving = this.options.storage.save({ hardState, entries });
    await this.inbox.during(saving, ack, (picked) => this.stepDuringSave(picked));
    if (entries.length > 0) this.options.listener.entriesSaved?.(entries);
  }

  /**
   * Steps acknowledgements of this leader's term that arrived during its sync
   * and applies what they committed (§10.2.1: the leader counts itself only
   * after its sync). Other messages wait: one that moved the term or cut the
   * log would make this sync's replies promise what the log no longer holds.
   */
  private stepDuringSave(messages: Message[]): void {
    this.step(messages);
    const committed = this.core.takeCommitted();
    if (committed.length === 0) return;
    this.applier.apply(committed);
    this.requests.serveReads(this.machine.appliedIndex);
  }

  /** Sends messages; a snapshot's bytes are read from storage as its link sends them. */
  private send(messages: Message[]): void {
    const plain = messages.filter((m) => m.type !== "snap");
    if (plain.length > 0) this.options.transport.send(plain);
    for (const m of messages) {
      if (m.type !== "snap") continue;
      this.snapshots.send(m, this.options.transport, this.options.listener, () => {
        this.snapshotFailures.push(m.to);
        this.kick();
      });
    }
  }

  /** Reports role changes and fails the waiters a change of leader makes hopeless. */
  private noteState(): void {
    const { role, term, lead } = this.core.state();
    const before = this.last;
    if (role === before.role && term === before.term && lead === before.lead) return;
    this.last = { role, term, lead };
    this.options.listener.stateChanged?.(this.last, before);
    if (role === "leader" && before.role !== "leader") {
      // A new leader gives every lease its full TTL again: no lease expires early.
      const nowMs = this.options.clock.nowMs();
      const startMs = this.options.breaks?.leasesExpireOnElection === true ? -Infinity : nowMs;
      this.deadlines.becomeLeader(this.machine.leases(), startMs);
    }
    if (before.role === "leader" && role !== "leader") {
      this.deadlines.stepDown();
      this.requests.leadershipLost();
    }
    if (lead !== before.lead) {
      this.leaderHeardAt = lead === "" ? -1 : this.options.clock.nowMs();
      this.requests.leaderChanged();
      if (lead !== "") this.requests.leaderFound();
    }
  }
}
