/**
 * Simulated watchers: each watches a key or a prefix on one node, takes
 * the events as they come, and now and then reads the stream's progress
 * index (what an SSE `progress` message carries). When its stream ends (a
 * snapshot reset it, it fell behind, the client reconnected) or its node
 * crashes, it resumes from the index after the last it saw, on the same
 * node if that is up, else on another, as a browser's `EventSource` does
 * with `Last-Event-ID`. Told that the history no longer holds that index,
 * it starts over without one. Every stream is recorded for `watch_check.ts`.
 *
 * @module
 */

import type { ReadLevel, WatchStream } from "../../src/api.ts";
import { CompactedError } from "../../src/api.ts";
import type { Rng } from "../../src/raft/rng.ts";
import type { NodeId } from "../../src/raft/types.ts";
import type { SimCalls } from "./dm_calls.ts";
import { DM_KEYS, DM_PREFIXES } from "./dm_ops.ts";
import type { SimCluster } from "./sim_cluster.ts";
import type { WatchRecord, WatchSegment, WatchTarget } from "./watch_check.ts";

/** Items a watcher takes per time unit at most. */
const TAKES_PER_UNIT_MAX = 16;
/** Chance in a thousand, per time unit, that a watcher reads its progress index. */
const PROGRESS_PER_MILLE = 300;
/** Chance in a thousand, per time unit, that a watcher drops its stream and reconnects. */
const RECONNECT_PER_MILLE = 5;

interface Watcher {
  record: WatchRecord;
  level: ReadLevel;
  /** The node it prefers: where it last watched. */
  node: NodeId;
  incarnation: number;
  stream: WatchStream | null;
  segment: WatchSegment | null;
  opening: boolean;
  /** The index through which it saw everything, or -1 to start afresh. */
  seen: number;
}

/**
 * The watchers of a run.
 *
 * @example
 * ```ts ignore
 * const watchers = new SimWatchers(rng, calls);
 * watchers.add(["n1", "n2"]);
 * watchers.pump(cluster, nowMs);
 * ```
 */
export class SimWatchers {
  readonly records: WatchRecord[] = [];
  readonly #rng: Rng;
  readonly #calls: SimCalls;
  readonly #watchers: Watcher[] = [];
  /** Events taken and resumes made, for the report. */
  readonly stats = { events: 0, resumes: 0, compacted: 0 };

  /** @param rng the run's generator @param calls where opening a watch is recorded */
  constructor(rng: Rng, calls: SimCalls) {
    this.#rng = rng;
    this.#calls = calls;
  }

