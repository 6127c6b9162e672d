/**
 * One seeded simulation run: 3 to 5 Raft cores over a faulty simulated
 * network, with crashes, snapshots, membership changes, leadership transfers
 * and a client workload, checked for safety after every step, for
 * linearizability at the end, and for liveness once the faults heal.
 *
 * @module
 */

import { encodeDelete, encodePut } from "../../src/kv/command.ts";
import { defaultConfig, type RaftConfig } from "../../src/raft/config.ts";
import { encodeConfChange } from "../../src/raft/membership.ts";
import { createRng, type Rng } from "../../src/raft/rng.ts";
import type { Entry, Member, NodeId } from "../../src/raft/types.ts";
import { MemoryStorage } from "../../src/storage/memory_storage.ts";
import { InvariantError, SafetyChecker } from "./invariants.ts";
import { checkLinearizable } from "./linearizability.ts";
import { calmConditions, type InFlight, SimNetwork } from "./network.ts";
import { type CycleOutput, SimNode } from "./sim_node.ts";
import { SIM_KEYS, type WaitingOp, Workload } from "./workload.ts";

/** Time units per tick: messages take a few units, so the network is fast next to timers. */
const UNITS_PER_TICK = 10;
/** Ready cycles per node per time unit before the simulation calls it a livelock. */
const CYCLES_PER_UNIT_MAX = 50;
/** Ticks an operation may wait before its client gives up. */
const OP_TIMEOUT_TICKS = 40;
/** Ticks allowed, once every fault healed, to elect a leader and commit a write. */
const LIVENESS_TICKS_MAX = 400;

/** Settings of one run. */
export interface SimOptions {
  seed: number;
  /** Ticks of faulty operation before healing. */
  steps: number;
  /** Prints every completed operation and fault (for replaying a failure). */
  trace?: boolean;
}

/** Counts of injected faults, by kind. */
export type FaultCounts = Record<string, number>;

/** What a run did. */
export interface SimResult {
  seed: number;
  faults: FaultCounts;
  ops: Workload["stats"];
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

/** Runs one simulation; throws {@link SimFailure} on any violation. */
export function runSimulation(options: SimOptions): SimResult {
  const sim = new Simulation(options);
  try {
    sim.run();
  } catch (error) {
    if (error instanceof SimFailure) throw error;
    // An unexpected exception is a bug too: keep its stack to find it.
    const message = error instanceof InvariantError
      ? `${error.name}: ${error.message}`
      : error instanceof Error
      ? String(error.stack)
      : String(error);
    throw new SimFailure(options.seed, options.steps, `${message} (at tick ${sim.tickCount()})`);
  }
  return sim.result();
}

function memberFor(id: NodeId, voter: boolean): Member {
  return { id, voter, raftAddr: `sim:${id}`, httpAddr: `sim:${id}` };
}

function initialEntries(voters: NodeId[]): Entry[] {
  return voters.map((id, i) => ({
    index: i + 1,
    term: 1,
    type: "conf" as const,
    data: encodeConfChange({ op: "addVoter", ...memberFor(id, true) }),
  }));
}

class Simulation {
  private readonly seed: number;
  private readonly steps: number;
  private readonly rng: Rng;
  private readonly config: RaftConfig;
  private readonly nodes = new Map<NodeId, SimNode>();
  private readonly network: SimNetwork;
  private readonly checker = new SafetyChecker();
  private readonly workload: Workload;
  private readonly faults: FaultCounts = {};
  private readonly lastRole = new Map<NodeId, string>();
  private now = 0;
  private leaderTerms = 0;
  private readonly trace: boolean;
  /** Leaders to crash at a given time, soon after their election. */
  private readonly doomed = new Map<NodeId, number>();
  private readonly earlyCrashPercent: number;

