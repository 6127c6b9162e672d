/**
 * One seeded simulation run of the production node: 3 to 5 `RaftKvNode`s,
 * each with its real driver, over simulated storage, network and clock, with
 * crashes, partitions, corrupted messages, slow disks, membership changes
 * and leadership transfers, and clients calling what the HTTP layer calls.
 * Safety is checked after every time unit, linearizability at the end, and
 * liveness once the faults heal. Every asynchronous step completes when the
 * simulation says, so a seed replays exactly.
 *
 * @module
 */

import { type NodeConfig, validateNodeConfig } from "../../src/config.ts";
import { defaultNodeConfig } from "../../src/config.ts";
import type { DriverBreaks, DriverListener } from "../../src/node/driver.ts";
import type { RaftConfig } from "../../src/raft/config.ts";
import { encodeConfChange } from "../../src/raft/membership.ts";
import { createRng, type Rng } from "../../src/raft/rng.ts";
import type { Entry, Message, NodeId } from "../../src/raft/types.ts";
import { SimClients } from "./clients.ts";
import { DataModelRun } from "./dm_run.ts";
import { drain, type Drainer } from "./drain.ts";
import { type FaultContext, injectFault } from "./faults.ts";
import { InvariantError, SafetyChecker } from "./invariants.ts";
import { checkLinearizable } from "./linearizability.ts";
import { calmConditions, type InFlight, SimNetwork } from "./network.ts";
import { SimClock } from "./sim_clock.ts";
import { type Machine, SimCluster } from "./sim_cluster.ts";
import { SimDisk } from "./sim_storage.ts";
import { simAddr } from "./sim_transport.ts";
import { Workload } from "./workload.ts";

/** Time units per tick: messages take a few units, so the network is fast next to timers. */
const UNITS_PER_TICK = 10;
/** One time unit in simulated milliseconds; a tick (the heartbeat) is ten. */
const MS_PER_UNIT = 1;
/** Ticks without a leader message before a follower campaigns. */
const ELECTION_TICKS = 10;
/** Ticks an operation may wait before its node gives up on it. */
const OP_TIMEOUT_TICKS = 40;
/** Ticks allowed, once every fault healed, to elect a leader and commit a write. */
const LIVENESS_TICKS_MAX = 400;
/** The cluster id every initial member starts with. */
const CLUSTER_ID = "sim";
/** Election timeouts in the shortest lease TTL a node accepts. */
const LEASE_TTL_ELECTIONS_MIN = 3;
/** The watch history bounds runs choose from: small ones make watches fall behind. */
const WATCH_HISTORY_ENTRIES = [16, 64, 10_000];
/**
 * Ticks allowed, once keep-alives stop, for every lease to expire: the
 * longest TTL (twice the shortest), a retried revocation and elections.
 */
const LEASE_DRAIN_TICKS_MAX = 250;

/** Settings of one run. */
export interface SimOptions {
  seed: number;
  /** Ticks of faulty operation before healing. */
  steps: number;
  /** Prints every fault, leader and completed operation (for replaying a failure). */
  trace?: boolean;
  /** Deliberate bugs, to show the simulator catches them (tests only). */
  breaks?: DriverBreaks & { ackBeforeSync?: boolean };
}

/** Counts of injected faults, by kind. */
export type FaultCounts = Record<string, number>;

/** What a run did. */
export interface SimResult {
  seed: number;
  faults: FaultCounts;
  ops: Workload["stats"];
  /** Data-model operations by kind and outcome, and watch counts. */
  dataModel: Record<string, number>;
  network: SimNetwork["stats"];
  leaders: number;
  commitIndex: number;
}

/** A run that broke a property; `seed` replays it. */
export class SimFailure extends Error {
  readonly seed: number;
  /** @param seed the run's seed @param steps its length @param message what broke */
  constructor(seed: number, steps: number, message: string) {
    super(
      `${message}\n  seed ${seed}; replay: deno task sim --seed ${seed} --steps ${steps} --trace`,
    );
    this.name = "SimFailure";
    this.seed = seed;
  }
}

