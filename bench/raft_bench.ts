/**
 * The core on the replication hot path, with no I/O around it: a leader of
 * three voters proposing, handing out `ready()`, and stepping both followers'
 * acknowledgements until the entries commit; and a follower stepping the
 * leader's appends and answering them. Run with `deno task bench:raft`.
 *
 * @module
 */

import {
  createRng,
  defaultConfig,
  encodeConfChange,
  type Entry,
  type Message,
  newMessage,
  type NodeId,
  RaftNode,
} from "../src/raft/mod.ts";

const VOTER_IDS: NodeId[] = ["n1", "n2", "n3"];
const ENTRY_BYTES = 100;
/** Proposals per round before the leader hands out one `ready()`. */
const PROPOSALS_PER_ROUND = 8;
/** Applied entries kept in the log before the bench compacts, so memory stays flat. */
const COMPACT_EVERY_ENTRIES = 4096;
const RNG_SEED = 7;

const payload = new Uint8Array(ENTRY_BYTES).fill(0x61);

function membershipEntries(): Entry[] {
  return VOTER_IDS.map((id, i) => ({
    index: i + 1,
    term: 1,
    type: "conf" as const,
    data: encodeConfChange({ op: "addVoter", id, raftAddr: `127.0.0.1:${7001 + i}`, httpAddr: "" }),
  }));
}

function coreOf(id: NodeId): RaftNode {
  const entries = membershipEntries();
  return new RaftNode({
    id,
    config: defaultConfig(),
    rng: createRng(RNG_SEED),
    hardState: { term: 1, vote: "", commit: entries.length },
    snapshot: null,
    entries,
  });
}

/** Persists, "applies" and acknowledges everything the core hands out; returns its messages. */
function drain(node: RaftNode): Message[] {
  const out: Message[] = [];
  while (node.hasReady()) {
    const rd = node.ready();
    out.push(...rd.messages, ...rd.messagesAfterSync);
    node.advance(rd);
  }
  return out;
}

/** A leader elected by both followers' votes, with its no-op committed. */
function electedLeader(): RaftNode {
  const leader = coreOf("n1");
  stepOrThrow(leader, newMessage("timeoutNow", "n1", "n1", 1));
  drain(leader);
  const term = leader.state().term;
  for (const from of ["n2", "n3"]) stepOrThrow(leader, newMessage("voteResp", from, "n1", term));
  acknowledge(leader, drain(leader));
  drain(leader);
  if (!leader.hasCommittedInTerm()) throw new Error("The bench leader did not commit its no-op");
  return leader;
}

/** Every follower acknowledges every append the leader sent, as far as it reached. */
function acknowledge(leader: RaftNode, sent: Message[]): void {
  const term = leader.state().term;
  for (const m of sent) {
    if (m.type !== "app") continue;
    const last = m.entries[m.entries.length - 1];
    const ack = newMessage("appResp", m.to, m.from, term);
    ack.index = last === undefined ? m.index : last.index;
    stepOrThrow(leader, ack);
  }
}

/** Steps `m`; a message the bench built must never be dropped. */
function stepOrThrow(node: RaftNode, m: Message): void {
  const dropped = node.step(m);
  if (dropped !== null) throw new Error(`The bench's ${m.type} was dropped: ${dropped}`);
}

function compactIfLong(node: RaftNode): void {
  const applied = node.log.applied;
  if (applied - node.log.offset < COMPACT_EVERY_ENTRIES) return;
  const meta = {
    index: applied,
    term: node.log.term(applied),
    membership: node.membershipAt(applied),
  };
  node.snapshotTaken(meta, applied);
}

const leader = electedLeader();

Deno.bench("leader: 8 proposals, ready, 2 acks, commit", { group: "raft" }, () => {
  for (let i = 0; i < PROPOSALS_PER_ROUND; i++) leader.propose(payload);
  acknowledge(leader, drain(leader));
  drain(leader);
  if (leader.log.applied !== leader.log.lastIndex()) throw new Error("The leader did not commit");
  compactIfLong(leader);
});

const follower = coreOf("n2");
const followerTerm = 2;
let followerLast = follower.log.lastIndex();
stepOrThrow(follower, newMessage("hb", "n1", "n2", followerTerm));
drain(follower);

Deno.bench("follower: append of 8 entries, ready, reply", { group: "raft" }, () => {
  const m = newMessage("app", "n1", "n2", followerTerm);
  m.index = followerLast;
  m.logTerm = follower.log.term(followerLast);
  for (let i = 1; i <= PROPOSALS_PER_ROUND; i++) {
    m.entries.push({ index: followerLast + i, term: followerTerm, type: "normal", data: payload });
  }
  followerLast += PROPOSALS_PER_ROUND;
  m.commit = followerLast;
  stepOrThrow(follower, m);
  drain(follower);
  if (follower.log.applied !== followerLast) throw new Error("The follower did not commit");
  compactIfLong(follower);
});
