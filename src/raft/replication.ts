/**
 * What a leader sends to bring followers' logs up to its own (§3.5, ch. 5):
 * AppendEntries batched by count and bytes and pipelined within each
 * follower's window, a snapshot when the entries are compacted away, and
 * TimeoutNow to the target of a leadership transfer (§3.10).
 *
 * @module
 */

import { assert } from "./assert.ts";
import type { Core } from "./core.ts";
import type { Progress } from "./progress.ts";
import type { NodeId } from "./types.ts";

const EMPTY = new Uint8Array(0);

/**
 * Sends what the follower lacks, as many messages as its window allows
 * (one while it is probed).
 *
 * @example
 * ```ts
 * import { fillPipeline } from "./replication.ts";
 * import { defaultConfig } from "./config.ts";
 * import { Core } from "./core.ts";
 * import { becomeLeader } from "./leader.ts";
 * import { encodeConfChange } from "./membership.ts";
 * import { createRng } from "./rng.ts";
 * const entries = ["n1", "n2", "n3"].map((id, i) => ({
 *   index: i + 1,
 *   term: 1,
 *   type: "conf" as const,
 *   data: encodeConfChange({ op: "addVoter", id, raftAddr: "", httpAddr: "" }),
 * }));
 * const hardState = { term: 1, vote: "", commit: 3 };
 * const options = { config: defaultConfig(), rng: createRng(1), hardState, snapshot: null };
 * const core = new Core({ ...options, id: "n1", entries });
 * core.becomeCandidate();
 * becomeLeader(core);
 * fillPipeline(core, "n2");
 * if (core.msgs.length !== 1 || core.msgs[0]?.to !== "n2") throw new Error("one probe");
 * ```
 */
export function fillPipeline(core: Core, to: NodeId): void {
  const windowMsgs = core.config.inflightMsgsMax;
  for (let i = 0; i < windowMsgs; i++) {
    if (!maybeSendAppend(core, to, false)) break;
  }
}

/**
 * Sends entries or the commit index to every follower that lacks them.
 *
 * @example
 * ```ts
 * import { broadcastAppends } from "./replication.ts";
 * import { defaultConfig } from "./config.ts";
 * import { Core } from "./core.ts";
 * import { becomeLeader } from "./leader.ts";
 * import { encodeConfChange } from "./membership.ts";
 * import { createRng } from "./rng.ts";
 * const entries = ["n1", "n2", "n3"].map((id, i) => ({
 *   index: i + 1,
 *   term: 1,
 *   type: "conf" as const,
 *   data: encodeConfChange({ op: "addVoter", id, raftAddr: "", httpAddr: "" }),
 * }));
 * const hardState = { term: 1, vote: "", commit: 3 };
 * const options = { config: defaultConfig(), rng: createRng(1), hardState, snapshot: null };
 * const core = new Core({ ...options, id: "n1", entries });
 * core.becomeCandidate();
 * becomeLeader(core);
 * broadcastAppends(core);
 * if (core.msgs.map((m) => m.to).join() !== "n2,n3") throw new Error();
 * ```
 */
export function broadcastAppends(core: Core): void {
  assert(core.role === "leader", "only a leader replicates");
  for (const id of core.tracker.progress.keys()) if (id !== core.id) fillPipeline(core, id);
}

/**
 * Sends one AppendEntries to `to` (or a snapshot when the entries are
 * compacted), empty when there is nothing new: a probe, or the commit
 * index. Returns false when its window or probe state holds it back.
 *
 * @example
 * ```ts
 * import { sendAppend } from "./replication.ts";
 * import { defaultConfig } from "./config.ts";
 * import { Core } from "./core.ts";
 * import { becomeLeader } from "./leader.ts";
 * import { encodeConfChange } from "./membership.ts";
 * import { createRng } from "./rng.ts";
 * const entries = ["n1", "n2", "n3"].map((id, i) => ({
 *   index: i + 1,
 *   term: 1,
 *   type: "conf" as const,
 *   data: encodeConfChange({ op: "addVoter", id, raftAddr: "", httpAddr: "" }),
 * }));
 * const hardState = { term: 1, vote: "", commit: 3 };
 * const options = { config: defaultConfig(), rng: createRng(1), hardState, snapshot: null };
 * const core = new Core({ ...options, id: "n1", entries });
 * core.becomeCandidate();
 * becomeLeader(core);
 * if (!sendAppend(core, "n2")) throw new Error();
 * const m = core.msgs[0];
 * if (m?.index !== 3 || m.logTerm !== 1 || m.entries[0]?.index !== 4) throw new Error();
 * ```
 */
