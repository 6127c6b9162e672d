/**
 * The follower's role: the receiving side of AppendEntries (§3.5),
 * heartbeats and InstallSnapshot (ch. 5), TimeoutNow from its leader
 * (§3.10), and the leader's answers to forwarded reads (§6.4).
 *
 * @module
 */

import { assert } from "./assert.ts";
import type { Core } from "./core.ts";
import { campaign } from "./election.ts";
import { type Message, NO_NODE, type NodeId } from "./types.ts";

/**
 * A follower steps a message of its term; returns why it was dropped, or null.
 *
 * @example
 * ```ts
 * import { defaultConfig } from "./config.ts";
 * import { Core } from "./core.ts";
 * import { stepFollower } from "./follower.ts";
 * import { newMessage } from "./message.ts";
 * import { createRng } from "./rng.ts";
 * const hardState = { term: 2, vote: "", commit: 0 };
 * const options = { config: defaultConfig(), rng: createRng(1), hardState, snapshot: null };
 * const core = new Core({ ...options, id: "n2", entries: [] });
 * const append = newMessage("app", "n1", "n2", 2);
 * append.entries = [{ index: 1, term: 2, type: "normal", data: new Uint8Array(0) }];
 * stepFollower(core, append);
 * const reply = core.msgsAfterSync[0];
 * if (core.lead !== "n1" || reply?.type !== "appResp" || reply.index !== 1) throw new Error();
 * ```
 */
export function stepFollower(core: Core, m: Message): string | null {
  assert(core.role === "follower", "a follower steps");
  switch (m.type) {
    case "app":
      heardFromLeader(core, m.from);
      handleAppend(core, m);
      break;
    case "hb":
      heardFromLeader(core, m.from);
      core.log.commitTo(Math.min(m.commit, core.log.lastIndex()));
      core.send("hbResp", m.from).seq = m.seq;
      break;
    case "snap":
      heardFromLeader(core, m.from);
      handleSnapshot(core, m);
      break;
    case "timeoutNow":
      // Only the leader hands its leadership over (a node may also ask itself, as tests do).
      // A node that knows no leader yet (it just restarted) takes the sender for this
      // term's leader: no one else sends timeoutNow in it.
      if (m.from !== core.lead && m.from !== core.id && core.lead !== NO_NODE) {
        return `timeoutNow from "${m.from}", who is not the leader`;
      }
      // §3.10: the leader asks us to campaign now, skipping PreVote.
      campaign(core, "transfer");
      break;
    case "readIndexResp":
      core.readStates.push({ ctx: m.ctx, index: m.index });
      break;
    default:
      break;
  }
  return null;
}

function heardFromLeader(core: Core, from: NodeId): void {
  core.electionElapsed = 0;
  core.lead = from;
}

/** AppendEntries receiver (§3.5). The reply promises durability, so it follows the sync. */
function handleAppend(core: Core, m: Message): void {
  const log = core.log;
  if (m.index < log.committed) {
    core.sendAfterSync("appResp", m.from).index = log.committed;
    return;
  }
  assert(m.index >= log.offset, "an index at or above the commit is not compacted");
  const lastNew = log.maybeAppend(m.index, m.logTerm, m.entries);
  if (lastNew < 0) {
    const hint = log.conflictHint(m.index);
    const r = core.sendAfterSync("appResp", m.from);
    r.reject = true;
    r.index = m.index;
    r.logTerm = hint.term;
    r.hint = hint.index;
    return;
  }
  if (log.truncatedFrom > 0) {
    core.rollBackConf(log.truncatedFrom);
    withdrawAcks(core, log.truncatedFrom);
  }
  if (log.appendedFrom > 0) {
    core.noteConfEntries(log.entries.slice(log.appendedFrom - log.offset - 1));
  }
  assert(log.lastIndex() >= lastNew, "the log holds every entry the append vouches for");
  log.commitTo(Math.min(m.commit, lastNew));
  core.sendAfterSync("appResp", m.from).index = lastNew;
}

/**
 * Entries from `from` on were replaced before being written: an
 * acknowledgement queued for them earlier in this batch (to the leader of an
 * older term) would promise what the disk will never hold (§10.2.1), and
 * that leader could count it toward a commit.
 */
function withdrawAcks(core: Core, from: number): void {
  core.msgsAfterSync = core.msgsAfterSync.filter((m) =>
    m.type !== "appResp" || m.reject || m.index < from
  );
}

/** InstallSnapshot receiver (ch. 5). */
function handleSnapshot(core: Core, m: Message): void {
  const snap = m.snapshot;
  assert(snap !== null, "a snap message carries a snapshot");
  const meta = snap.meta;
  const log = core.log;
  if (meta.index <= log.committed) {
    core.sendAfterSync("appResp", m.from).index = log.committed;
    return;
  }
  if (log.matchTerm(meta.index, meta.term)) {
    // We already hold the snapshot's entries: only the commit moves.
    log.commitTo(meta.index);
    core.sendAfterSync("appResp", m.from).index = meta.index;
    return;
  }
  log.restore(meta.index, meta.term);
  withdrawAcks(core, meta.index + 1);
  assert(log.lastIndex() === meta.index, "the log restarts at the snapshot");
  core.conf.restore(meta.membership);
  core.pendingSnapshot = snap;
  core.sendAfterSync("appResp", m.from).index = meta.index;
}
