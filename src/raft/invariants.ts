/**
 * Everything one node can check about itself between steps: its log, its
 * configuration history against that log, term and role against each
 * other, and a leader's progress, commit and reads. Simulations call it
 * after every step; a failure is a bug in the core, never bad input.
 *
 * @module
 */

import { assert, invariantBroken } from "./assert.ts";
import type { Core } from "./core.ts";
import { TERM_MAX } from "./limits.ts";
import { NO_NODE } from "./types.ts";

/**
 * Checks every invariant of `core`; throws an `AssertionError` naming the
 * first that does not hold.
 *
 * @example
 * ```ts
 * import { AssertionError } from "./assert.ts";
 * import { checkCoreInvariants } from "./invariants.ts";
 * import { defaultConfig } from "./config.ts";
 * import { Core } from "./core.ts";
 * import { campaign } from "./election.ts";
 * import { bootstrapState } from "./raft.ts";
 * import { createRng } from "./rng.ts";
 * const { hardState, entries } = bootstrapState({ id: "n1", raftAddr: "a:1", httpAddr: "" });
 * const options = { config: defaultConfig(), rng: createRng(1), hardState, snapshot: null };
 * const core = new Core({ ...options, id: "n1", entries });
 * campaign(core, "vote");
 * checkCoreInvariants(core);
 * core.vote = "n2";
 * let broken = false;
 * try {
 *   checkCoreInvariants(core);
 * } catch (error) {
 *   broken = error instanceof AssertionError;
 * }
 * if (!broken) throw new Error("a leader that voted for another is caught");
 * ```
 */
export function checkCoreInvariants(core: Core): void {
  const changes = core.log.checkInvariants();
  checkConf(core, changes);
  checkTerm(core);
  checkTimers(core);
  checkSnapshot(core);
  if (core.role === "leader") checkLeader(core);
  else checkNotLeader(core);
}

/** The history records exactly the log's `changes` membership changes, where the log has them. */
function checkConf(core: Core, changes: number): void {
  core.conf.checkInvariants(core.log);
  const recorded = core.conf.size();
  if (recorded !== changes) invariantBroken(`the history holds ${recorded} of ${changes} changes`);
}

function checkTerm(core: Core): void {
  const { role, lead, vote, id, term } = core;
  if (!Number.isSafeInteger(term) || term >= TERM_MAX) invariantBroken(`term ${term} is in range`);
  const lastTerm = core.log.lastTerm();
  if (term < lastTerm) invariantBroken(`term ${term} is at least every entry's (${lastTerm})`);
  if (role === "leader") {
    if (lead !== id) invariantBroken(`a leader leads itself, not "${lead}"`);
    if (vote !== id) invariantBroken(`a leader voted for itself, not "${vote}"`);
  } else if (role === "candidate") {
    if (lead !== NO_NODE) invariantBroken(`a candidate knows no leader, not "${lead}"`);
    if (vote !== id) invariantBroken(`a candidate voted for itself, not "${vote}"`);
  } else if (role === "preCandidate") {
    if (lead !== NO_NODE) invariantBroken(`a pre-candidate knows no leader, not "${lead}"`);
  } else {
    assert(lead !== id, "a follower does not follow itself");
  }
}

function checkTimers(core: Core): void {
  const electionTicks = core.config.electionTicks;
  const timeout = core.randomizedElectionTimeout;
  if (timeout < electionTicks || timeout >= 2 * electionTicks) {
    invariantBroken(
      `election timeout ${timeout} is within [${electionTicks}, ${2 * electionTicks})`,
    );
  }
  assert(core.electionElapsed >= 0, "elapsed election ticks are not negative");
  assert(core.heartbeatElapsed >= 0, "elapsed heartbeat ticks are not negative");
}

/** A compacted log has a snapshot covering what it dropped; a pending one is where the log starts. */
function checkSnapshot(core: Core): void {
  const offset = core.log.offset;
  const pending = core.pendingSnapshot?.meta.index;
  if (pending !== undefined) {
    if (pending > offset) invariantBroken(`the received snapshot ${pending} is in the log`);
    return;
  }
  const saved = core.snapshotMeta?.index ?? 0;
  if (offset > saved) {
    invariantBroken(`snapshot ${saved} covers the entries compacted to ${offset}`);
  }
}

function checkLeader(core: Core): void {
  const log = core.log;
  const tracker = core.tracker;
  const membership = core.membership();
  const { match } = tracker.progressOf(core.id);
  if (match !== log.stableIndex) invariantBroken(`own match ${match} is stable ${log.stableIndex}`);
  for (const member of membership) tracker.progressOf(member.id);
  for (const [id, pr] of tracker.progress) {
    const known = id === core.id || membership.some((m) => m.id === id);
    if (!known) invariantBroken(`progress of "${id}" belongs to a member`);
    pr.checkInvariants(log.lastIndex());
  }
  const ownTerm = log.term(log.committed) === core.term;
  assert(core.committedInTerm === ownTerm, "committed in term when the commit is of the term");
  assert(core.pendingConfIndex <= log.lastIndex(), "the pending change is in the log");
  assert(core.pendingSnapshot === null, "a leader receives no snapshot");
  core.reads.checkInvariants(log.committed, core.ticks);
}

function checkNotLeader(core: Core): void {
  assert(core.leadTransferee === NO_NODE, "only a leader transfers leadership");
  assert(!core.committedInTerm, "only a leader has committed in its own term");
  assert(!core.needBroadcast, "only a leader has appends to broadcast");
  assert(core.reads.pendingCount() === 0, "only a leader holds reads");
}
