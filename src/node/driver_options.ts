/**
 * What a driver is built from and what it reports: its settings, its
 * listener, the deliberate bugs the simulator's tests switch on.
 *
 * @module
 */

import type { SnapshotContent } from "../kv/snapshot.ts";
import type { HistoryLimits } from "../kv/watch_history.ts";
import type { KvStateMachine } from "../kv/state_machine.ts";
import type { RaftConfig } from "../raft/config.ts";
import type { CoreBreaks } from "../raft/raft.ts";
import type { Entry, Message, NodeId, Role, Snapshot, SnapshotMeta } from "../raft/types.ts";
import type { RecoveredState } from "../storage/types.ts";
import type { ApplyListener } from "./apply.ts";
import type { Clock, NodeStorage, PeerTransport } from "./ports.ts";
import type { PlanBreaks } from "./ready_plan.ts";

/** Role, term and leader as the core believes them. */
export interface CoreState {
  role: Role;
  term: number;
  lead: NodeId;
}

/** What the driver reports. Every hook is optional. */
export interface DriverListener extends ApplyListener {
  /** Role, term or leader changed. */
  stateChanged?(now: CoreState, before: CoreState): void;
  /** Entries were written and synced. */
  entriesSaved?(entries: Entry[]): void;
  /** A snapshot of this node's state began (frozen now, encoded and written in the background). */
  snapshotStarted?(meta: SnapshotMeta): void;
  /** A snapshot of this node's state was written (its log is compacted in the next turn). */
  snapshotSaved?(meta: SnapshotMeta, bytes: number, seconds: number): void;
  /** A snapshot from the leader replaced the state. */
  snapshotInstalled?(meta: SnapshotMeta, bytes: number): void;
  /** Once per turn that fed ticks, after expiring waiters. */
  ticked?(): void;
  /** The turn ended; the membership may have changed. */
  turnEnded?(): void;
  /** The core stepped a peer message; `dropped` says why it refused it (null: accepted). */
  messageStepped?(m: Message, dropped: string | null): void;
  /** A peer message never reached the core: its sender cannot be placed, or it is corrupt. */
  messageRefused?(m: Message, reason: string): void;
  /** A proposal failed: refused, timed out, or lost to a change of leader (it may still apply). */
  proposalFailed?(): void;
  /** A snapshot goes to a follower (`error` set when it could not be read). */
  snapshotSent?(to: NodeId, index: number, bytes: number, error?: string): void;
}

/** The settings a driver needs, in ticks, milliseconds and counts. */
export interface DriverSettings {
  raft: RaftConfig;
  heartbeatMs: number;
  requestTimeoutMs: number;
  proposalsInflightMax: number;
  snapshotEntries: number;
  /** Entries kept in the log behind a snapshot, for slow followers. */
  snapshotCatchUpEntries: number;
  /** Bounds of the watch history (the defaults where absent). */
  historyLimits?: Partial<HistoryLimits>;
}

/** Deliberate bugs for the simulator's tests that show it catches them. Never set elsewhere. */
export interface DriverBreaks {
  plan?: PlanBreaks;
  /** Protocol bugs in the core. */
  core?: CoreBreaks;
  /** Label snapshots one entry past the state they hold. */
  snapshotLabelAhead?: boolean;
  /** Serve `consistent` reads from local state, skipping ReadIndex. */
  localConsistentReads?: boolean;
  /** Decide a put's or delete's `prevIndex` by a read before proposing, not when it applies. */
  casBeforePropose?: boolean;
  /** Start a watch asked for changes from an index one index later. */
  watchSkipsIndex?: boolean;
  /** A new leader finds every lease expired at once instead of giving each its full TTL. */
  leasesExpireOnElection?: boolean;
}

/** Everything a driver is built from. */
export interface DriverOptions {
  id: NodeId;
  settings: DriverSettings;
  /** What storage recovered. */
  state: RecoveredState;
  /** The state machine, already restored from `state.snapshot`. */
  machine: KvStateMachine;
  /** Seeds the core's election timeouts and sets this start's read ids apart; one per start. */
  seed: number;
  storage: NodeStorage;
  transport: Pick<PeerTransport, "send" | "sendSnapshot">;
  clock: Clock;
  listener: DriverListener;
  /** A snapshot from the network, already decoded on arrival, if it was. */
  decoded(snapshot: Snapshot): SnapshotContent | undefined;
  /** Storage failed: the node must stop. */
  onFatal(error: Error): void;
  breaks?: DriverBreaks;
}
