/**
 * The simulated network: messages wait in time buckets, and faults drop,
 * delay, duplicate and reorder them or cut links, all driven by one seed.
 *
 * @module
 */

import type { Message, NodeId } from "../../src/raft/types.ts";
import type { Rng } from "../../src/raft/rng.ts";
import { corrupt, type Corrupted } from "./corrupt.ts";

/** Probabilities and delays the fault schedule changes during a run. */
export interface NetworkConditions {
  /** Chance that a message is lost. */
  dropRate: number;
  /** Chance that a message is delivered twice. */
  duplicateRate: number;
  /** Chance that a message takes `slowDelayMax` instead of `delayMax`. */
  slowRate: number;
  /** Usual delivery delay bound, in time units. */
  delayMax: number;
  /** Delay bound of a slow message, in time units. */
  slowDelayMax: number;
  /** Chance that a corrupted copy of a message also goes to a random node. */
  corruptRate: number;
}

/** Calm conditions: every message arrives within a few units. */
export function calmConditions(): NetworkConditions {
  return {
    dropRate: 0,
    duplicateRate: 0,
    slowRate: 0,
    delayMax: 3,
    slowDelayMax: 3,
    corruptRate: 0,
  };
}

/** Counts of what the network did, for the run's report. */
export interface NetworkStats {
  sent: number;
  dropped: number;
  duplicated: number;
  delayed: number;
  cutDropped: number;
  corrupted: number;
}

/** An in-flight message and the incarnation of the node that sent it. */
export interface InFlight {
  message: Message;
  /** The sender's incarnation when it sent the message. */
  incarnation: number;
  /** The addressee's incarnation then (a later one did not ask for it). */
  toIncarnation: number;
  /** Where it goes: `message.to`, or a random node for a corrupted copy. */
  target: NodeId;
  /** Set on a corrupted copy: what changed and whether the target must drop it. */
  corruption: Corrupted | null;
}

/** Links, delays and faults between simulated nodes. */
export class SimNetwork {
  conditions: NetworkConditions = calmConditions();
  readonly stats: NetworkStats = {
    sent: 0,
    dropped: 0,
    duplicated: 0,
    delayed: 0,
    cutDropped: 0,
    corrupted: 0,
  };
  /** Every node a corrupted copy may be sent to. */
  nodeIds: NodeId[] = [];
  private readonly buckets = new Map<number, InFlight[]>();
  private readonly cuts = new Set<string>();
  private readonly rng: Rng;

  /** @param rng the run's generator */
  constructor(rng: Rng) {
    this.rng = rng;
  }

  /** Cuts the directed link `from → to`. */
  cut(from: NodeId, to: NodeId): void {
    this.cuts.add(`${from}>${to}`);
  }

  /** True when `from → to` is cut. */
  isCut(from: NodeId, to: NodeId): boolean {
    return this.cuts.has(`${from}>${to}`);
  }

  /** Restores every link. */
  heal(): void {
    this.cuts.clear();
  }

  /** Number of cut directed links. */
  cutCount(): number {
    return this.cuts.size;
  }

  /** Queues `message`, sent at `now` by incarnation `incarnation` of its sender. */
  send(message: Message, now: number, incarnations: { from: number; to: number }): void {
    const incarnation = incarnations.from;
    const toIncarnation = incarnations.to;
    this.stats.sent++;
    const c = this.conditions;
    if (this.rng.int(1_000_000) < c.dropRate * 1_000_000) {
      this.stats.dropped++;
      return;
    }
    const copies = this.rng.int(1_000_000) < c.duplicateRate * 1_000_000 ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    for (let i = 0; i < copies; i++) {
      this.schedule(
        { message, incarnation, toIncarnation, target: message.to, corruption: null },
        now,
      );
    }
    if (this.nodeIds.length > 0 && this.rng.int(1_000_000) < c.corruptRate * 1_000_000) {
      const corruption = corrupt(message, this.rng);
      if (corruption === null) return;
      this.stats.corrupted++;
      const target = this.nodeIds[this.rng.int(this.nodeIds.length)]!;
      this.schedule(
        { message: corruption.message, incarnation, toIncarnation, target, corruption },
        now,
      );
    }
  }

  private schedule(flight: InFlight, now: number): void {
    const c = this.conditions;
    const slow = this.rng.int(1_000_000) < c.slowRate * 1_000_000;
    if (slow) this.stats.delayed++;
    const at = now + 1 + this.rng.int(slow ? c.slowDelayMax : c.delayMax);
    let bucket = this.buckets.get(at);
    if (bucket === undefined) this.buckets.set(at, bucket = []);
    bucket.push(flight);
  }

  /** Takes the messages due at `now`, shuffled, without the ones on cut links. */
  due(now: number): InFlight[] {
    const bucket = this.buckets.get(now);
    if (bucket === undefined) return [];
    this.buckets.delete(now);
    for (let i = bucket.length - 1; i > 0; i--) {
      const j = this.rng.int(i + 1);
      const tmp = bucket[i]!;
      bucket[i] = bucket[j]!;
      bucket[j] = tmp;
    }
    return bucket.filter((f) => {
      const cut = this.isCut(f.message.from, f.target);
      if (cut) this.stats.cutDropped++;
      return !cut;
    });
  }

  /** Messages still in flight. */
  inFlight(): number {
    let n = 0;
    for (const bucket of this.buckets.values()) n += bucket.length;
    return n;
  }
}
