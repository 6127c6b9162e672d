/**
 * Checking a message from the network before the core acts on it: every
 * number in range, every field the type needs present and consistent, the
 * entries of an append consecutive and no newer than its term. A message
 * that fails is dropped whole; the core never asserts on network input.
 *
 * @module
 */

import { COUNTER_MAX, INDEX_MAX, inRange, MEMBERS_MAX, TERM_MAX } from "./limits.ts";
import { checkMember, decodeConfChange } from "./membership.ts";
import {
  type Entry,
  type Message,
  MESSAGE_TYPES,
  type MessageType,
  type Snapshot,
} from "./types.ts";

const KNOWN_TYPES: ReadonlySet<MessageType> = new Set(MESSAGE_TYPES);

/** `ctx` values a vote request may carry: 0, or 1 when a leadership transfer forced it. */
const VOTE_CTX_MAX = 1;

/**
 * Why `m` cannot be a message a correct peer sends, or null when it can.
 *
 * @example
 * ```ts
 * import { checkMessage } from "./message_check.ts";
 * import { newMessage } from "./message.ts";
 * import { TERM_MAX } from "./limits.ts";
 * if (checkMessage(newMessage("hb", "n1", "n2", 3)) !== null) throw new Error();
 * if (checkMessage(newMessage("hb", "n1", "n2", TERM_MAX)) === null) throw new Error();
 * ```
 */
export function checkMessage(m: Message): string | null {
  if (!KNOWN_TYPES.has(m.type)) return `unknown type "${m.type}"`;
  if (typeof m.from !== "string" || m.from === "") return "no sender";
  if (typeof m.to !== "string" || m.to === "") return "no recipient";
  return checkNumbers(m) ?? checkShape(m);
}

function checkNumbers(m: Message): string | null {
  if (!inRange(m.term, TERM_MAX)) return `term "${m.term}" is outside 0..2^48`;
  for (const field of ["index", "logTerm", "commit", "hint"] as const) {
    const max = field === "logTerm" ? TERM_MAX : INDEX_MAX;
    if (!inRange(m[field], max)) return `${field} "${m[field]}" is out of range`;
  }
  if (m.logTerm > m.term) {
    return `logTerm "${m.logTerm}" is above the message's term "${m.term}"`;
  }
  if (!inRange(m.seq, COUNTER_MAX)) return `seq "${m.seq}" is out of range`;
  if (!inRange(m.ctx, COUNTER_MAX)) return `ctx "${m.ctx}" is out of range`;
  const vote = m.type === "vote" || m.type === "preVote";
  if (vote && m.ctx > VOTE_CTX_MAX) return `vote ctx "${m.ctx}" is neither 0 nor 1`;
  if (typeof m.reject !== "boolean") return "reject is not a boolean";
  return null;
}

function checkShape(m: Message): string | null {
  if (!Array.isArray(m.entries)) return "entries is not a list";
  if (m.entries.length > 0 && m.type !== "app") return `a "${m.type}" message carries entries`;
  if ((m.snapshot !== null) !== (m.type === "snap")) {
    return `a "${m.type}" message ${m.snapshot === null ? "lacks" : "carries"} a snapshot`;
  }
  if (m.type === "app") return checkEntries(m);
  if (m.snapshot !== null) return checkSnapshot(m.snapshot, m.term);
  return null;
}

/** An append's entries continue its previous index one by one, with terms that never fall. */
function checkEntries(m: Message): string | null {
  let term = m.logTerm;
  for (let i = 0; i < m.entries.length; i++) {
    const entry: Entry | undefined = m.entries[i];
    if (entry === undefined) return `entry ${i} is missing`;
    if (entry.index !== m.index + 1 + i) {
      return `entry ${i} has index "${entry.index}", not ${m.index + 1 + i}`;
    }
    if (!inRange(entry.index, INDEX_MAX)) return `entry index "${entry.index}" is out of range`;
    if (!inRange(entry.term, TERM_MAX) || entry.term < term || entry.term > m.term) {
      return `entry ${entry.index} has term "${entry.term}" outside ${term}..${m.term}`;
    }
    term = entry.term;
    if (!(entry.data instanceof Uint8Array)) return `entry ${entry.index} has no data`;
    if (entry.type === "conf") {
      const invalid = checkConfData(entry);
      if (invalid !== null) return invalid;
    } else if (entry.type !== "normal") {
      return `entry ${entry.index} has unknown type "${entry.type}"`;
    }
  }
  return null;
}

function checkConfData(entry: Entry): string | null {
  try {
    decodeConfChange(entry.data);
    return null;
  } catch (error) {
    return `entry ${entry.index} is not a membership change: ${(error as Error).message}`;
  }
}

function checkSnapshot(snapshot: Snapshot, term: number): string | null {
  const meta = snapshot.meta;
  if (!inRange(meta.index, INDEX_MAX) || meta.index < 1) {
    return `snapshot index "${meta.index}" is out of range`;
  }
  if (!inRange(meta.term, TERM_MAX) || meta.term < 1 || meta.term > term) {
    return `snapshot term "${meta.term}" is outside 1..${term}`;
  }
  if (!Array.isArray(meta.membership) || meta.membership.length > MEMBERS_MAX) {
    return `snapshot membership is not a list of at most ${MEMBERS_MAX} members`;
  }
  for (const member of meta.membership) {
    const invalid = checkMember(member);
    if (invalid !== null) return `snapshot membership: ${invalid}`;
  }
  if (!(snapshot.data instanceof Uint8Array)) return "snapshot has no data";
  return null;
}
