/**
 * The values that flow in and out of the Raft core: log entries, hard state,
 * membership, snapshots, messages and the `Ready` batch. Every other layer
 * (storage, transport, driver, simulator) speaks in these types.
 *
 * @module
 */

/** A node's identity, chosen by the operator (`"n1"`). Never empty. */
export type NodeId = string;

/** The empty node id: "no vote" or "no leader". */
export const NO_NODE: NodeId = "";

/** What a log entry carries. */
export type EntryType =
  /** A client command (opaque bytes); empty data is the leader's no-op. */
  | "normal"
  /** A membership change: `data` is an encoded {@link ConfChange}. */
  | "conf";

/** One log entry. `index` starts at 1; `term` is the leader's term when it was appended. */
export interface Entry {
  index: number;
  term: number;
  type: EntryType;
  data: Uint8Array;
}

/** What must survive a crash besides the log (§3.8): current term, vote, commit index. */
export interface HardState {
  term: number;
  /** The node voted for in `term`, or {@link NO_NODE}. */
  vote: NodeId;
  commit: number;
}

/** One member of the cluster, with the addresses other layers need to reach it. */
export interface Member {
  id: NodeId;
  /** Voters elect and count for commitment; learners only receive the log (§4.2.1). */
  voter: boolean;
  /** `host:port` of the member's Raft listener. */
  raftAddr: string;
  /** `host:port` of the member's HTTP API, or `""` when unknown. */
  httpAddr: string;
}

/** A cluster configuration: members sorted by id. */
export type Membership = Member[];

/** A single-server membership change (§4.1). */
export interface ConfChange {
  /**
   * `addLearner` adds a non-voting member, `promote` makes a learner a voter,
   * `remove` takes a member out, `addVoter` adds a voter directly (used to
   * bootstrap the first member).
   */
  op: "addLearner" | "promote" | "remove" | "addVoter";
  id: NodeId;
  raftAddr: string;
  httpAddr: string;
}

/** What a snapshot covers: the last included index and term and the membership at that index. */
export interface SnapshotMeta {
  index: number;
  term: number;
  membership: Membership;
}

/** A snapshot: its metadata plus the state machine's serialized bytes. */
export interface Snapshot {
  meta: SnapshotMeta;
  data: Uint8Array;
}

/** Kinds of messages between Raft peers. Messages are one-way; a reply is another message. */
export type MessageType =
  /** AppendEntries (§3.5): `index`/`logTerm` name the entry before `entries`. */
  | "app"
  /** Reply to `app` or `snap`: `index` is the new match index, or on `reject` the rejected index. */
  | "appResp"
  /** Heartbeat carrying `commit` and the heartbeat round `seq` (ReadIndex and lease). */
  | "hb"
  /** Reply to `hb`, echoing `seq`. */
  | "hbResp"
  /** RequestVote (§3.4): `index`/`logTerm` describe the candidate's last entry. */
  | "vote"
  | "voteResp"
  /** PreVote (§9.6): a vote request for `term` that does not raise anyone's term. */
  | "preVote"
  | "preVoteResp"
  /** InstallSnapshot (ch. 5): `snapshot` carries metadata and data. */
  | "snap"
  /** Leadership transfer (§3.10): start an election at once. */
  | "timeoutNow"
  /** A follower asks the leader for a read index (§6.4), identified by `ctx`. */
  | "readIndex"
  /** The leader's answer: `index` is the read index for `ctx`. */
  | "readIndexResp";

/** Every message type, in wire-tag order: a type's position is its tag. Append only. */
export const MESSAGE_TYPES: readonly MessageType[] = [
  "app",
  "appResp",
  "hb",
  "hbResp",
  "vote",
  "voteResp",
  "preVote",
  "preVoteResp",
  "snap",
  "timeoutNow",
  "readIndex",
  "readIndexResp",
];

/**
 * A message between peers. Every field is always present (one object shape
 * for the hot path); fields a type does not use hold 0, `false`, `[]` or `null`.
 */
export interface Message {
  type: MessageType;
  from: NodeId;
  to: NodeId;
  term: number;
  /** app: previous index; appResp: match or rejected index; vote/preVote: last log index; readIndexResp: read index. */
  index: number;
  /** app: previous term; vote/preVote: last log term; appResp reject: conflicting term hint (0: none). */
  logTerm: number;
  entries: Entry[];
  commit: number;
  reject: boolean;
  /** appResp reject: first index the leader should try next (fast backtracking). */
  hint: number;
  /** hb/hbResp: the heartbeat round number. */
  seq: number;
  /** readIndex/readIndexResp: the requester's read id; vote/preVote: 1 when forced by a transfer. */
  ctx: number;
  snapshot: Snapshot | null;
}

/** A read that became safe: once the state machine has applied `index`, answer read `ctx`. */
export interface ReadState {
  ctx: number;
  index: number;
}

/** The role a node plays in its current term. */
export type Role = "follower" | "preCandidate" | "candidate" | "leader";

/**
 * One batch of work for the driver (see `RaftNode.ready`). Handle it in
 * this order: send `messages`; persist `snapshot`, `hardState` and
 * `entries` with one sync; send `messagesAfterSync`; apply the snapshot and
 * `committed`; answer `readStates`; call `advance(ready)`.
 */
export interface Ready {
  /** Messages safe to send before persisting (the leader's appends, §10.2.1). */
  messages: Message[];
  /** Changed hard state to persist, or null. */
  hardState: HardState | null;
  /** Entries to append; the first may overwrite (truncate) earlier unsynced or conflicting ones. */
  entries: Entry[];
  /** A snapshot received from the leader, to persist and restore, or null. */
  snapshot: Snapshot | null;
  /** Messages that promise durable state (votes, append replies): send after the sync. */
  messagesAfterSync: Message[];
  /** Committed entries to apply, in order. */
  committed: Entry[];
  /** Reads that are now safe once their index is applied. */
  readStates: ReadState[];
  /**
   * False when only the commit index changed: it may be written lazily
   * (with the next sync), since a node that forgets it relearns it from the
   * leader and re-applies from its snapshot.
   */
  mustSync: boolean;
}
