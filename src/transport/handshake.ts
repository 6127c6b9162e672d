/**
 * The handshake that opens every peer connection, both ways:
 * `[kind][magic u32 "rftr"][version u16][str16 cluster id][str16 id][str16 raft addr][str16 http addr]`
 * and, from version 2, `[u16 command version]` (the newest log command the
 * node can apply), and from version 3 `[32-byte nonce]`: the dialer offers to
 * prove the cluster secret (see `challenge.ts`). Bytes after the last known
 * field are left for later versions and skipped. Also the refusal frame an
 * accepting side sends instead when it will not talk.
 *
 * @module
 */

import { ByteReader } from "../bytes/reader.ts";
import { ByteWriter } from "../bytes/writer.ts";
import { NODE_ID_BYTES_MAX } from "./codec.ts";
import { beginFrame, endFrame, FrameKind } from "./frame.ts";
import type { PeerInfo } from "./types.ts";

/** The newest wire protocol version; peers speaking a version below 1 or above it are refused. */
export const PROTOCOL_VERSION = 3;
/**
 * The version a node without a cluster secret sends, byte for byte what
 * nodes sent before secrets existed; version 3 is sent with a secret.
 */
export const PROTOCOL_VERSION_OPEN = 2;
/** The oldest version accepted: it carries no command version (taken as 1). */
const PROTOCOL_VERSION_MIN = 1;
/** The first version that carries a nonce. */
const PROTOCOL_VERSION_NONCE = 3;
/** Bytes of a handshake nonce. */
export const NONCE_BYTES = 32;

/** Largest handshake or refusal frame; checked before reading one. */
export const HANDSHAKE_BYTES_MAX = 4096;

/** "rftr" little-endian: random bytes are unlikely to start with it. */
const MAGIC = 0x72746672;
const FIELD_BYTES_MAX = 512;

/** A decoded handshake: what the peer says about itself, and its nonce from version 3. */
export interface Hello {
  info: PeerInfo;
  /** The dialer's nonce ({@link NONCE_BYTES}), or null below version 3. */
  nonce: Uint8Array | null;
}

/**
 * The complete handshake frame (length prefix included) for `info`, in
 * `version`, with `nonce` after the other fields when given (version 3 and
 * later carry one; tests and the fuzzer may write any version).
 *
 * @example
 * ```ts
 * import { decodeHandshake, decodeHello, encodeHandshake } from "./handshake.ts";
 * const info = { id: "n1", clusterId: "c1", raftAddr: "127.0.0.1:7001", httpAddr: "", commandVersion: 2 };
 * const back = decodeHandshake(encodeHandshake(info).subarray(4));
 * if (back.id !== "n1" || back.clusterId !== "c1" || back.commandVersion !== 2) throw new Error();
 * const nonce = new Uint8Array(32).fill(7);
 * if (decodeHello(encodeHandshake(info, 3, nonce).subarray(4)).nonce?.[0] !== 7) throw new Error();
 * ```
 */
export function encodeHandshake(
  info: PeerInfo,
  version = PROTOCOL_VERSION_OPEN,
  nonce: Uint8Array | null = null,
): Uint8Array {
  if (nonce !== null && nonce.length !== NONCE_BYTES) {
    throw new Error(
      `Cannot encode a handshake: nonce of ${nonce.length} bytes, not ${NONCE_BYTES}`,
    );
  }
  const w = new ByteWriter(128);
  const start = beginFrame(w, FrameKind.handshake);
  w.u32(MAGIC);
  w.u16(version);
  w.str16(info.clusterId, FIELD_BYTES_MAX);
  w.str16(info.id, NODE_ID_BYTES_MAX);
  w.str16(info.raftAddr, FIELD_BYTES_MAX);
  w.str16(info.httpAddr, FIELD_BYTES_MAX);
  if (version >= 2) w.u16(info.commandVersion ?? 1);
  if (nonce !== null) w.raw(nonce);
  endFrame(w, start, HANDSHAKE_BYTES_MAX);
  return w.written().slice();
}

/**
 * Decodes a handshake frame payload (kind byte first). Throws on another
 * kind, a bad magic number, another protocol version or a malformed field.
 */
export function decodeHandshake(payload: Uint8Array): PeerInfo {
  return decodeHello(payload).info;
}

/**
 * Decodes a handshake frame payload with its nonce; throws as
 * {@link decodeHandshake}. See {@link encodeHandshake} for an example.
 */
export function decodeHello(payload: Uint8Array): Hello {
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
    return { info: { id, clusterId, raftAddr, httpAddr, commandVersion: 1 }, nonce: null };
  }
  const commandVersion = r.u16();
  if (commandVersion < 1) r.fail(`command version "${commandVersion}" is not at least 1`);
  const nonce = version >= PROTOCOL_VERSION_NONCE ? r.raw(NONCE_BYTES).slice() : null;
  return { info: { id, clusterId, raftAddr, httpAddr, commandVersion }, nonce };
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
