/**
 * An in-process network of Raft cores for protocol tests, in the style of
 * etcd's raft tests: every node carries out each `ready()` by the driver's
 * plan (`src/node/ready_plan.ts`) against a fake disk that syncs at once,
 * messages are delivered in rounds until the cluster is quiet,
 * and links can be dropped, cut, isolated and healed; nodes can crash and
 * restart from what they persisted.
 *
 * @module
 */

import { planReady, type PlanStep } from "../../src/node/ready_plan.ts";
import { newMessage } from "../../src/raft/message.ts";
import {
  type CoreBreaks,
  createRng,
  defaultConfig,
  encodeConfChange,
  type Entry,
  type HardState,
  type Membership,
  type Message,
  NO_NODE,
  type NodeId,
  type ProposeResult,
  type RaftConfig,
  RaftNode,
  type ReadState,
  type Rng,
  type Snapshot,
  type SnapshotMeta,
} from "../../src/raft/mod.ts";

/** What a node wrote to its fake disk. */
export interface Disk {
  hardState: HardState;
  entries: Entry[];
  snapshot: Snapshot | null;
}

/** One entry as the state machine of a node saw it. */
export interface AppliedEntry {
  index: number;
  term: number;
  type: Entry["type"];
  data: string;
}

/** How to build a network. */
export interface NetworkOptions {
  /** Number of members, named "n1".."nN" (default 3). */
  size?: number;
  /** Members that start as learners instead of voters. */
  learners?: NodeId[];
  /** Settings for every node, over the defaults. */
  config?: Partial<RaftConfig>;
  /** Settings for single nodes, over `config`. */
  nodeConfig?: Record<NodeId, Partial<RaftConfig>>;
  /** Seed of every random source (default 1). */
  seed?: number;
  /** Entries a node holds after the shared membership entries (its term becomes their last term). */
  extraEntries?: Record<NodeId, Entry[]>;
  /** Test-only protocol bugs in every core (teeth tests). */
  breaks?: CoreBreaks;
}

/** Rounds of `ready()` one node may hand out in one collection. */
const readyRoundsMax = 100;
/** Default bound on delivery rounds before `deliverAll` gives up. */
const deliveryRoundsMax = 10_000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Encodes a test payload. */
export function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Entries `[start, start + count)` of `term` whose data is `${tag}${index}`. */
export function makeEntries(start: number, term: number, count: number, tag: string): Entry[] {
  const out: Entry[] = [];
  for (let i = 0; i < count; i++) {
    const index = start + i;
    out.push({ index, term, type: "normal", data: bytes(`${tag}${index}`) });
  }
  return out;
}

/** The shared first entries of a cluster: one membership change per member, term 1. */
export function membershipEntries(ids: NodeId[], learners: NodeId[]): Entry[] {
  return ids.map((id, i) => ({
    index: i + 1,
    term: 1,
    type: "conf" as const,
    data: encodeConfChange({
      op: learners.includes(id) ? "addLearner" : "addVoter",
      id,
      raftAddr: `127.0.0.1:${7001 + i}`,
      httpAddr: "",
    }),
  }));
}

function record(entry: Entry): AppliedEntry {
  return {
    index: entry.index,
    term: entry.term,
    type: entry.type,
    data: decoder.decode(entry.data),
  };
}

function encodeState(applied: AppliedEntry[]): Uint8Array {
  return encoder.encode(JSON.stringify(applied));
}

function decodeState(data: Uint8Array): AppliedEntry[] {
  return JSON.parse(decoder.decode(data)) as AppliedEntry[];
}

/** The fake state machine of one node: every entry it applied, in order. */
interface StateMachine {
  applied: AppliedEntry[];
  index: number;
}