  constructor(options: SimOptions) {
    this.seed = options.seed;
    this.steps = options.steps;
    this.trace = options.trace === true;
    this.rng = createRng(options.seed);
    this.network = new SimNetwork(createRng(options.seed ^ 0x5bd1e995));
    this.config = { ...defaultConfig(), maxEntriesPerMsg: 1 + this.rng.int(8) };
    this.config.maxInflightMsgs = 1 + this.rng.int(4);
    this.earlyCrashPercent = this.rng.int(4) * 10;
    this.workload = new Workload(2 + this.rng.int(3));
    const voters = 3 + this.rng.int(3);
    const total = Math.min(5, voters + this.rng.int(3));
    const ids = Array.from({ length: total }, (_, i) => `n${i + 1}`);
    const entries = initialEntries(ids.slice(0, voters));
    for (const [i, id] of ids.entries()) {
      const disk = new MemoryStorage();
      if (i < voters) {
        disk.saveSync({ hardState: { term: 1, vote: "", commit: voters }, entries });
      }
      this.nodes.set(id, new SimNode(id, disk, this.config, this.seed));
    }
    this.network.nodeIds = ids;
  }

  tickCount(): number {
    return Math.floor(this.now / UNITS_PER_TICK);
  }

  result(): SimResult {
    let commit = 0;
    for (const node of this.nodes.values()) commit = Math.max(commit, node.raft.log.committed);
    return {
      seed: this.seed,
      faults: this.faults,
      ops: this.workload.stats,
      network: this.network.stats,
      leaders: this.leaderTerms,
      commitIndex: commit,
    };
  }

  run(): void {
    const end = this.steps * UNITS_PER_TICK;
    while (this.now < end) {
      if (this.now % UNITS_PER_TICK === 0) {
        this.injectFaults();
        this.issueOps();
      }
      this.unit();
    }
    this.healAll();
    this.checkLiveness();
    this.finalChecks();
  }

  /** One time unit: deliver, run ready cycles, tick on tick boundaries, check. */
  private unit(): void {
    for (const [id, at] of this.doomed) {
      if (at > this.now) continue;
      if (this.now >= this.steps * UNITS_PER_TICK) {
        this.doomed.clear();
        break;
      }
      this.doomed.delete(id);
      const node = this.nodes.get(id)!;
      if (!node.alive) continue;
      node.crash();
      this.count("crashNewLeader");
    }
    for (const f of this.network.due(this.now)) this.deliver(f);
    if (this.now % UNITS_PER_TICK === 0) {
      for (const node of this.nodes.values()) if (node.alive) node.raft.tick();
      this.maintenance();
    }
    for (const node of this.nodes.values()) this.runCycles(node);
    this.serveWaiting();
    this.checkStep();
    this.now++;
  }

  /** Steps one message; a real one is never dropped, a corrupted one that must be always is. */
  private deliver(f: InFlight): void {
    const node = this.nodes.get(f.target);
    const sender = this.nodes.get(f.message.from);
    if (node === undefined || !node.alive) return;
    if (f.corruption === null && sender?.incarnation !== f.incarnation) return;
    const verdict = node.raft.step(f.message);
    const m = f.message;
    if (f.corruption === null) {
      if (verdict === null) return;
      throw new InvariantError(
        `"${node.id}" dropped a real ${m.type} from "${m.from}": ${verdict}`,
      );
    }
    if (this.trace) {
      console.log(`t=${this.now} corrupt ${m.type} to ${node.id}: ${f.corruption.change}`);
    }
    const mustDrop = f.corruption.mustDrop || node.id !== m.to;
    if (mustDrop && verdict === null) {
      throw new InvariantError(
        `"${node.id}" accepted a corrupted ${m.type} from "${m.from}": ${f.corruption.change}`,
      );
    }
  }

  private runCycles(node: SimNode): void {
    for (let i = 0; node.alive && node.raft.hasReady(); i++) {
      if (i >= CYCLES_PER_UNIT_MAX) throw new InvariantError(`"${node.id}" never runs out of work`);
      const incarnation = node.incarnation;
      const out = node.cycle(this.checker);
      for (const m of out.sent) this.network.send(m, this.now, incarnation);
      this.resolve(node, out, incarnation);
      if (out.crashed) {
        this.nodeCrashed(node);
        return;
      }
    }
  }

  // ---- client operations ---------------------------------------------------

  private pickNode(preferLeader: boolean): SimNode | undefined {
    const alive = [...this.nodes.values()].filter((n) => n.alive);
    if (alive.length === 0) return undefined;
    if (preferLeader && this.rng.int(10) < 8) {
      const leaders = alive.filter((n) => n.raft.state().role === "leader");
      if (leaders.length > 0) return leaders[this.rng.int(leaders.length)];
    }
    return alive[this.rng.int(alive.length)];
  }

