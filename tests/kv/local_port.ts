/**
 * A driver port without Raft, for tests: a proposal applies at once as the
 * next entry, the history and the lease deadlines are fed the way the
 * driver feeds them, and the clock is a number the test moves.
 *
 * @module
 */

import { NotLeaderError, type ReadLevel } from "../../src/api.ts";
import { LeaseDeadlines } from "../../src/kv/lease_deadlines.ts";
import type { ApplyResult } from "../../src/kv/results.ts";
import type { DriverPort } from "../../src/kv/service.ts";
import { KvStateMachine } from "../../src/kv/state_machine.ts";
import { type HistoryLimits, WatchHistory } from "../../src/kv/watch_history.ts";

/** A one-node driver that applies every proposal at once. */
export class LocalPort implements DriverPort {
  readonly state = new KvStateMachine();
  readonly watchHistory: WatchHistory;
  readonly leaseDeadlines = new LeaseDeadlines();
  clockMs = 0;
  commandVersion = 2;
  /** When not null, this node is a follower that knows this leader address. */
  leaderHttpAddr: string | null = null;
  /** Whether the leader lease holds (a leader that heard from a quorum lately). */
  leaseHolds = true;
  /** Levels of the read barriers passed, in order. */
  readonly barriers: ReadLevel[] = [];

  /** @param limits bounds of the watch history */
  constructor(limits: Partial<HistoryLimits> = {}) {
    this.watchHistory = new WatchHistory(0, limits);
    this.leaseDeadlines.becomeLeader([], 0);
  }

  propose(data: Uint8Array): Promise<ApplyResult> {
    try {
      this.requireLeader();
      const index = this.state.appliedIndex + 1;
      return Promise.resolve(
        this.applied(this.state.apply({ index, term: 1, type: "normal", data })),
      );
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** What the driver does with every applied result. */
  applied(result: ApplyResult): ApplyResult {
    this.watchHistory.record(result.index, result.changes ?? []);
    this.leaseDeadlines.observe(result, () => this.clockMs);
    return result;
  }

  readBarrier(level: ReadLevel): Promise<void> {
    this.barriers.push(level);
    if (level === "default" && this.leaderHttpAddr !== null) {
      return Promise.reject(new NotLeaderError(this.leaderHttpAddr));
    }
    return Promise.resolve();
  }

  requireLeader(): void {
    if (this.leaderHttpAddr !== null) throw new NotLeaderError(this.leaderHttpAddr);
  }

  leading(): boolean {
    return this.leaderHttpAddr === null;
  }

  leaseHeld(): boolean {
    return this.leaderHttpAddr === null && this.leaseHolds;
  }

  machine(): KvStateMachine {
    return this.state;
  }

  history(): WatchHistory {
    return this.watchHistory;
  }

  deadlines(): LeaseDeadlines {
    return this.leaseDeadlines;
  }

  nowMs(): number {
    return this.clockMs;
  }

  clusterCommandVersion(): number {
    return this.commandVersion;
  }
}