/** Runs one simulation; rejects with {@link SimFailure} on any violation. */
export async function runSimulation(options: SimOptions): Promise<SimResult> {
  const drainer = drain();
  const sim = new Simulation(options, drainer);
  try {
    await sim.run();
  } catch (error) {
    if (error instanceof SimFailure) throw error;
    const message = error instanceof InvariantError
      ? `${error.name}: ${error.message}`
      : error instanceof Error
      ? String(error.stack)
      : String(error);
    throw new SimFailure(options.seed, options.steps, `${message} (at tick ${sim.tickCount()})`);
  } finally {
    drainer.close();
  }
  return sim.result();
}

function initialEntries(voters: NodeId[]): Entry[] {
  return voters.map((id, i) => ({
    index: i + 1,
    term: 1,
    type: "conf" as const,
    data: encodeConfChange({ op: "addVoter", id, raftAddr: simAddr(id), httpAddr: "" }),
  }));
}

class Simulation {
  private readonly options: SimOptions;
  private readonly rng: Rng;
  private readonly network: SimNetwork;
  private readonly clock = new SimClock();
  private readonly cluster: SimCluster;
  private readonly checker = new SafetyChecker();
  private readonly workload: Workload;
  private readonly clients: SimClients;
  private readonly dm: DataModelRun;
  private readonly faults: FaultCounts = {};
  private readonly lastRole = new Map<NodeId, string>();
  private readonly commitChecked = new Map<NodeId, number>();
  private readonly corrupted = new Map<Message, { mustDrop: boolean; change: string }>();
  /** Real messages delivered to a later incarnation of the node they were sent to. */
  private readonly late = new Set<Message>();
  private readonly drainer: Drainer;
  private readonly ctx: FaultContext;
  private readonly doomed = new Map<NodeId, number>();
  private readonly earlyCrashPercent: number;
  /** The chance a pending write completes in one time unit when the disk is not slowed. */
  private readonly calmDiskRate: number;
  private readonly ids: NodeId[];
  private failure: Error | null = null;
  private now = 0;
  private leaderTerms = 0;

  constructor(options: SimOptions, drainer: Drainer) {
    this.options = options;
    this.drainer = drainer;
    this.rng = createRng(options.seed);
    this.network = new SimNetwork(createRng(options.seed ^ 0x5bd1e995));
    const raft: Partial<RaftConfig> = {
      entriesPerMsgMax: 1 + this.rng.int(8),
      inflightMsgsMax: 1 + this.rng.int(4),
    };
    const snapshotEntries = 8 + this.rng.int(40);
    const catchUp = 1 + this.rng.int(4);
    this.earlyCrashPercent = this.rng.int(4) * 10;
    this.calmDiskRate = 0.3 + this.rng.int(6) / 10;
    this.workload = new Workload(2 + this.rng.int(3));
    const voters = 3 + this.rng.int(3);
    const total = Math.min(5, voters + this.rng.int(3));
    this.ids = Array.from({ length: total }, (_, i) => `n${i + 1}`);
    const historyEntries = WATCH_HISTORY_ENTRIES[this.rng.int(WATCH_HISTORY_ENTRIES.length)]!;
    this.dm = new DataModelRun({
      rng: this.rng,
      trace: options.trace === true,
      ttlMsMin: LEASE_TTL_ELECTIONS_MIN * ELECTION_TICKS * UNITS_PER_TICK * MS_PER_UNIT,
      retryMs: UNITS_PER_TICK * MS_PER_UNIT,
      newValue: (key) => this.workload.newValue(key),
      nodes: this.ids,
    });
    this.clients = new SimClients(this.workload, this.rng, this.dm.calls);
    this.network.nodeIds = this.ids;
    this.cluster = new SimCluster({
      network: this.network,
      clock: this.clock,
      config: (id) => nodeConfig(id, { snapshotEntries, catchUp, historyEntries }),
      raft,
      seed: options.seed,
      listener: (id, incarnation) => this.listener(id, incarnation),
      onFatal: (id, error) =>
        this.failure ??= new InvariantError(`"${id}" stopped: ${error.stack}`),
      unkept: (id, what) => this.failure ??= new InvariantError(`Durability: "${id}" ${what}`),
      breaks: options.breaks ?? {},
    });
    const entries = initialEntries(this.ids.slice(0, voters));
    for (const [i, id] of this.ids.entries()) {
      const disk = new SimDisk(id, i < voters ? CLUSTER_ID : "");
      if (i < voters) {
        disk.seed({ hardState: { term: 1, vote: "", commit: voters }, entries });
      }
      this.cluster.add(id, disk);
    }
    this.ctx = {
      rng: this.rng,
      network: this.network,
      cluster: this.cluster,
      count: (kind) => this.count(kind),
      leader: () => this.leader(),
      crashed: (m, incarnation) => this.crashed(m, incarnation),
      removed: new Set(),
      diskRate: this.calmDiskRate,
    };
  }

