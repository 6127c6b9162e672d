/**
 * One simulated node: the pure core, the in-memory storage twin and the
 * key-value state machine, driven the way `src/node.ts` drives a real node
 * (send, persist, send after sync, apply, advance).
 *
 * @module
 */

import { KvStateMachine } from "../../src/kv/state_machine.ts";
import type { ApplyResult } from "../../src/kv/state_machine.ts";
import { applyConfChange, decodeConfChange } from "../../src/raft/membership.ts";
import { RaftNode } from "../../src/raft/raft.ts";
import type { RaftConfig } from "../../src/raft/config.ts";
import { createRng } from "../../src/raft/rng.ts";
import type {
  Entry,
  HardState,
  Message,
  NodeId,
  ReadState,
  Snapshot,
} from "../../src/raft/types.ts";
import { MemoryStorage } from "../../src/storage/memory_storage.ts";
import { InvariantError, type SafetyChecker } from "./invariants.ts";

/** What the node hands back to the simulation from one ready cycle. */
export interface CycleOutput {
  sent: Message[];
  applied: { entry: Entry; result: ApplyResult | null }[];
  readStates: ReadState[];
  /** A snapshot was installed: waiters below its index can no longer learn their fate. */
  installed: boolean;
  /** The node crashed before its sync; what it applied was answered, its later messages lost. */
  crashed: boolean;
}

/** Debug switch for tracing a replayed seed. */
export const SIM_DEBUG = { on: false };

/** How the next ready cycle should fail, to model a crash mid-write. */
export type CrashPoint = "none" | "beforeSync" | "tornSync";

/** A simulated node and its durable state. */
export class SimNode {
  readonly id: NodeId;
  readonly disk: MemoryStorage;
  raft: RaftNode;
  machine: KvStateMachine;
  alive = true;
  incarnation = 0;
  /** Commit index already checked by the safety checker. */
  commitChecked = 0;
  /** A commit-only hard state the driver has not written yet. */
  private unsavedHardState: HardState | null = null;
  /** Crash during the next ready cycle. */
  crashPoint: CrashPoint = "none";
  private readonly config: RaftConfig;
  private readonly seed: number;

  /** Creates a node whose disk holds `disk`'s state. */
  constructor(id: NodeId, disk: MemoryStorage, config: RaftConfig, seed: number) {
    this.id = id;
    this.disk = disk;
    this.config = config;
    this.seed = seed;
    this.raft = this.boot();
    this.machine = this.restoreMachine();
  }

  private boot(): RaftNode {
    const state = this.disk.recovered();
    return new RaftNode({
      id: this.id,
      config: this.config,
      rng: createRng((this.seed * 31 + this.incarnation * 7919 + hash(this.id)) >>> 0),
      hardState: state.hardState,
      snapshot: state.snapshot?.meta ?? null,
      entries: state.entries,
    });
  }

  private restoreMachine(): KvStateMachine {
    const machine = new KvStateMachine();
    const snap = this.disk.recovered().snapshot;
    if (snap !== null) machine.restore(snap.data);
    return machine;
  }

  /** Loses everything not synced; the node stays down until `restart`. */
  crash(): void {
    this.disk.crash();
    this.unsavedHardState = null;
    this.alive = false;
    this.crashPoint = "none";
  }

  /** Rebuilds the node from its disk. */
  restart(): void {
    this.incarnation++;
    if (SIM_DEBUG.on) {
      const r = this.disk.recovered();
      console.log(
        `  ${this.id} restarts: snapshot ${r.snapshot?.meta.index} machine ${
          r.snapshot === null ? "-" : "data"
        } entries ${r.entries[0]?.index}..${r.entries.at(-1)?.index} commit ${r.hardState.commit}`,
      );
    }
    this.raft = this.boot();
    this.machine = this.restoreMachine();
    this.commitChecked = 0;
    this.alive = true;
  }

  /**
   * Runs one ready cycle. With a crash point set, the node crashes after
   * sending the leader's messages and applying, before its sync.
   */
  cycle(checker: SafetyChecker): CycleOutput {
    const rd = this.raft.ready();
    const sent: Message[] = rd.messages.map((m) => this.withSnapshotData(m));
    checker.noteEntries(this.id, rd.entries);
    if (rd.snapshot !== null) {
      this.disk.saveSnapshotSync(rd.snapshot);
      this.machine.restore(rd.snapshot.data);
      if (SIM_DEBUG.on) console.log(`  ${this.id} installs snapshot ${rd.snapshot.meta.index}`);
    }
    if (SIM_DEBUG.on && rd.committed.length > 0) {
      console.log(
        `  ${this.id} applies ${rd.committed.map((e) => `${e.index}@${e.term}`).join(",")}`,
      );
    }
    // As the driver does: apply (and answer) before this batch's sync.
    const applied = rd.committed.map((entry) => ({ entry, result: this.apply(entry, checker) }));
    const out = { sent, applied, readStates: rd.readStates, installed: rd.snapshot !== null };
    if (this.crashPoint !== "none") {
      if (this.crashPoint === "tornSync" && rd.entries.length > 1) {
        this.disk.tornSave(
          { hardState: rd.hardState, entries: rd.entries },
          rd.entries.length >> 1,
        );
      }
      this.crash();
      return { ...out, crashed: true };
    }
    // A commit-only change waits for the next sync.
    if (rd.hardState !== null) this.unsavedHardState = rd.hardState;
    if (rd.mustSync) {
      this.disk.saveSync({ hardState: this.unsavedHardState, entries: rd.entries });
      this.unsavedHardState = null;
    }
    for (const m of rd.messagesAfterSync) sent.push(this.withSnapshotData(m));
    this.raft.advance(rd);
    return { ...out, crashed: false };
  }

  private apply(entry: Entry, checker: SafetyChecker): ApplyResult | null {
    checker.noteApplied(this.id, entry);
    if (entry.type === "conf") {
      const next = applyConfChange(this.machine.membership, decodeConfChange(entry.data));
      this.machine.setMembership(next, entry.index);
      return null;
    }
    return this.machine.apply(entry);
  }

  /** The driver attaches the snapshot's bytes to a `snap` message, as `src/node.ts` does. */
  private withSnapshotData(m: Message): Message {
    if (m.type !== "snap") return m;
    const snap = this.disk.recovered().snapshot;
    if (snap === null || snap.meta.index !== m.snapshot?.meta.index) {
      throw new InvariantError(`"${this.id}" sends a snapshot its disk does not hold`);
    }
    return { ...m, snapshot: snap };
  }

  /** Takes a snapshot of the state machine and compacts, keeping `keepEntries` behind it. */
  takeSnapshot(keepEntries: number): boolean {
    const index = this.machine.appliedIndex;
    const current = this.raft.snapshot()?.index ?? 0;
    if (index <= current || index !== this.raft.log.applied) return false;
    const membership = this.machine.membership;
    const expected = JSON.stringify(this.raft.membershipAt(index));
    if (JSON.stringify(membership) !== expected) {
      throw new InvariantError(`"${this.id}" state machine membership differs from the log's`);
    }
    const snapshot: Snapshot = {
      meta: { index, term: this.raft.log.term(index), membership },
      data: this.machine.snapshot(),
    };
    this.disk.saveSnapshotSync(snapshot);
    const compactTo = Math.max(0, index - keepEntries);
    this.raft.snapshotTaken(snapshot.meta, compactTo);
    this.disk.compactSync(compactTo);
    return true;
  }
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}