  private issueOps(): void {
    for (let attempts = 0; attempts < 4; attempts++) {
      if (this.rng.int(2) === 0) continue;
      const client = this.workload.takeClient();
      if (client < 0) return;
      this.issueOne(client);
    }
  }

  private issueOne(client: number): void {
    const key = SIM_KEYS[this.rng.int(SIM_KEYS.length)]!;
    const roll = this.rng.int(100);
    const write = roll < 45;
    const node = this.pickNode(write || roll < 70);
    const w = this.workload;
    if (roll < 35) {
      const value = w.newValue(key);
      this.propose(node, w.call(client, { kind: "put", key, value }), encodePut(key, value));
    } else if (roll < 45) {
      this.propose(node, w.call(client, { kind: "delete", key }), encodeDelete(key));
    } else {
      const op = w.call(client, { kind: "get", key });
      if (node === undefined) w.refuse(op);
      else if (roll < 60) w.completeStale(op, node.machine.get(key)?.value ?? null);
      else if (roll < 80) this.readDefault(node, op);
      else this.readConsistent(node, op);
    }
  }

  private waiter(node: SimNode, op: WaitingOp["op"], level: WaitingOp["level"]): WaitingOp {
    return {
      op,
      node: node.id,
      incarnation: node.incarnation,
      level,
      index: 0,
      term: 0,
      ctx: 0,
      readIndex: -1,
      deadline: this.now + OP_TIMEOUT_TICKS * UNITS_PER_TICK,
    };
  }

  private propose(node: SimNode | undefined, op: WaitingOp["op"], data: Uint8Array): void {
    const result = node?.raft.propose(data);
    if (node === undefined || result === undefined || !result.ok) {
      this.workload.refuse(op);
      return;
    }
    const w = this.waiter(node, op, "write");
    if (this.trace) {
      console.log(
        `t=${this.now} propose ${
          JSON.stringify(op.input)
        } at ${result.index}@${result.term} on ${node.id}`,
      );
    }
    w.index = result.index;
    w.term = result.term;
    this.workload.waiting.push(w);
  }

  private readDefault(node: SimNode, op: WaitingOp["op"]): void {
    const index = node.raft.leaseRead();
    if (index < 0) {
      this.workload.refuse(op);
      return;
    }
    const w = this.waiter(node, op, "default");
    w.readIndex = index;
    this.workload.waiting.push(w);
  }

  private ctxSeq = 0;

  private readConsistent(node: SimNode, op: WaitingOp["op"]): void {
    const ctx = ++this.ctxSeq;
    if (!node.raft.readIndex(ctx)) {
      this.workload.refuse(op);
      return;
    }
    const w = this.waiter(node, op, "consistent");
    w.ctx = ctx;
    this.workload.waiting.push(w);
  }

  /** Matches applied entries and read states to waiting operations. */
  private resolve(node: SimNode, out: CycleOutput, incarnation: number): void {
    const waiting = this.workload.waiting;
    for (const rs of out.readStates) {
      const w = waiting.find((x) => x.level === "consistent" && x.ctx === rs.ctx);
      if (w !== undefined && w.node === node.id) w.readIndex = rs.index;
    }
    if (out.applied.length === 0) return;
    for (let i = waiting.length - 1; i >= 0; i--) {
      const w = waiting[i]!;
      if (w.level !== "write" || w.node !== node.id || w.incarnation !== incarnation) continue;
      const hit = out.applied.find((a) => a.entry.index === w.index);
      if (hit === undefined) continue;
      waiting.splice(i, 1);
      // Another entry at that index means ours was overwritten: it never took effect.
      if (this.trace) {
        console.log(
          `t=${this.now} write ${
            JSON.stringify(w.op.input)
          } at ${w.index}@${w.term} on ${node.id}: entry term ${hit.entry.term}`,
        );
      }
      if (hit.entry.term !== w.term || hit.result === null) this.workload.refuse(w.op);
      else if (hit.result.kind === "delete") {
        this.workload.complete(w.op, { deleted: hit.result.deleted });
      } else this.workload.complete(w.op, null);
    }
  }

