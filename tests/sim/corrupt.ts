/**
 * Corrupted copies of real messages, for the simulator's fault and the
 * core's hardening tests. Each mutation changes one field within its type;
 * it either makes the message one no correct peer sends (the receiver must
 * drop it) or leaves it one the protocol already tolerates (an old term, a
 * sender outside the configuration). Mutations that would turn a message
 * into a plausible lie from a member (a commit index raised, an
 * acknowledgement moved within the log) are not here: Raft tolerates crashes,
 * not liars, and only the cluster secret keeps liars out.
 *
 * @module
 */

import { INDEX_MAX, TERM_MAX } from "../../src/raft/limits.ts";
import type { Entry, Message, MessageType } from "../../src/raft/types.ts";
import type { Rng } from "../../src/raft/rng.ts";

/** A corrupted copy and whether the receiver must drop it. */
export interface Corrupted {
  message: Message;
  /** True when no correct peer sends it: `step` must return a reason. */
  mustDrop: boolean;
  /** What was changed, for traces. */
  change: string;
}

type Mutation = (m: Message, rng: Rng) => string | null;

const ABSURD_NUMBERS = [-1, 0.5, Number.NaN, TERM_MAX, 2 ** 53 - 1, Number.POSITIVE_INFINITY];

function absurd(rng: Rng): number {
  return ABSURD_NUMBERS[rng.int(ABSURD_NUMBERS.length)]!;
}

/** Mutations that must be dropped; each returns what it changed, or null if it does not apply. */
const INVALID: Mutation[] = [
  (m, rng) => {
    m.term = absurd(rng);
    return `term ${m.term}`;
  },
  (m, rng) => {
    const field = (["index", "commit", "hint"] as const)[rng.int(3)]!;
    m[field] = rng.int(2) === 0 ? absurd(rng) : INDEX_MAX;
    return `${field} ${m[field]}`;
  },
  (m) => {
    if (m.term >= TERM_MAX - 1) return null;
    m.logTerm = m.term + 1;
    return `logTerm ${m.logTerm} above term`;
  },
  (m, rng) => {
    m.seq = rng.int(2) === 0 ? -1 : 0.25;
    return `seq ${m.seq}`;
  },
  (m) => {
    m.to = `${m.to}-elsewhere`;
    return `to ${m.to}`;
  },
  (m) => {
    m.type = "bogus" as MessageType;
    return "unknown type";
  },
  (m) => {
    if (m.type !== "vote" && m.type !== "preVote") return null;
    m.ctx = 2;
    return "vote ctx 2";
  },
  (m) => {
    if (m.type === "app" || m.type === "snap") return null;
    m.entries = [{ index: m.index + 1, term: m.term, type: "normal", data: new Uint8Array(1) }];
    return `entries on ${m.type}`;
  },
  (m) => {
    if (m.type === "snap") return null;
    m.snapshot = { meta: { index: 1, term: 1, membership: [] }, data: new Uint8Array() };
    return `snapshot on ${m.type}`;
  },
  (m) => {
    if (m.type !== "snap" || m.snapshot === null) return null;
    m.snapshot = { ...m.snapshot, meta: { ...m.snapshot.meta, term: m.term + 1 } };
    return "snapshot term above the message's";
  },
  (m, rng) => mutateEntries(m, rng),
];

function mutateEntries(m: Message, rng: Rng): string | null {
  if (m.type !== "app" || m.entries.length === 0) return null;
  const i = rng.int(m.entries.length);
  const entry: Entry = { ...m.entries[i]! };
  const kind = rng.int(3);
  if (kind === 0) entry.index += 1 + rng.int(3);
  else if (kind === 1) entry.term = m.term + 1 + rng.int(5);
  else {
    entry.type = "conf";
    entry.data = new TextEncoder().encode(`{"op":"promote","id":${rng.int(9)}}`);
  }
  m.entries = m.entries.map((e, j) => (j === i ? entry : e));
  return `entry ${i}: ${["index", "term", "conf data"][kind]}`;
}

/** Mutations the protocol tolerates: the receiver may act on them, safely. */
const TOLERATED: Mutation[] = [
  (m, rng) => {
    if (m.term <= 1) return null;
    m.term = 1 + rng.int(m.term - 1);
    m.logTerm = Math.min(m.logTerm, m.term);
    m.entries = m.entries.filter((e) => e.term <= m.term);
    if (m.snapshot !== null && m.snapshot.meta.term > m.term) return null;
    return `older term ${m.term}`;
  },
  (m) => {
    if (m.term <= 1) return null;
    m.from = "stranger";
    m.term = m.term - 1;
    m.logTerm = Math.min(m.logTerm, m.term);
    m.entries = m.entries.filter((e) => e.term <= m.term);
    if (m.snapshot !== null && m.snapshot.meta.term > m.term) return null;
    return "a stranger at an older term";
  },
];

/**
 * A corrupted copy of `m`, or null when the mutation drawn does not apply
 * to this message.
 *
 * @example
 * ```ts
 * import { corrupt } from "./corrupt.ts";
 * import { createRng } from "../../src/raft/rng.ts";
 * import { newMessage } from "../../src/raft/message.ts";
 * const out = corrupt(newMessage("hb", "n1", "n2", 3), createRng(1));
 * if (out !== null && out.message === null) throw new Error();
 * ```
 */
export function corrupt(m: Message, rng: Rng): Corrupted | null {
  const copy: Message = { ...m, entries: [...m.entries] };
  const invalid = rng.int(4) !== 0;
  const list = invalid ? INVALID : TOLERATED;
  const change = list[rng.int(list.length)]!(copy, rng);
  if (change === null) return null;
  return { message: copy, mustDrop: invalid, change };
}