  /** Adds a watcher on one of `nodes`, of a random key or prefix, from now or from index 1. */
  add(nodes: readonly NodeId[]): void {
    const rng = this.#rng;
    const targets: WatchTarget[] = [
      ...DM_KEYS.map((key) => ({ key })),
      ...DM_PREFIXES.map((prefix) => ({ prefix })),
      { prefix: "" },
    ];
    const target = targets[rng.int(targets.length)]!;
    const record = { name: `w${this.records.length}`, target, segments: [] };
    this.records.push(record);
    this.#watchers.push({
      record,
      level: rng.int(2) === 0 ? "stale" : "consistent",
      node: nodes[rng.int(nodes.length)]!,
      incarnation: 0,
      stream: null,
      segment: null,
      opening: false,
      seen: rng.int(2) === 0 ? 0 : -1,
    });
  }

  /** One time unit: every watcher takes what is ready, or reopens its stream. */
  pump(cluster: SimCluster, nowMs: number): void {
    for (const watcher of this.#watchers) {
      const machine = cluster.machines.get(watcher.node);
      const down = machine?.node == null || machine.incarnation !== watcher.incarnation;
      if (watcher.stream !== null && down) {
        this.#ended(watcher, "node crashed");
      }
      if (watcher.stream !== null) this.#take(watcher);
      else if (!watcher.opening) this.#open(watcher, cluster, nowMs);
    }
  }

  /** Takes every ready item; answers whether the stream is caught up (nothing left to take). */
  #take(watcher: Watcher): boolean {
    const stream = watcher.stream!;
    const segment = watcher.segment!;
    for (let i = 0; i < TAKES_PER_UNIT_MAX; i++) {
      const item = stream.take();
      if (item === null) {
        if (this.#rng.int(1000) < PROGRESS_PER_MILLE) this.#progress(watcher);
        if (this.#rng.int(1000) < RECONNECT_PER_MILLE) {
          stream.close();
          this.#ended(watcher, "reconnect");
        }
        return true;
      }
      if (item.type === "end") {
        this.#ended(watcher, `${item.reason}: ${item.message}`);
        return false;
      }
      this.stats.events++;
      segment.events.push({ index: item.index, changes: item.changes });
      watcher.seen = Math.max(watcher.seen, item.index);
    }
    return false;
  }

  #progress(watcher: Watcher): void {
    const progress = watcher.stream!.progressIndex;
    watcher.segment!.confirmed = Math.max(watcher.segment!.confirmed, progress);
    watcher.seen = Math.max(watcher.seen, progress);
  }

  #ended(watcher: Watcher, why: string): void {
    watcher.segment!.ended = why;
    watcher.stream = null;
    watcher.segment = null;
  }

  /** Opens a stream from the index after the last seen (or afresh), on its node if up. */
  #open(watcher: Watcher, cluster: SimCluster, nowMs: number): void {
    const alive = cluster.alive();
    const preferred = alive.find((m) => m.id === watcher.node);
    const machine = preferred !== undefined && this.#rng.int(10) < 8
      ? preferred
      : alive[this.#rng.int(Math.max(1, alive.length))];
    if (machine?.node == null) return;
    const fromIndex = watcher.seen >= 0 ? watcher.seen + 1 : undefined;
    const { key, prefix } = watcher.record.target as { key?: string; prefix?: string };
    const request = {
      ...(key === undefined ? { prefix: prefix! } : { key }),
      ...(fromIndex === undefined ? {} : { fromIndex }),
      level: watcher.level,
    };
    watcher.opening = true;
    watcher.node = machine.id;
    const incarnation = machine.incarnation;
    const node = machine.node;
    const opened = node.watch(request);
    opened.then((stream) => {
      watcher.opening = false;
      if (cluster.machines.get(machine.id)?.incarnation !== incarnation) return stream.close();
      this.#started(watcher, stream, incarnation, fromIndex);
    }, (error) => {
      watcher.opening = false;
      if (error instanceof CompactedError) {
        this.stats.compacted++;
        watcher.seen = -1;
      }
    });
    if (fromIndex === undefined) {
      // A watch without a start index starts where the node is: recorded as a read.
      this.#calls.send(
        watcher.record.name,
        { kind: "watchStart", level: watcher.level },
        { machine, nowMs },
        async () => ({ start: (await opened).progressIndex + 1 }),
      );
    }
  }

  #started(watcher: Watcher, stream: WatchStream, incarnation: number, fromIndex?: number): void {
    const from = fromIndex ?? stream.progressIndex + 1;
    if (fromIndex !== undefined) this.stats.resumes++;
    const segment = { node: watcher.node, from, events: [], confirmed: from - 1, ended: "" };
    watcher.record.segments.push(segment);
    watcher.stream = stream;
    watcher.segment = segment;
    watcher.incarnation = incarnation;
    watcher.seen = Math.max(watcher.seen, from - 1);
  }

  /**
   * After the run, with every node converged: each open stream takes what
   * is left and must report progress through its node's applied index.
   */
  caughtUp(cluster: SimCluster): string | null {
    for (const watcher of this.#watchers) {
      if (watcher.stream === null) continue;
      const applied = cluster.machines.get(watcher.node)?.node?.driver.machine.appliedIndex ?? -1;
      for (let i = 0; i < 1000 && watcher.stream !== null && !this.#take(watcher); i++);
      if (watcher.stream === null) continue;
      this.#progress(watcher);
      const progress = watcher.segment!.confirmed;
      // A stream asked to start past the node's applied index reports progress from there.
      if (progress < applied) {
        return `Watch: watcher ${watcher.record.name} on "${watcher.node}" took every event ` +
          `but reports progress through index ${progress}, while its node applied ${applied}`;
      }
    }
    return null;
  }
}