/** A cluster of Raft cores wired together in memory. */
export class Network {
  /** Member ids in order ("n1".."nN", then any added). */
  readonly ids: NodeId[];
  /** Every message the nodes emitted while `recording`, in order, whether or not it arrived. */
  sent: Message[] = [];
  /** Set false to stop filling `sent` (long simulations). */
  recording = true;
  /** Called on a copy of every message about to arrive: return null to drop it, or the message to deliver. */
  intercept: ((m: Message) => Message | null) | null = null;
  /** Probability in [0, 1) that any message is lost. */
  dropRate = 0;
  /** Probability in [0, 1) that a message is held back and arrives at the next tick, after later ones. */
  delayRate = 0;
  /** Probability in [0, 1) that a message arrives twice. */
  duplicateRate = 0;
  /** Every (term → leaders) ever observed, to check election safety. */
  readonly leadersByTerm = new Map<number, Set<NodeId>>();
  /** Set when a test makes nodes send what a correct node would not: drops are recorded, not thrown. */
  dropsExpected = false;
  /** Why nodes dropped delivered messages (while `dropsExpected`), as "id: reason". */
  readonly drops: string[] = [];
  /** Read states each node handed out. */
  readonly reads = new Map<NodeId, ReadState[]>();
  private readonly nodes = new Map<NodeId, RaftNode>();
  private readonly disks = new Map<NodeId, Disk>();
  private readonly lazyHardState = new Map<NodeId, HardState>();
  private readonly machines = new Map<NodeId, StateMachine>();
  private readonly configs = new Map<NodeId, RaftConfig>();
  private readonly breaks: CoreBreaks;
  private readonly dropped = new Set<string>();
  private readonly seed: number;
  private readonly rng: Rng;
  private generation = 0;
  private held: Message[] = [];

  /** Builds and starts the cluster described by `options`. */
  constructor(options: NetworkOptions = {}) {
    const size = options.size ?? 3;
    this.seed = options.seed ?? 1;
    this.breaks = options.breaks ?? {};
    this.rng = createRng(this.seed * 7919 + 13);
    this.ids = Array.from({ length: size }, (_, i) => `n${i + 1}`);
    const shared = membershipEntries(this.ids, options.learners ?? []);
    for (const id of this.ids) {
      const extra = options.extraEntries?.[id] ?? [];
      const last = extra[extra.length - 1];
      this.configs.set(id, { ...defaultConfig(), ...options.config, ...options.nodeConfig?.[id] });
      this.disks.set(id, {
        hardState: { term: Math.max(1, last?.term ?? 1), vote: NO_NODE, commit: shared.length },
        entries: [...shared, ...extra],
        snapshot: null,
      });
      this.restart(id);
    }
  }

