/**
 * Building messages with every field present, so they all share one shape.
 *
 * @module
 */

import type { Message, MessageType, NodeId } from "./types.ts";

/**
 * A message of `type` with neutral values in every field the type does not use.
 *
 * @example
 * ```ts
 * import { newMessage } from "./message.ts";
 * const m = newMessage("hb", "n1", "n2", 3);
 * if (m.entries.length !== 0 || m.snapshot !== null) throw new Error();
 * ```
 */
export function newMessage(type: MessageType, from: NodeId, to: NodeId, term: number): Message {
  return {
    type,
    from,
    to,
    term,
    index: 0,
    logTerm: 0,
    entries: [],
    commit: 0,
    reject: false,
    hint: 0,
    seq: 0,
    ctx: 0,
    snapshot: null,
  };
}