  tickCount(): number {
    return Math.floor(this.now / UNITS_PER_TICK);
  }

  result(): SimResult {
    let commit = 0;
    for (const m of this.cluster.alive()) {
      commit = Math.max(commit, m.node!.driver.core.log.committed);
    }
    return {
      seed: this.options.seed,
      faults: this.faults,
      ops: this.workload.stats,
      dataModel: this.dm.stats(),
      network: this.network.stats,
      leaders: this.leaderTerms,
      commitIndex: commit,
    };
  }

  async run(): Promise<void> {
    for (const id of this.ids) await this.cluster.start(id);
    const end = this.options.steps * UNITS_PER_TICK;
    while (this.now < end) {
      if (this.now % UNITS_PER_TICK === 0) {
        await injectFault(this.ctx);
        // The clock still reads the last unit's time: what the nodes see at these calls.
        this.clients.issue(this.cluster.alive(), this.clock.nowMs);
        this.dm.tick(this.cluster.alive(), this.clock.nowMs);
      }
      await this.unit();
    }
    await this.healAll();
    await this.checkLiveness();
    await this.finalChecks();
  }

  /** One time unit: crash the doomed, deliver, move time, complete writes, let every node run. */
  private async unit(): Promise<void> {
    this.crashDoomed();
    for (const f of this.network.due(this.now)) this.deliver(f);
    this.clock.advanceTo(this.now * MS_PER_UNIT);
    this.cluster.answerProbes();
    this.cluster.completeWrites(this.rng, this.ctx.diskRate);
    await this.drainer.drain();
    if (this.failure !== null) throw this.failure;
    this.dm.unit(this.cluster, this.clock.nowMs);
    if (this.dm.calls.unexpected !== null) throw this.dm.calls.unexpected;
    if (this.dm.failure !== null) throw new InvariantError(this.dm.failure);
    this.checkStep();
    this.now++;
  }

  private deliver(f: InFlight): void {
    if (f.corruption !== null) {
      const m = f.message;
      const mustDrop = f.corruption.mustDrop || f.target !== m.to;
      if (this.options.trace === true) {
        console.log(`t=${this.now} corrupt ${m.type} to ${f.target}: ${f.corruption.change}`);
      }
      this.corrupted.set(m, { mustDrop, change: f.corruption.change });
    } else if (this.cluster.machines.get(f.target)?.incarnation !== f.toIncarnation) {
      // Sent to an earlier incarnation: the node that gets it never asked for it.
      this.late.add(f.message);
    }
    const delivered = this.cluster.deliver(f);
    if (delivered !== "delivered") {
      this.corrupted.delete(f.message);
      this.late.delete(f.message);
    }
  }

  /** The run's listener on one incarnation of a node: the checker's hooks. */
  private listener(id: NodeId, _incarnation: number): DriverListener {
    return {
      entriesSaved: (entries) => this.checker.noteEntries(id, entries),
      entryApplied: (entry, result) => {
        this.checker.noteApplied(id, entry);
        this.dm.applied(id, entry, result);
      },
      snapshotInstalled: (meta) => this.dm.installed(meta.index),
      messageStepped: (m, dropped) => this.stepped(id, m, dropped),
      messageRefused: (m) => {
        this.corrupted.delete(m);
        this.late.delete(m);
      },
    };
  }

