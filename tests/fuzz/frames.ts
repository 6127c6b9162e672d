/**
 * Seeded generation of hostile Raft-port input: hellos from strangers and
 * from nodes claiming a member's id, garbage bytes, bad lengths, frames of
 * unknown kinds, broken snapshot transfers, and messages that no correct
 * peer sends (numbers out of range, entries that do not follow, fields of
 * the wrong type). A connection that claims a member's id only ever carries
 * frames the node must refuse: a well-formed lie from a member is what the
 * cluster secret keeps out, not what this fuzzer tests.
 *
 * @module
 */

import { newMessage } from "../../src/raft/message.ts";
import { createRng, type Rng } from "../../src/raft/rng.ts";
import { type Message, MESSAGE_TYPES } from "../../src/raft/types.ts";
import { ByteWriter } from "../../src/bytes/writer.ts";
import { encodeMessage } from "../../src/transport/codec.ts";
import { beginFrame, endFrame, FrameKind } from "../../src/transport/frame.ts";
import { encodeHandshake, PROTOCOL_VERSION } from "../../src/transport/handshake.ts";
import type { PeerInfo } from "../../src/transport/types.ts";
import { corrupt } from "../sim/corrupt.ts";

/** What the fuzzer knows of the cluster it attacks (what `GET /status` shows anyone). */
export interface Target {
  /** The node attacked. */
  id: string;
  clusterId: string;
  /** Every member's id. */
  members: string[];
  /** The cluster's term when the run started. */
  term: number;
}

/** One connection's worth of input: the bytes of its hello and of each frame after it. */
export interface FuzzCase {
  hello: Uint8Array;
  frames: Uint8Array[];
  /** A short description for failure reports. */
  label: string;
}

const FRAME_BYTES_LIMIT = 16 * 1024 * 1024;
const NUMBER_FIELDS = ["term", "index", "logTerm", "commit", "hint", "seq", "ctx"] as const;

/** A generator for case `index` of the run seeded `seed`: any case replays alone. */
export function caseRng(seed: number, index: number): Rng {
  return createRng(Math.imul(seed, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b));
}

/** `count` random bytes. */
export function bytes(rng: Rng, count: number): Uint8Array {
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) out[i] = rng.int(256);
  return out;
}

/** One of `items`, at random. */
export function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(items.length)]!;
}

/** A frame of `kind` around `body`, with an honest length prefix. */
export function frame(kind: number, body: Uint8Array): Uint8Array {
  const w = new ByteWriter(body.length + 8);
  const start = beginFrame(w, kind);
  w.raw(body);
  endFrame(w, start, FRAME_BYTES_LIMIT);
  return w.written().slice();
}

/**
 * The wire form of `m` even when its numbers are out of range or its type
 * unknown: encoded with neutral values, then patched byte by byte.
 */
export function rawMessage(m: Message): Uint8Array {
  const tag = (MESSAGE_TYPES as readonly string[]).indexOf(m.type);
  // Encode with the type that matches the snapshot field, then put the real tag back.
  const safe: Message = { ...m, type: m.snapshot !== null ? "snap" : "hb" };
  for (const field of NUMBER_FIELDS) safe[field] = 0;
  safe.entries = safe.entries.map((e) => ({ ...e, index: 1, term: 1 }));
  const out = encodeMessage(safe).slice();
  const view = new DataView(out.buffer);
  out[0] = tag < 0 ? 200 : tag;
  const ids = new TextEncoder();
  let at = 2 + 2 + ids.encode(m.from).length + 2 + ids.encode(m.to).length;
  for (const field of NUMBER_FIELDS) {
    view.setFloat64(at, m[field], true);
    at += 8;
  }
  at += 4;
  for (const entry of m.entries) {
    view.setFloat64(at, entry.index, true);
    view.setFloat64(at + 8, entry.term, true);
    at += 8 + 8 + 1 + 4 + entry.data.length;
  }
  return out;
}

/** A message a member could send, before it is corrupted. */
export function plausible(rng: Rng, from: string, to: string, term: number): Message {
  const m = newMessage(pick(rng, MESSAGE_TYPES), from, to, term);
  m.index = rng.int(50);
  m.logTerm = Math.min(term, rng.int(term + 1));
  m.commit = rng.int(50);
  if (m.type === "app") {
    m.entries = Array.from({ length: rng.int(4) }, (_, i) => ({
      index: m.index + 1 + i,
      term: m.logTerm,
      type: "normal" as const,
      data: bytes(rng, rng.int(20)),
    }));
  }
  if (m.type === "snap") {
    m.snapshot = {
      meta: { index: 1 + rng.int(50), term: 1, membership: [] },
      data: bytes(rng, 64),
    };
  }
  return m;
}

/** One frame a member's connection may carry: each one must be refused. */
export function refusedFrame(rng: Rng, from: string, target: Target): Uint8Array {
  const roll = rng.int(10);
  if (roll === 0) return frame(rng.int(250) + 6, bytes(rng, rng.int(40))); // unknown kind
  if (roll === 1) return frame(FrameKind.message, bytes(rng, rng.int(80))); // garbage message
  if (roll === 2) return Uint8Array.of(0xff, 0xff, 0xff, 0x7f, 2); // length beyond any limit
  if (roll === 3) return frame(FrameKind.snapChunk, bytes(rng, 32)); // a chunk with no head
  for (let attempt = 0; attempt < 20; attempt++) {
    const bad = corrupt(plausible(rng, from, target.id, target.term), rng);
    if (bad === null || !bad.mustDrop) continue;
    const body = rawMessage(bad.message);
    // Cut it short now and then: a truncated message must be refused too.
    const cut = rng.int(4) === 0 ? body.subarray(0, rng.int(body.length)) : body;
    return frame(FrameKind.message, cut);
  }
  return frame(FrameKind.message, Uint8Array.of(200));
}

function hello(info: PeerInfo, rng: Rng): Uint8Array {
  const version = rng.int(10) === 0 ? PROTOCOL_VERSION + 1 + rng.int(5) : PROTOCOL_VERSION;
  return encodeHandshake(info, version);
}

/**
 * The `n`th case of the run seeded by `rng`: a stranger (any id but a
 * member's, any cluster id) with anything after its hello, garbage before
 * any hello, or a member's id with frames that must all be refused.
 */
export function fuzzCase(rng: Rng, target: Target): FuzzCase {
  const roll = rng.int(10);
  const addr = `10.${rng.int(256)}.${rng.int(256)}.${rng.int(256)}:${1 + rng.int(65535)}`;
  if (roll < 2) {
    return { hello: bytes(rng, 1 + rng.int(64)), frames: [], label: "garbage instead of a hello" };
  }
  if (roll < 5) {
    const id = `stranger-${rng.int(1000)}`;
    const clusterId = pick(rng, ["", target.clusterId, "another-cluster"]);
    const frames = Array.from({ length: rng.int(6) }, () => {
      const m = plausible(rng, id, target.id, target.term + rng.int(1_000_000));
      return frame(FrameKind.message, encodeMessage(m).slice());
    });
    const info = { id, clusterId, raftAddr: addr, httpAddr: "" };
    return { hello: hello(info, rng), frames, label: `stranger "${id}" in "${clusterId}"` };
  }
  const id = pick(rng, target.members.filter((m) => m !== target.id));
  const info = { id, clusterId: target.clusterId, raftAddr: addr, httpAddr: "" };
  const frames = Array.from({ length: 1 + rng.int(6) }, () => refusedFrame(rng, id, target));
  return { hello: hello(info, rng), frames, label: `bad frames as member "${id}"` };
}
