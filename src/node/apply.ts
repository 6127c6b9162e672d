/**
 * Applying what committed: client commands to the state machine and
 * membership changes to the membership it keeps, in log order; a snapshot
 * from the leader replaces the whole state. Every applied entry settles the
 * write waiting for it and is reported to the listener.
 *
 * @module
 */

import type { SnapshotContent } from "../kv/snapshot.ts";
import type { ApplyResult, KvStateMachine } from "../kv/state_machine.ts";
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

/**
 * Applies entries and snapshots to one state machine.
 *
 * @example
 * ```ts
 * import { Applier } from "./apply.ts";
 * import { Requests } from "./requests.ts";
 * import { KvStateMachine } from "../kv/state_machine.ts";
 * import { encodePut } from "../kv/command.ts";
 * const machine = new KvStateMachine();
 * const requests = new Requests({ proposalsInflightMax: 8, requestTimeoutMs: 1000, nowMs: () => 0 });
 * new Applier(machine, requests, {}).apply([{ index: 1, term: 1, type: "normal", data: encodePut("k", "v") }]);
 * if (machine.get("k")?.value !== "v") throw new Error();
 * ```
 */
export class Applier {
  private readonly machine: KvStateMachine;
  private readonly requests: Requests;
  private readonly listener: ApplyListener;

  /**
   * @param machine the state machine entries apply to
   * @param requests whose waiting writes applied entries settle
   * @param listener told about every applied entry and membership change
   */
  constructor(machine: KvStateMachine, requests: Requests, listener: ApplyListener) {
    this.machine = machine;
    this.requests = requests;
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
  }

  private applyCommand(entry: Entry): void {
    const result = this.machine.apply(entry);
    this.requests.applied(entry.index, entry.term, () => result);
    this.listener.entryApplied?.(entry, result);
  }

  private applyConf(entry: Entry): void {
    const change = decodeConfChange(entry.data);
    const next = applyConfChange(this.machine.membership, change);
    this.machine.setMembership(next, entry.index);
    const voter = findMember(next, change.id)?.voter === true;
    this.requests.applied(entry.index, entry.term, () => ({ kind: "noop", index: entry.index }));
    this.listener.entryApplied?.(entry, null);
    this.listener.memberChanged?.(change, entry.index, voter);
  }
}
