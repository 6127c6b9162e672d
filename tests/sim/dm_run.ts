/**
 * The data-model half of a simulation run: clients running CAS, scans,
 * transactions and leases, keepers sending keep-alives, watchers, and what
 * the checker needs from the nodes: every entry as applied (with the
 * outcome the node reported) and when each entry first appeared in a log. The simulation calls in at each tick, each time unit, each
 * crash and at the end; `check` then judges the whole run.
 *
 * @module
 */

import type { ApplyResult } from "../../src/kv/results.ts";
import type { Rng } from "../../src/raft/rng.ts";
import type { Entry, NodeId } from "../../src/raft/types.ts";
import { SimCalls } from "./dm_calls.ts";
import { checkDataModel } from "./dm_check.ts";
import { DataModelClients } from "./dm_clients.ts";
import { AppliedLog, DmHistory } from "./dm_history.ts";
import { LeaseKeepers } from "./lease_keepers.ts";
import type { Machine, SimCluster } from "./sim_cluster.ts";
import { SimWatchers } from "./watchers.ts";

/** How a run's data-model half is set up. */
export interface DmRunOptions {
  rng: Rng;
  trace: boolean;
  /** The shortest lease TTL the nodes accept. */
  ttlMsMin: number;
  /** How soon a keep-alive that found no leader is tried again (a tick). */
  retryMs: number;
  /** A value never written before, for `key`. */
  newValue(key: string): string;
  nodes: readonly NodeId[];
}

/**
 * When each entry, by "index:term", was first in any node's log: its
 * leader appends it during the time unit it is proposed in, so this is the
 * time of the proposal, or soon after when that leader stepped down in the
 * same unit (never before it, so checks against it stay sound).
 */
class ProposalTimes {
  readonly #seen = new Map<string, number>();
  /** Per node: the incarnation, and the last index looked at with its term. */
  readonly #scanned = new Map<NodeId, { incarnation: number; index: number; term: number }>();

  scan(alive: Machine[], nowMs: number): void {
    for (const m of alive) {
      const log = m.node!.driver.core.log;
      const known = this.#scanned.get(m.id);
      // A log truncated or rewritten past the last look is looked at again from its start.
      const valid = known !== undefined && known.incarnation === m.incarnation &&
        known.index <= log.lastIndex() && known.index > log.offset &&
        log.term(known.index) === known.term;
      let index = valid ? known.index : log.offset;
      for (index++; index <= log.lastIndex(); index++) {
        const key = `${index}:${log.term(index)}`;
        if (!this.#seen.has(key)) this.#seen.set(key, nowMs);
      }
      const last = log.lastIndex();
      const term = last > log.offset ? log.term(last) : 0;
      this.#scanned.set(m.id, { incarnation: m.incarnation, index: last, term });
    }
  }

  at(index: number, term: number): number | undefined {
    return this.#seen.get(`${index}:${term}`);
  }
}

/**
 * The data-model workload and its checks for one run.
 *
 * @example
 * ```ts ignore
 * const dm = new DataModelRun({ rng, trace: false, ttlMsMin: 300, retryMs: 10, newValue, nodes });
 * dm.tick(cluster.alive(), nowMs);
 * const verdict = dm.check(cluster);
 * ```
 */
export class DataModelRun {
  readonly history = new DmHistory();
  readonly log = new AppliedLog();
  readonly calls: SimCalls;
  readonly keepers: LeaseKeepers;
  readonly watchers: SimWatchers;
  readonly #clients: DataModelClients;
  readonly #proposals = new ProposalTimes();
  /** A violation seen as it happened (nodes disagreeing on an entry's outcome). */
  failure: string | null = null;
  #nowMs = 0;

  /** @param options generator, settings and hooks */
  constructor(options: DmRunOptions) {
    const { rng } = options;
    this.calls = new SimCalls(this.history, () => this.log.maxApplied, options.trace);
    this.keepers = new LeaseKeepers(rng, this.calls, options.retryMs);
    this.watchers = new SimWatchers(rng, this.calls);
    this.#clients = new DataModelClients({
      rng,
      calls: this.calls,
      ttlMsMin: options.ttlMsMin,
      newValue: options.newValue,
      granted: (id, ttlMs) => this.keepers.start(id, ttlMs, this.#nowMs),
    }, 2 + rng.int(3));
    const watchers = 1 + rng.int(3);
    for (let i = 0; i < watchers; i++) this.watchers.add(options.nodes);
  }

  /** A node applied `entry` (`result` null for a membership change). */
  applied(node: NodeId, entry: Entry, result: ApplyResult | null): void {
    const broken = this.log.note(node, entry, result);
    if (broken !== null) this.failure ??= broken;
  }

  /** A node installed a snapshot at `index`. */
  installed(index: number): void {
    this.log.installed(index);
  }

  /** Once per tick of faulty operation: clients and keepers send. */
  tick(alive: Machine[], nowMs: number): void {
    this.#nowMs = nowMs;
    this.#clients.issue(alive, nowMs);
    this.keepers.tick(alive, nowMs);
  }

  /** Once per time unit, after every node ran: watchers take events; new log entries are noted. */
  unit(cluster: SimCluster, nowMs: number): void {
    this.#nowMs = nowMs;
    this.watchers.pump(cluster, nowMs);
    this.#proposals.scan(cluster.alive(), nowMs);
  }

  /** The faults healed: keepers stop, so every lease must expire. */
  healed(): void {
    this.keepers.stopAll();
  }

  /** The run's verdict once every node converged: watchers caught up, then the whole history. */
  check(cluster: SimCluster): string | null {
    if (this.failure !== null) return this.failure;
    const stuck = this.watchers.caughtUp(cluster);
    if (stuck !== null) return stuck;
    this.calls.abandonAll();
    return checkDataModel({
      log: this.log,
      ops: this.history.ops,
      watches: this.watchers.records,
      proposedAtMs: (index, term) => this.#proposals.at(index, term),
    });
  }

  /** Counts for the report: operations by kind and outcome, leases revoked and expired, watches. */
  stats(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const op of this.history.ops) {
      const key = `${op.input.kind}.${op.output?.status ?? "pending"}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    const revokedByClients = new Set(
      this.history.ops.flatMap((op) => op.input.kind === "leaseRevoke" ? [op.input.id] : []),
    );
    for (const { result } of this.log.entries.values()) {
      if (result?.kind !== "leaseRevoke") continue;
      const key = revokedByClients.has(result.id) ? "lease.revoked" : "lease.expired";
      counts[key] = (counts[key] ?? 0) + 1;
    }
    counts["watch.events"] = this.watchers.stats.events;
    counts["watch.resumes"] = this.watchers.stats.resumes;
    counts["watch.compacted"] = this.watchers.stats.compacted;
    return counts;
  }
}
