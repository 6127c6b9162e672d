/**
 * Applying what committed: client commands to the state machine and
 * membership changes to the membership it keeps, in log order; a snapshot
 * from the leader replaces the whole state. Every applied entry settles the
 * write waiting for it, is recorded in the watch history (with the changes
 * it made), moves the leader's lease deadlines, and is reported to the
 * listener.
 *
 * @module
 */

import type { LeaseDeadlines } from "../kv/lease_deadlines.ts";
import type { SnapshotContent } from "../kv/snapshot.ts";
import type { ApplyResult, KvStateMachine } from "../kv/state_machine.ts";
import type { WatchHistory } from "../kv/watch_history.ts";
import { applyConfChange, decodeConfChange, findMember } from "../raft/membership.ts";
import type { ConfChange, Entry, Snapshot } from "../raft/types.ts";
import type { Requests } from "./requests.ts";

/** What applying reports. */
export interface ApplyListener {
  /** An entry applied; `result` is null for a membership change. */
  entryApplied?(entry: Entry, result: ApplyResult | null): void;
  /** A membership change applied at `index`. */
  memberChanged?(change: ConfChange, index: number, voter: boolean): void;
}

/** What applying writes to besides the state machine. */
export interface ApplyTargets {
  requests: Requests;
  history: WatchHistory;
  deadlines: LeaseDeadlines;
  /** Milliseconds on the node's clock (lease deadlines start from it). */
  nowMs(): number;
}

/**
 * Applies entries and snapshots to one state machine.
 *
 * @example
 * ```ts
 * import { Applier } from "./apply.ts";
 * import { Requests } from "./requests.ts";
 * import { KvStateMachine } from "../kv/state_machine.ts";
 * import { LeaseDeadlines } from "../kv/lease_deadlines.ts";
 * import { WatchHistory } from "../kv/watch_history.ts";
 * import { encodePut } from "../kv/command.ts";
 * const machine = new KvStateMachine();
 * const requests = new Requests({ proposalsInflightMax: 8, requestTimeoutMs: 1000, nowMs: () => 0 });
 * const history = new WatchHistory(0);
 * const targets = { requests, history, deadlines: new LeaseDeadlines(), nowMs: () => 0 };
 * new Applier(machine, targets, {}).apply([{ index: 1, term: 1, type: "normal", data: encodePut("k", "v") }]);
 * if (machine.get("k")?.value !== "v" || history.lastIndex !== 1) throw new Error();
 * ```
 */
export class Applier {
  private readonly machine: KvStateMachine;
  private readonly targets: ApplyTargets;
  private readonly listener: ApplyListener;

  /**
   * @param machine the state machine entries apply to
   * @param targets the waiting writes, the watch history and the lease deadlines
   * @param listener told about every applied entry and membership change
   */
  constructor(machine: KvStateMachine, targets: ApplyTargets, listener: ApplyListener) {
    this.machine = machine;
    this.targets = targets;
    this.listener = listener;
  }

  /** Applies committed entries in order. */
  apply(entries: Entry[]): void {
    for (const entry of entries) {
      if (entry.type === "conf") this.applyConf(entry);
      else this.applyCommand(entry);
    }
  }

  /**
   * Replaces the state with a snapshot's; `decoded` is its content when the
   * node already decoded (and so checked) it on arrival.
   */
  restore(snapshot: Snapshot, decoded: SnapshotContent | undefined): void {
    if (decoded !== undefined) this.machine.restoreContent(decoded);
    else this.machine.restore(snapshot.data);
    this.targets.history.reset(snapshot.meta.index);
    if (this.targets.deadlines.leading) {
      this.targets.deadlines.becomeLeader(this.machine.leases(), this.targets.nowMs());
    }
  }

  private applyCommand(entry: Entry): void {
    const result = this.machine.apply(entry);
    const { requests, history, deadlines } = this.targets;
    history.record(entry.index, result.changes ?? []);
    if (deadlines.leading) deadlines.observe(result, this.targets.nowMs);
    requests.applied(entry.index, entry.term, result);
    this.listener.entryApplied?.(entry, result);
  }

  private applyConf(entry: Entry): void {
    const change = decodeConfChange(entry.data);
    const next = applyConfChange(this.machine.membership, change);
    this.machine.setMembership(next, entry.index);
    const voter = findMember(next, change.id)?.voter === true;
    this.targets.history.record(entry.index, []);
    this.targets.requests.applied(entry.index, entry.term, { kind: "noop", index: entry.index });
    this.listener.entryApplied?.(entry, null);
    this.listener.memberChanged?.(change, entry.index, voter);
  }
}