  /** The live core of `id`; throws when it is crashed or unknown. */
  node(id: NodeId): RaftNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`Node "${id}" is not running`);
    return node;
  }

  /** True when `id` is running. */
  isUp(id: NodeId): boolean {
    return this.nodes.has(id);
  }

  /** What `id` synced to its disk. */
  disk(id: NodeId): Disk {
    const disk = this.disks.get(id);
    if (disk === undefined) throw new Error(`Node "${id}" has no disk`);
    return disk;
  }

  /** Every entry `id`'s state machine applied, in order. */
  applied(id: NodeId): AppliedEntry[] {
    return this.machine(id).applied;
  }

  /** The client payloads (non-empty normal entries) `id` applied, in order. */
  appliedData(id: NodeId): string[] {
    return this.applied(id).filter((e) => e.type === "normal" && e.data !== "").map((e) => e.data);
  }

  /** Index of the last entry `id` applied. */
  appliedIndex(id: NodeId): number {
    return this.machine(id).index;
  }

  /** Adds a member with an empty disk that waits to hear from a leader (to join with a conf change). */
  addNode(id: NodeId, config: Partial<RaftConfig> = {}): void {
    if (this.disks.has(id)) throw new Error(`Node "${id}" already exists`);
    this.ids.push(id);
    this.configs.set(id, { ...defaultConfig(), ...config });
    this.disks.set(id, {
      hardState: { term: 0, vote: NO_NODE, commit: 0 },
      entries: [],
      snapshot: null,
    });
    this.restart(id);
  }

  // ---- faults --------------------------------------------------------------

  /** Loses every message from `from` to `to`. */
  drop(from: NodeId, to: NodeId): void {
    this.dropped.add(`${from}>${to}`);
  }

  /** Loses every message between `a` and `b`, both ways. */
  cut(a: NodeId, b: NodeId): void {
    this.drop(a, b);
    this.drop(b, a);
  }

  /** Cuts `id` from every other node. */
  isolate(id: NodeId): void {
    for (const other of this.ids) if (other !== id) this.cut(id, other);
  }

  /** Restores every link and removes the interceptor. */
  heal(): void {
    this.dropped.clear();
    this.intercept = null;
  }

  /** Stops `id`: what it did not sync is lost (a commit-only hard state), messages to it are dropped. */
  crash(id: NodeId): void {
    this.node(id);
    this.nodes.delete(id);
    this.lazyHardState.delete(id);
  }

  /** Rebuilds `id` from its disk, with a fresh random source. */
  restart(id: NodeId): void {
    const disk = this.disk(id);
    this.generation++;
    this.nodes.set(
      id,
      new RaftNode({
        id,
        config: this.configs.get(id)!,
        rng: createRng(this.seed * 1_000_003 + this.generation * 7_919),
        hardState: { ...disk.hardState },
        snapshot: disk.snapshot === null ? null : structuredClone(disk.snapshot.meta),
        entries: [...disk.entries],
        breaks: this.breaks,
      }),
    );
    const snap = disk.snapshot;
    this.machines.set(id, {
      applied: snap === null ? [] : decodeState(snap.data),
      index: snap === null ? 0 : snap.meta.index,
    });
    if (!this.reads.has(id)) this.reads.set(id, []);
  }

  // ---- time and delivery -----------------------------------------------------

  /** Ticks every running node once per round, delivering everything after each round. */
  tickAll(rounds: number): void {
    for (let r = 0; r < rounds; r++) {
      this.releaseHeld();
      for (const id of this.ids) {
        const node = this.nodes.get(id);
        if (node === undefined) continue;
        node.tick();
        this.observe(id);
      }
      this.deliverAll();
    }
  }

  /** Ticks only `id`, delivering everything after each tick. */
  tick(id: NodeId, rounds: number): void {
    for (let r = 0; r < rounds; r++) {
      this.node(id).tick();
      this.observe(id);
      this.deliverAll();
    }
  }

  /** Ticks everyone until a leader is followed by every running voter it knows of; returns it. */
  tickUntilLeader(ticksMax = 200): NodeId {
    for (let t = 0; t < ticksMax; t++) {
      const lead = this.leader();
      if (lead !== undefined && this.settledOn(lead)) return lead;
      this.tickAll(1);
    }
    throw new Error(`No leader after ${ticksMax} ticks`);
  }

  /** Makes follower `id` campaign at once, skipping PreVote (as a leadership transfer does). */
  campaign(id: NodeId): void {
    const node = this.node(id);
    node.step(message("timeoutNow", id, id, node.state().term));
    this.observe(id);
    this.deliverAll();
  }

  /**
   * Steps one message straight into its target (no link rules), then
   * delivers what follows; returns why the target dropped it, or null.
   */
  inject(m: Message): string | null {
    const dropped = this.node(m.to).step(m);
    this.observe(m.to);
    this.deliverAll();
    return dropped;
  }

  /** Proposes a text payload on `id` and delivers. */
  propose(id: NodeId, text: string): ProposeResult {
    const result = this.node(id).propose(bytes(text));
    this.deliverAll();
    return result;
  }

  /**
   * Takes `ready()` from every running node until each is empty: persists,
   * applies, advances, and returns the messages to send (not yet delivered).
   */
  collect(): Message[] {
    const out: Message[] = [];
    for (const id of this.ids) {
      const node = this.nodes.get(id);
      if (node === undefined) continue;
      for (let i = 0; i < readyRoundsMax && node.hasReady(); i++) {
        const rd = node.ready();
        // The driver's plan, carried out at once: this disk syncs instantly.
        const plan = planReady(rd, this.lazyHardState.get(id) ?? null);
        if (plan.carry === null) this.lazyHardState.delete(id);
        else this.lazyHardState.set(id, { ...plan.carry });
        for (const step of plan.steps) this.carryOut(id, step, out);
        node.advance(rd);
        this.observe(id);
      }
    }
    if (this.recording) this.sent.push(...out);
    return out;
  }

  /** Delivers `msgs` in order, subject to the link rules; returns how many arrived. */
  deliver(msgs: Message[]): number {
    let arrived = 0;
    for (const m of msgs) {
      const node = this.nodes.get(m.to);
      if (node === undefined || this.dropped.has(`${m.from}>${m.to}`)) continue;
      if (this.chance(this.dropRate)) continue;
      if (this.chance(this.delayRate)) {
        this.held.push(m);
        continue;
      }
      const copies = this.chance(this.duplicateRate) ? 2 : 1;
      for (let c = 0; c < copies; c++) {
        // A copy, as a wire would deliver it: the receiver never shares objects with the sender.
        const wire = this.intercept === null
          ? structuredClone(m)
          : this.intercept(structuredClone(m));
        if (wire === null) continue;
        // A message a correct node sent is never dropped as invalid or impossible.
        const dropped = node.step(wire);
        if (dropped !== null) {
          if (!this.dropsExpected) {
            throw new Error(`"${m.to}" dropped a ${m.type} from "${m.from}": ${dropped}`);
          }
          this.drops.push(`${m.to}: ${dropped}`);
        }
        this.observe(m.to);
        arrived++;
      }
    }
    return arrived;
  }

  /** Collects and delivers until no node has anything to say; returns the rounds taken. */
  deliverAll(roundsMax = deliveryRoundsMax): number {
    for (let round = 0; round < roundsMax; round++) {
      const msgs = this.collect();
      if (msgs.length === 0 && !this.anyReady()) return round;
      this.deliver(msgs);
    }
    throw new Error(`Network did not settle after ${roundsMax} rounds`);
  }

  // ---- observation -------------------------------------------------------------

  /** The running leader of the highest term, if any. */
  leader(): NodeId | undefined {
    let best: NodeId | undefined;
    let bestTerm = -1;
    for (const [id, node] of this.nodes) {
      const s = node.state();
      if (s.role === "leader" && s.term > bestTerm) {
        best = id;
        bestTerm = s.term;
      }
    }
    return best;
  }

  /** Messages in `sent` matching `pred`. */
  count(pred: (m: Message) => boolean): number {
    return this.sent.filter(pred).length;
  }

  /**
   * Checks state machine safety (§3.6.3): no two nodes applied different
   * entries at one index. Throws naming the first disagreement.
   */
  checkApplied(): void {
    const byIndex = new Map<number, { id: NodeId; entry: AppliedEntry }>();
    for (const [id, machine] of this.machines) {
      for (const entry of machine.applied) {
        const seen = byIndex.get(entry.index);
        if (seen === undefined) byIndex.set(entry.index, { id, entry });
        else if (seen.entry.term !== entry.term || seen.entry.data !== entry.data) {
          throw new Error(
            `Nodes "${seen.id}" and "${id}" applied different entries at ${entry.index}`,
          );
        }
      }
    }
  }

  /** The highest commit index any running node knows: everything at or below it is committed. */
  commitFloor(): number {
    let floor = 0;
    for (const node of this.nodes.values()) floor = Math.max(floor, node.hardState().commit);
    return floor;
  }

  /**
   * Checks the leader lease (§6.4.1): a node that would serve a lease read is
   * a leader of the newest term any running leader has, and its read index
   * is at least `floor`. Throws naming the first offender.
   */
  checkLeases(floor: number): void {
    let newest = 0;
    for (const node of this.nodes.values()) {
      const s = node.state();
      if (s.role === "leader") newest = Math.max(newest, s.term);
    }
    for (const [id, node] of this.nodes) {
      const index = node.leaseRead();
      if (index < 0) continue;
      if (node.state().term !== newest) {
        throw new Error(
          `Node "${id}" serves a lease in term ${node.state().term}, a leader of ${newest} exists`,
        );
      }
      if (index < floor) {
        throw new Error(`Node "${id}" serves a lease read at ${index} below ${floor}`);
      }
    }
  }

  /** Takes a snapshot of everything `id` applied and compacts its log up to `compactIndex`. */
  takeSnapshot(id: NodeId, compactIndex?: number): SnapshotMeta {
    const node = this.node(id);
    const machine = this.machine(id);
    const index = machine.index;
    const meta: SnapshotMeta = {
      index,
      term: node.log.term(index),
      membership: structuredClone(node.membershipAt(index)) as Membership,
    };
    const disk = this.disk(id);
    const upTo = Math.min(compactIndex ?? index, index);
    disk.snapshot = { meta: structuredClone(meta), data: encodeState(machine.applied) };
    disk.entries = disk.entries.filter((e) => e.index > upTo);
    node.snapshotTaken(meta, compactIndex ?? index);
    return meta;
  }

  // ---- internals -----------------------------------------------------------------

  private machine(id: NodeId): StateMachine {
    const machine = this.machines.get(id);
    if (machine === undefined) throw new Error(`Node "${id}" has no state machine`);
    return machine;
  }

  private chance(rate: number): boolean {
    return rate > 0 && this.rng.int(1_000_000) < rate * 1_000_000;
  }

  /** Delivers the held-back messages in a shuffled order. */
  private releaseHeld(): void {
    const held = this.held;
    this.held = [];
    for (let i = held.length - 1; i > 0; i--) {
      const j = this.rng.int(i + 1);
      [held[i], held[j]] = [held[j]!, held[i]!];
    }
    this.deliver(held);
  }

  private anyReady(): boolean {
    for (const node of this.nodes.values()) if (node.hasReady()) return true;
    return false;
  }

  /** True when every running, reachable voter of the leader's membership follows it. */
  private settledOn(lead: NodeId): boolean {
    const leader = this.node(lead);
    const term = leader.state().term;
    for (const member of leader.currentMembership()) {
      const node = this.nodes.get(member.id);
      if (!member.voter || node === undefined || this.isolatedFrom(member.id, lead)) continue;
      const s = node.state();
      if (s.lead !== lead || s.term !== term) return false;
    }
    return true;
  }

  private isolatedFrom(a: NodeId, b: NodeId): boolean {
    return this.dropped.has(`${a}>${b}`) || this.dropped.has(`${b}>${a}`);
  }

  /** Attaches the snapshot's bytes to a `snap` message, as the driver does before sending. */
  private attachSnapshot(m: Message): void {
    if (m.type !== "snap" || m.snapshot === null) return;
    const snap = this.disk(m.from).snapshot;
    if (snap === null || snap.meta.index !== m.snapshot.meta.index) {
      throw new Error(`Node "${m.from}" sent a snapshot it did not persist`);
    }
    m.snapshot = { meta: m.snapshot.meta, data: snap.data };
  }

  /** After every step, tick and advance: the node's own invariants, and who leads which term. */
  private observe(id: NodeId): void {
    const node = this.nodes.get(id);
    if (node === undefined) return;
    node.checkInvariants();
    const s = node.state();
    if (s.role !== "leader") return;
    let leaders = this.leadersByTerm.get(s.term);
    if (leaders === undefined) {
      leaders = new Set();
      this.leadersByTerm.set(s.term, leaders);
    }
    leaders.add(id);
  }

  private carryOut(id: NodeId, step: PlanStep, out: Message[]): void {
    switch (step.kind) {
      case "send":
        for (const m of step.messages) this.attachSnapshot(m);
        out.push(...step.messages);
        break;
      case "installSnapshot":
        this.install(id, step.snapshot);
        break;
      case "apply":
        this.apply(id, step.entries);
        break;
      case "reads":
        this.reads.get(id)!.push(...step.readStates);
        break;
      case "save":
        this.save(id, step.batch.hardState, step.batch.entries);
        break;
    }
  }

  private install(id: NodeId, snapshot: Snapshot): void {
    // The core dropped its whole log for the snapshot (§5.1 when the log does not match it).
    const disk = this.disk(id);
    disk.snapshot = structuredClone(snapshot);
    disk.entries = [];
    const machine = this.machine(id);
    machine.applied = decodeState(snapshot.data);
    machine.index = snapshot.meta.index;
  }

  private save(id: NodeId, hardState: HardState | null, entries: Entry[]): void {
    const disk = this.disk(id);
    if (hardState !== null) disk.hardState = { ...hardState };
    const first = entries[0];
    if (first === undefined) return;
    const kept = disk.entries.filter((e) => e.index < first.index);
    const last = kept[kept.length - 1];
    if (last !== undefined && last.index + 1 !== first.index) {
      throw new Error(`Node "${id}" wrote entry ${first.index} after ${last.index}`);
    }
    disk.entries = [...kept, ...entries];
  }

  private apply(id: NodeId, entries: Entry[]): void {
    const machine = this.machine(id);
    for (const entry of entries) {
      if (entry.index !== machine.index + 1) {
        throw new Error(`Node "${id}" applied entry ${entry.index} after ${machine.index}`);
      }
      machine.applied.push(record(entry));
      machine.index = entry.index;
    }
  }
}

/** A message with neutral fields, for tests that step messages by hand. */
export function message(
  type: Message["type"],
  from: NodeId,
  to: NodeId,
  term: number,
  fields: Partial<Message> = {},
): Message {
  return { ...newMessage(type, from, to, term), ...fields };
}