export function sendAppend(core: Core, to: NodeId): boolean {
  return maybeSendAppend(core, to, true);
}

/** Sends one AppendEntries, or with `sendIfEmpty` false only when there are entries or a commit index to send. */
function maybeSendAppend(core: Core, to: NodeId, sendIfEmpty: boolean): boolean {
  const pr = core.tracker.progress.get(to);
  if (pr === undefined || to === core.id || pr.isPaused()) return false;
  const log = core.log;
  const prevIndex = pr.next - 1;
  const prevTerm = log.term(prevIndex);
  if (prevTerm < 0 || pr.next <= log.offset) return sendSnapshot(core, to, pr);
  const { entriesPerMsgMax, bytesPerMsgMax } = core.config;
  const entries = pr.next <= log.lastIndex()
    ? log.slice(pr.next, entriesPerMsgMax, bytesPerMsgMax)
    : [];
  if (entries.length === 0 && !sendIfEmpty && pr.sentCommit >= log.committed) return false;
  assert(entries.length === 0 || entries[0]?.index === pr.next, "entries start at next");
  const m = core.send("app", to);
  m.index = prevIndex;
  m.logTerm = prevTerm;
  m.entries = entries;
  m.commit = log.committed;
  pr.sentCommit = log.committed;
  const last = entries[entries.length - 1];
  pr.sent(last === undefined ? prevIndex : last.index, last !== undefined);
  return true;
}

function sendSnapshot(core: Core, to: NodeId, pr: Progress): boolean {
  const meta = core.snapshotMeta;
  assert(meta !== null, `a compacted log has a snapshot to send to "${to}"`);
  assert(meta.index >= core.log.offset, `the snapshot for "${to}" covers the compacted entries`);
  const m = core.send("snap", to);
  // The driver attaches the snapshot's bytes before sending.
  m.snapshot = { meta, data: EMPTY };
  pr.becomeSnapshot(meta.index, core.ticks);
  return true;
}

/**
 * Tells the transfer's target to campaign now (§3.10); the lease ends with it.
 *
 * @example
 * ```ts
 * import { sendTimeoutNow } from "./replication.ts";
 * import { defaultConfig } from "./config.ts";
 * import { Core } from "./core.ts";
 * import { becomeLeader } from "./leader.ts";
 * import { encodeConfChange } from "./membership.ts";
 * import { createRng } from "./rng.ts";
 * const entries = ["n1", "n2", "n3"].map((id, i) => ({
 *   index: i + 1,
 *   term: 1,
 *   type: "conf" as const,
 *   data: encodeConfChange({ op: "addVoter", id, raftAddr: "", httpAddr: "" }),
 * }));
 * const hardState = { term: 1, vote: "", commit: 3 };
 * const options = { config: defaultConfig(), rng: createRng(1), hardState, snapshot: null };
 * const core = new Core({ ...options, id: "n1", entries });
 * core.becomeCandidate();
 * becomeLeader(core);
 * core.leadTransferee = "n2";
 * sendTimeoutNow(core, "n2");
 * if (core.msgs[0]?.type !== "timeoutNow" || !core.transferAttempted) throw new Error();
 * ```
 */
export function sendTimeoutNow(core: Core, to: NodeId): void {
  assert(to === core.leadTransferee, `"${to}" is the transfer's target`);
  core.transferAttempted = true;
  core.send("timeoutNow", to);
}