  /** Reads whose index is applied get answered; expired operations are abandoned. */
  private serveWaiting(): void {
    const waiting = this.workload.waiting;
    for (let i = waiting.length - 1; i >= 0; i--) {
      const w = waiting[i]!;
      const node = this.nodes.get(w.node)!;
      const gone = !node.alive || node.incarnation !== w.incarnation;
      if (gone || this.now >= w.deadline) {
        waiting.splice(i, 1);
        if (this.trace) {
          console.log(
            `t=${this.now} abandon ${JSON.stringify(w.op.input)} at ${w.index} on ${w.node}`,
          );
        }
        this.workload.abandon(w.op);
        continue;
      }
      if (w.level === "write" || w.readIndex < 0) continue;
      if (node.machine.appliedIndex < w.readIndex) continue;
      // A lease read is served only while the lease still holds.
      if (w.level === "default" && node.raft.leaseRead() < 0) {
        waiting.splice(i, 1);
        this.workload.abandon(w.op);
        continue;
      }
      waiting.splice(i, 1);
      const value = node.machine.get(w.op.input.key)?.value ?? null;
      if (this.trace) {
        const st = node.raft.state();
        console.log(
          `t=${this.now} read ${w.level} ${w.op.input.key}=${value} on ${node.id} ${st.role}@${st.term} idx=${w.readIndex} applied=${node.machine.appliedIndex}`,
        );
      }
      this.workload.complete(w.op, { value });
    }
  }

  private nodeCrashed(node: SimNode): void {
    this.count("crash");
    this.lastRole.delete(node.id);
  }

  // ---- faults ----------------------------------------------------------------

  private count(kind: string): void {
    if (this.trace) console.log(`t=${this.now} fault ${kind}`);
    this.faults[kind] = (this.faults[kind] ?? 0) + 1;
  }

