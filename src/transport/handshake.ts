/**
 * The handshake that opens every peer connection, both ways:
 * `[kind][magic u32 "rftr"][version u16][str16 cluster id][str16 id][str16 raft addr][str16 http addr]`
 * and, from version 2, `[u16 command version]` (the newest log command the
 * node can apply; bytes after it are left for later versions and skipped),
 * and the refusal frame an accepting side sends instead when it will not talk.
 *
 * @module
 */

import { ByteReader } from "../bytes/reader.ts";
import { ByteWriter } from "../bytes/writer.ts";
import { NODE_ID_BYTES_MAX } from "./codec.ts";
import { beginFrame, endFrame, FrameKind } from "./frame.ts";
import type { PeerInfo } from "./types.ts";

/** The wire protocol version sent; peers speaking a version below 1 or above it are refused. */
export const PROTOCOL_VERSION = 2;
/** The oldest version accepted: it carries no command version (taken as 1). */
const PROTOCOL_VERSION_MIN = 1;

/** Largest handshake or refusal frame; checked before reading one. */
export const HANDSHAKE_BYTES_MAX = 4096;

/** "rftr" little-endian: random bytes are unlikely to start with it. */
const MAGIC = 0x72746672;
const FIELD_BYTES_MAX = 512;

/**
 * The complete handshake frame (length prefix included) for `info`.
 *
 * @example
 * ```ts
 * import { decodeHandshake, encodeHandshake } from "./handshake.ts";
 * const info = { id: "n1", clusterId: "c1", raftAddr: "127.0.0.1:7001", httpAddr: "", commandVersion: 2 };
 * const back = decodeHandshake(encodeHandshake(info).subarray(4));
 * if (back.id !== "n1" || back.clusterId !== "c1" || back.commandVersion !== 2) throw new Error();
 * ```
 */
export function encodeHandshake(info: PeerInfo, version = PROTOCOL_VERSION): Uint8Array {
  const w = new ByteWriter(128);
  const start = beginFrame(w, FrameKind.handshake);
  w.u32(MAGIC);
  w.u16(version);
  w.str16(info.clusterId, FIELD_BYTES_MAX);
  w.str16(info.id, NODE_ID_BYTES_MAX);
  w.str16(info.raftAddr, FIELD_BYTES_MAX);
  w.str16(info.httpAddr, FIELD_BYTES_MAX);
  if (version >= 2) w.u16(info.commandVersion ?? 1);
  endFrame(w, start, HANDSHAKE_BYTES_MAX);
  return w.written().slice();
}

/**
 * Decodes a handshake frame payload (kind byte first). Throws on another
 * kind, a bad magic number, another protocol version or a malformed field.
 */
export function decodeHandshake(payload: Uint8Array): PeerInfo {
  const r: ByteReader = new ByteReader(payload, "Cannot decode handshake");
  const kind = r.u8();
  if (kind !== FrameKind.handshake) r.fail(`expected a handshake frame, got kind "${kind}"`);
  const magic = r.u32();
  if (magic !== MAGIC) r.fail(`bad magic number "0x${magic.toString(16)}"`);
  const version = r.u16();
  if (version < PROTOCOL_VERSION_MIN || version > PROTOCOL_VERSION) {
    r.fail(`protocol version "${version}" is not ${PROTOCOL_VERSION_MIN}..${PROTOCOL_VERSION}`);
  }
  const clusterId = r.str16("cluster id", FIELD_BYTES_MAX);
  const id = r.str16("node id", NODE_ID_BYTES_MAX);
  if (id === "") r.fail("node id is empty");
  const raftAddr = r.str16("raft address", FIELD_BYTES_MAX);
  const httpAddr = r.str16("http address", FIELD_BYTES_MAX);
  if (version === 1) {
    r.end();
    return { id, clusterId, raftAddr, httpAddr, commandVersion: 1 };
  }
  const commandVersion = r.u16();
  if (commandVersion < 1) r.fail(`command version "${commandVersion}" is not at least 1`);
  return { id, clusterId, raftAddr, httpAddr, commandVersion };
}

/** The complete refusal frame carrying `reason`. */
export function encodeRefusal(reason: string): Uint8Array {
  const w = new ByteWriter(128);
  const start = beginFrame(w, FrameKind.refusal);
  w.str16(reason.slice(0, 1000), HANDSHAKE_BYTES_MAX - 16);
  endFrame(w, start, HANDSHAKE_BYTES_MAX);
  return w.written().slice();
}

/** The reason carried by a refusal frame payload (kind byte first). */
export function decodeRefusal(payload: Uint8Array): string {
  const r = new ByteReader(payload.subarray(1), "Cannot decode refusal");
  const reason = r.str16("reason", HANDSHAKE_BYTES_MAX);
  r.end();
  return reason;
}

/** Whether two cluster ids conflict: both known and different. */
export function clustersConflict(ours: string, theirs: string): boolean {
  return ours !== "" && theirs !== "" && ours !== theirs;
}