  /** A real message is never dropped by the core; a corrupted one that must be always is. */
  private stepped(id: NodeId, m: Message, dropped: string | null): void {
    const corrupted = this.corrupted.get(m);
    this.corrupted.delete(m);
    // A message to an earlier incarnation may have nothing left to answer (a
    // transfer's timeoutNow to a node that restarted since): ignoring it is right.
    if (this.late.delete(m)) return;
    if (corrupted === undefined) {
      if (dropped === null) return;
      this.failure ??= new InvariantError(
        `"${id}" dropped a real ${m.type} from "${m.from}": ${dropped}`,
      );
    } else if (corrupted.mustDrop && dropped === null) {
      this.failure ??= new InvariantError(
        `"${id}" accepted a corrupted ${m.type} from "${m.from}": ${corrupted.change}`,
      );
    }
  }

  private crashed(machine: Machine, incarnation: number): void {
    this.dm.calls.abandonNode(machine.id, incarnation);
    this.lastRole.delete(machine.id);
    this.commitChecked.delete(machine.id);
  }

  private crashDoomed(): void {
    for (const [id, at] of this.doomed) {
      if (at > this.now) continue;
      this.doomed.delete(id);
      if (this.now >= this.options.steps * UNITS_PER_TICK) continue;
      const machine = this.cluster.machine(id);
      if (machine.node === null) continue;
      const incarnation = machine.incarnation;
      this.cluster.crash(id);
      this.crashed(machine, incarnation);
      this.count("crashNewLeader");
    }
  }

  private count(kind: string): void {
    if (this.options.trace === true) console.log(`t=${this.now} fault ${kind}`);
    this.faults[kind] = (this.faults[kind] ?? 0) + 1;
  }

  private leader(): Machine | undefined {
    let best: Machine | undefined;
    let bestTerm = -1;
    for (const m of this.cluster.alive()) {
      const state = m.node!.driver.core.state();
      if (state.role !== "leader" || state.term <= bestTerm) continue;
      best = m;
      bestTerm = state.term;
    }
    return best;
  }

  private checkStep(): void {
    for (const m of this.cluster.alive()) {
      const core = m.node!.driver.core;
      core.checkInvariants();
      const state = core.state();
      this.commitChecked.set(
        m.id,
        this.checker.noteCommitted(m.id, core, this.commitChecked.get(m.id) ?? 0),
      );
      const role = `${state.role}@${state.term}`;
      if (state.role === "leader" && this.lastRole.get(m.id) !== role) this.newLeader(m);
      this.lastRole.set(m.id, role);
    }
    if (this.now % (UNITS_PER_TICK * 10) === 0) {
      const cores = new Map(this.cluster.alive().map((m) => [m.id, m.node!.driver.core]));
      this.checker.checkLogMatching(cores);
    }
  }

  private newLeader(m: Machine): void {
    const core = m.node!.driver.core;
    const { term } = core.state();
    if (this.options.trace === true) {
      const members = core.currentMembership().map((x) => x.id + (x.voter ? "" : "(l)"));
      console.log(
        `t=${this.now} leader ${m.id}@${term} members=${members} last=${core.log.lastIndex()} commit=${core.log.committed}`,
      );
    }
    this.leaderTerms++;
    this.checker.noteLeader(m.id, term);
    this.checker.checkLeaderCompleteness(m.id, core);
    // A leader that dies before its no-op spreads leaves entries of older
    // terms on some logs: the ground of the Figure 8 case (§3.6.2).
    const faulty = this.now < this.options.steps * UNITS_PER_TICK;
    if (faulty && this.rng.int(100) < this.earlyCrashPercent) {
      this.doomed.set(m.id, this.now + 1 + this.rng.int(6));
    }
  }

  private async healAll(): Promise<void> {
    this.network.heal();
    this.network.conditions = calmConditions();
    this.ctx.diskRate = this.calmDiskRate;
    this.dm.healed();
    for (const m of this.cluster.machines.values()) {
      if (m.node === null) await this.cluster.start(m.id);
    }
  }

  /** After healing, a leader must be elected and a new write applied within a bound. */
  private async checkLiveness(): Promise<void> {
    const limit = this.now + LIVENESS_TICKS_MAX * UNITS_PER_TICK;
    let written = false;
    let writing = false;
    while (this.now < limit && !written) {
      await this.unit();
      const node = this.leader()?.node;
      if (writing || node == null || !node.driver.core.hasCommittedInTerm()) continue;
      writing = true;
      node.put("liveness", `t${this.now}`).then(() => written = true, () => writing = false);
    }
    if (written) return;
    throw new InvariantError(
      `Liveness: no write committed within ${LIVENESS_TICKS_MAX} ticks after healing\n${this.describe()}`,
    );
  }