  private currentLeader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const node of this.nodes.values()) {
      if (!node.alive || node.raft.state().role !== "leader") continue;
      if (best === undefined || node.raft.state().term > best.raft.state().term) best = node;
    }
    return best;
  }

  private injectFaults(): void {
    const roll = this.rng.int(1000);
    const ids = [...this.nodes.keys()];
    if (roll < 15) this.partitionHalves(ids);
    else if (roll < 25) this.isolateLeader(ids);
    else if (roll < 35) this.oneWayCuts(ids);
    else if (roll < 65) {
      if (this.network.cutCount() > 0) this.count("heal");
      this.network.heal();
    } else if (roll < 80) this.crashRandom();
    else if (roll < 120) this.restartRandom();
    else if (roll < 135) this.changeConditions();
    else if (roll < 145) this.crashMidWrite();
    else if (roll < 175) this.snapshotRandom();
    else if (roll < 185) this.changeMembership();
    else if (roll < 192) this.transferLeadership();
  }

  private partitionHalves(ids: NodeId[]): void {
    this.count("partition");
    const side = new Set(ids.filter(() => this.rng.int(2) === 0));
    for (const a of ids) {
      for (const b of ids) if (side.has(a) !== side.has(b)) this.network.cut(a, b);
    }
  }

  private isolateLeader(ids: NodeId[]): void {
    const leader = this.currentLeader();
    if (leader === undefined) return;
    this.count("isolateLeader");
    for (const other of ids) {
      if (other === leader.id) continue;
      this.network.cut(leader.id, other);
      this.network.cut(other, leader.id);
    }
  }

  private oneWayCuts(ids: NodeId[]): void {
    this.count("oneWayCut");
    const n = 1 + this.rng.int(3);
    for (let i = 0; i < n; i++) {
      const from = ids[this.rng.int(ids.length)]!;
      const to = ids[this.rng.int(ids.length)]!;
      if (from !== to) this.network.cut(from, to);
    }
  }

  private crashRandom(): void {
    const alive = [...this.nodes.values()].filter((n) => n.alive);
    if (alive.length <= 1) return;
    const node = alive[this.rng.int(alive.length)]!;
    node.crash();
    this.nodeCrashed(node);
  }

  private restartRandom(): void {
    const down = [...this.nodes.values()].filter((n) => !n.alive);
    if (down.length === 0) return;
    this.count("restart");
    const node = down[this.rng.int(down.length)]!;
    node.restart();
  }

  private changeConditions(): void {
    this.count("conditions");
    const pick = (max: number) => this.rng.int(max + 1) / 100;
    this.network.conditions = {
      dropRate: pick(15),
      duplicateRate: pick(10),
      slowRate: pick(20),
      delayMax: 1 + this.rng.int(5),
      slowDelayMax: 5 + this.rng.int(40),
      corruptRate: pick(5),
    };
    if (this.network.conditions.dropRate > 0) this.count("dropping");
    if (this.network.conditions.duplicateRate > 0) this.count("duplicating");
    if (this.network.conditions.slowRate > 0) this.count("delaying");
    if (this.network.conditions.corruptRate > 0) this.count("corrupting");
  }

  private crashMidWrite(): void {
    const alive = [...this.nodes.values()].filter((n) => n.alive);
    if (alive.length <= 1) return;
    const node = alive[this.rng.int(alive.length)]!;
    node.crashPoint = this.rng.int(2) === 0 ? "beforeSync" : "tornSync";
    this.count(node.crashPoint);
  }

  private snapshotRandom(): void {
    const alive = [...this.nodes.values()].filter((n) => n.alive);
    if (alive.length === 0) return;
    const node = alive[this.rng.int(alive.length)]!;
    if (node.takeSnapshot(this.rng.int(4))) this.count("snapshot");
  }

  private changeMembership(): void {
    const leader = this.currentLeader();
    if (leader === undefined) return;
    const members = leader.raft.currentMembership();
    const voters = members.filter((m) => m.voter);
    const spare = [...this.nodes.keys()].find((id) =>
      !members.some((m) => m.id === id) && !this.removed.has(id)
    );
    if (spare !== undefined && this.rng.int(2) === 0) {
      const result = leader.raft.proposeConfChange({
        op: "addLearner",
        ...memberFor(spare, false),
      });
      if (result.ok) this.count("addLearner");
    } else if (voters.length > 2) {
      const victim = voters[this.rng.int(voters.length)]!;
      const result = leader.raft.proposeConfChange({ op: "remove", ...victim });
      if (result.ok) {
        if (this.trace) console.log(`t=${this.now} removing ${victim.id} at ${result.index}`);
        this.count("remove");
        this.removed.add(victim.id);
      }
    }
  }

  private readonly removed = new Set<NodeId>();

  private transferLeadership(): void {
    const leader = this.currentLeader();
    if (leader === undefined) return;
    const voters = leader.raft.currentMembership().filter((m) => m.voter && m.id !== leader.id);
    if (voters.length === 0) return;
    const target = voters[this.rng.int(voters.length)]!;
    if (leader.raft.transferLeader(target.id) === null) this.count("transfer");
  }

  /** The driver's duty: promote learners that caught up. */
  private maintenance(): void {
    const leader = this.currentLeader();
    if (leader === undefined || leader.raft.pendingConf() !== 0) return;
    const last = leader.raft.log.lastIndex();
    for (const pr of leader.raft.progress()) {
      const member = leader.raft.currentMembership().find((m) => m.id === pr.id);
      if (member === undefined || member.voter || pr.match < last - 2) continue;
      const result = leader.raft.proposeConfChange({ op: "promote", ...member });
      if (result.ok) this.count("promote");
      return;
    }
  }

  // ---- checks ------------------------------------------------------------------

  private checkStep(): void {
    for (const node of this.nodes.values()) {
      if (!node.alive) continue;
      const state = node.raft.state();
      node.commitChecked = this.checker.noteCommitted(node.id, node.raft, node.commitChecked);
      const role = `${state.role}@${state.term}`;
      if (state.role === "leader" && this.lastRole.get(node.id) !== role) {
        if (this.trace) {
          const members = node.raft.currentMembership().map((m) => m.id + (m.voter ? "" : "(l)"));
          console.log(
            `t=${this.now} leader ${node.id}@${state.term} members=${members} last=${node.raft.log.lastIndex()} commit=${node.raft.log.committed}`,
          );
        }
        this.leaderTerms++;
        this.checker.noteLeader(node.id, state.term);
        this.checker.checkLeaderCompleteness(node.id, node.raft);
        // A leader that dies before its no-op spreads leaves entries of older
        // terms on some logs: the ground of the Figure 8 case (§3.6.2).
        if (this.now < this.steps * UNITS_PER_TICK && this.rng.int(100) < this.earlyCrashPercent) {
          this.doomed.set(node.id, this.now + 1 + this.rng.int(6));
        }
      }
      this.lastRole.set(node.id, role);
    }
    if (this.now % (UNITS_PER_TICK * 10) === 0) {
      const alive = new Map(
        [...this.nodes].filter(([, n]) => n.alive).map(([id, n]) => [id, n.raft]),
      );
      this.checker.checkLogMatching(alive);
    }
  }

  private healAll(): void {
    this.network.heal();
    this.network.conditions = calmConditions();
    for (const node of this.nodes.values()) {
      node.crashPoint = "none";
      if (!node.alive) node.restart();
    }
  }

  /** After healing, a leader must be elected and a new write applied within a bound. */
  private checkLiveness(): void {
    const start = this.now;
    const limit = start + LIVENESS_TICKS_MAX * UNITS_PER_TICK;
    let probe: { node: SimNode; index: number; term: number } | null = null;
    while (this.now < limit) {
      this.unit();
      if (probe !== null) {
        const applied = probe.node.raft.log.applied;
        if (applied >= probe.index && probe.node.raft.log.term(probe.index) === probe.term) return;
        if (probe.node.raft.state().role !== "leader") probe = null;
        continue;
      }
      const leader = this.currentLeader();
      if (leader === undefined || !leader.raft.hasCommittedInTerm()) continue;
      const result = leader.raft.propose(encodePut("liveness", `t${this.now}`));
      if (result.ok) probe = { node: leader, index: result.index, term: result.term };
    }
    throw new InvariantError(
      `Liveness: no write committed within ${LIVENESS_TICKS_MAX} ticks after healing\n${this.describe()}`,
    );
  }

  /** Why the members have not converged on the leader's commit index, or "" once they have. */
  private lagging(): string {
    const leader = this.currentLeader();
    if (leader === undefined) return "no leader";
    const target = leader.raft.log.committed;
    for (const member of leader.raft.currentMembership()) {
      const node = this.nodes.get(member.id)!;
      if (node.machine.appliedIndex < target) {
        return `"${node.id}" applied ${node.machine.appliedIndex} < ${target}`;
      }
    }
    return "";
  }

  /** One line per node: what it believes. */
  private describe(): string {
    return [...this.nodes.values()].map((n) => {
      const s = n.raft.state();
      const members = n.raft.currentMembership().map((m) => `${m.id}${m.voter ? "" : "(l)"}`).join(
        ",",
      );
      const log = n.raft.log;
      return `  ${n.id} ${n.alive ? "up" : "down"} ${s.role} term=${s.term} lead=${s.lead} ` +
        `last=${log.lastIndex()}@${log.lastTerm()} commit=${log.committed} applied=${log.applied} ` +
        `members=[${members}] removed=${this.removed.has(n.id)}`;
    }).join("\n");
  }

  /** Everyone converges; histories are linearizable; stale reads saw written values. */
  private finalChecks(): void {
    let lagging = "no leader";
    for (let i = 0; i < LIVENESS_TICKS_MAX * UNITS_PER_TICK && lagging !== ""; i++) {
      this.unit();
      lagging = this.lagging();
    }
    if (lagging !== "") throw new InvariantError(`Convergence: ${lagging}\n${this.describe()}`);
    // Writes still waiting may or may not have taken effect.
    for (const w of this.workload.waiting.splice(0)) this.workload.abandon(w.op);
    const stale = this.workload.checkStaleReads();
    if (stale !== null) throw new InvariantError(stale);
    const verdict = checkLinearizable(this.workload.history);
    if (!verdict.ok) {
      throw new InvariantError(
        `Linearizability${
          verdict.unknown === true ? " (undecided)" : ""
        } on key "${verdict.key}":\n${verdict.explanation ?? ""}`,
      );
    }
  }
}
