/**
 * Message builders shared by the transport tests.
 *
 * @module
 */

import { newMessage } from "../../src/raft/message.ts";
import type { Entry, Message, MessageType } from "../../src/raft/types.ts";

/** A message of `type` from `from` to `to` with every field at its empty value, then `fields`. */
export function makeMessage(
  type: MessageType,
  from: string,
  to: string,
  fields: Partial<Message> = {},
): Message {
  return { ...newMessage(type, from, to, 0), ...fields };
}

/** `count` normal entries from `firstIndex`, each with `dataBytes` bytes derived from its index. */
export function makeEntries(firstIndex: number, count: number, dataBytes: number): Entry[] {
  const entries: Entry[] = [];
  for (let i = 0; i < count; i++) {
    const index = firstIndex + i;
    const data = new Uint8Array(dataBytes);
    for (let b = 0; b < dataBytes; b++) data[b] = (index * 31 + b) & 0xff;
    entries.push({ index, term: 2, type: "normal", data });
  }
  return entries;
}

/** A snapshot message carrying `dataBytes` bytes of patterned data. */
export function makeSnapMessage(from: string, to: string, dataBytes: number): Message {
  const data = new Uint8Array(dataBytes);
  for (let i = 0; i < dataBytes; i++) data[i] = (i * 7 + (i >>> 13)) & 0xff;
  const membership = [
    { id: "n1", voter: true, raftAddr: "127.0.0.1:7001", httpAddr: "127.0.0.1:8001" },
    { id: "n2", voter: false, raftAddr: "127.0.0.1:7002", httpAddr: "" },
  ];
  return makeMessage("snap", from, to, {
    term: 4,
    snapshot: { meta: { index: 1000, term: 3, membership }, data },
  });
}

/** A small deterministic generator (mulberry32) for garbage inputs. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