  /** Why the members have not converged on the leader's commit index, or "" once they have. */
  private lagging(): string {
    const leader = this.leader()?.node;
    if (leader == null) return "no leader";
    const target = leader.driver.core.log.committed;
    for (const member of leader.driver.core.currentMembership()) {
      const node = this.cluster.machine(member.id).node;
      const applied = node?.driver.machine.appliedIndex ?? -1;
      if (applied < target) return `"${member.id}" applied ${applied} < ${target}`;
    }
    return "";
  }

  /** One line per node: what it believes. */
  private describe(): string {
    return [...this.cluster.machines.values()].map((m) => {
      if (m.node === null) return `  ${m.id} down`;
      const core = m.node.driver.core;
      const s = core.state();
      const members = core.currentMembership().map((x) => `${x.id}${x.voter ? "" : "(l)"}`);
      const log = core.log;
      return `  ${m.id} up ${s.role} term=${s.term} lead=${s.lead} ` +
        `last=${log.lastIndex()}@${log.lastTerm()} commit=${log.committed} applied=${log.applied} ` +
        `members=[${members.join(",")}] removed=${this.ctx.removed.has(m.id)}`;
    }).join("\n");
  }

  /** Everyone converges; histories are linearizable; stale reads saw written values. */
  private async finalChecks(): Promise<void> {
    let lagging = "no leader";
    for (let i = 0; i < LIVENESS_TICKS_MAX * UNITS_PER_TICK && lagging !== ""; i++) {
      await this.unit();
      lagging = this.lagging();
    }
    if (lagging !== "") throw new InvariantError(`Convergence: ${lagging}\n${this.describe()}`);
    await this.drainLeases();
    // Operations still waiting may or may not have taken effect.
    const verdict = this.dm.check(this.cluster);
    if (verdict !== null) throw new InvariantError(verdict);
    const stale = this.workload.checkStaleReads();
    if (stale !== null) throw new InvariantError(stale);
    const linearizable = checkLinearizable(this.workload.history);
    if (!linearizable.ok) {
      throw new InvariantError(
        `Linearizability${
          linearizable.unknown === true ? " (undecided)" : ""
        } on key "${linearizable.key}":\n${linearizable.explanation ?? ""}`,
      );
    }
  }

  /** With keep-alives stopped, every lease expires and every node applies it. */
  private async drainLeases(): Promise<void> {
    const leases = () => this.leader()?.node?.driver.machine.leases().length ?? -1;
    for (let i = 0; i < LEASE_DRAIN_TICKS_MAX * UNITS_PER_TICK; i++) {
      if (leases() === 0 && this.lagging() === "") return;
      await this.unit();
    }
    throw new InvariantError(
      `Lease expiry: ${leases()} leases still exist ${LEASE_DRAIN_TICKS_MAX} ticks after ` +
        `keep-alives stopped (${this.lagging() || "all applied"})\n${this.describe()}`,
    );
  }
}

/** What a run varies in its nodes' configs. */
interface RunSettings {
  snapshotEntries: number;
  catchUp: number;
  /** Entries the watch history holds. */
  historyEntries: number;
}

/** The config of simulated node `id`: a heartbeat every tick, elections after ten. */
function nodeConfig(id: NodeId, run: RunSettings): NodeConfig {
  const { snapshotEntries, catchUp } = run;
  return validateNodeConfig({
    ...defaultNodeConfig(),
    id,
    raftAddr: simAddr(id),
    httpAddr: `sim-${id}:8001`,
    dataDir: `sim/${id}`,
    heartbeatMs: UNITS_PER_TICK * MS_PER_UNIT,
    electionMs: ELECTION_TICKS * UNITS_PER_TICK * MS_PER_UNIT,
    snapshotEntries,
    snapshotCatchUpEntries: Math.min(catchUp, snapshotEntries),
    requestTimeoutMs: OP_TIMEOUT_TICKS * UNITS_PER_TICK * MS_PER_UNIT,
    watchHistoryEntries: run.historyEntries,
  });
}
