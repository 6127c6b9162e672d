/**
 * The client commands carried in `normal` log entries, in a compact binary
 * form that is written once per write and read once per apply on every node.
 * The first byte is a tag that names the command and, through it, the
 * command version needed to apply it (`command_types.ts`). Version 1, the
 * plain put and delete, is encoded here; version 2 in `command_codec.ts`.
 *
 * ```
 * put:    [0x01][key bytes u32 LE][key UTF-8][value UTF-8 ... to the end]
 * delete: [0x02][key UTF-8 ... to the end]
 * ```
 *
 * @module
 */

import { decodeCommandV2 } from "./command_codec.ts";
import { type Command, commandVersionOf, TAG, UnknownCommandError } from "./command_types.ts";
import { decodeUtf8 } from "../bytes/utf8.ts";

export { encodeCommand } from "./command_codec.ts";

const TAG_PUT = TAG.putV1;
const TAG_DELETE = TAG.deleteV1;
const PUT_HEADER_BYTES = 5;

/** Scratch buffers up to this size are kept between calls; larger ones are one-off. */
const scratchBytesMax = 1 << 20;

const encoder = new TextEncoder();
let scratch = new Uint8Array(64 * 1024);

/** A buffer of at least `bytes`: the shared scratch, grown up to its bound, or a one-off. */
function scratchFor(bytes: number): Uint8Array {
  if (bytes <= scratch.length) return scratch;
  if (bytes > scratchBytesMax) return new Uint8Array(bytes);
  scratch = new Uint8Array(Math.min(scratchBytesMax, Math.max(bytes, scratch.length * 2)));
  return scratch;
}

/**
 * Encodes a put of `value` under `key`.
 *
 * @example
 * ```ts
 * import { decodeCommand, encodePut } from "./command.ts";
 * const command = decodeCommand(encodePut("raft", "paxos"));
 * if (command.kind !== "put" || command.value !== "paxos" || command.prevIndex !== -1) throw new Error();
 * ```
 */
export function encodePut(key: string, value: string): Uint8Array {
  // UTF-8 takes at most 3 bytes per UTF-16 code unit.
  const buffer = scratchFor(PUT_HEADER_BYTES + 3 * (key.length + value.length));
  buffer[0] = TAG_PUT;
  const keyBytes = encoder.encodeInto(key, buffer.subarray(PUT_HEADER_BYTES)).written;
  buffer[1] = keyBytes & 0xff;
  buffer[2] = (keyBytes >>> 8) & 0xff;
  buffer[3] = (keyBytes >>> 16) & 0xff;
  buffer[4] = keyBytes >>> 24;
  const valueStart = PUT_HEADER_BYTES + keyBytes;
  const valueBytes = encoder.encodeInto(value, buffer.subarray(valueStart)).written;
  return buffer.slice(0, valueStart + valueBytes);
}

/**
 * Encodes a delete of `key`.
 *
 * @example
 * ```ts
 * import { decodeCommand, encodeDelete } from "./command.ts";
 * const command = decodeCommand(encodeDelete("raft"));
 * if (command.kind !== "delete" || command.key !== "raft") throw new Error();
 * ```
 */
export function encodeDelete(key: string): Uint8Array {
  const buffer = scratchFor(1 + 3 * key.length);
  buffer[0] = TAG_DELETE;
  const keyBytes = encoder.encodeInto(key, buffer.subarray(1)).written;
  return buffer.slice(0, 1 + keyBytes);
}

function decodeText(bytes: Uint8Array, what: string): string {
  const text = decodeUtf8(bytes);
  if (text === null) throw new Error(`Cannot decode command: the ${what} is not valid UTF-8`);
  return text;
}

/**
 * Decodes a command. Throws {@link UnknownCommandError} on a tag this code
 * does not know (a newer rafter wrote it) and `Cannot decode command: ...`
 * on bytes that no encoder here produces.
 *
 * @example
 * ```ts
 * import { decodeCommand } from "./command.ts";
 * try {
 *   decodeCommand(new Uint8Array([0x7f]));
 *   throw new Error("accepted");
 * } catch (error) {
 *   if (!String(error).includes("unknown to this node")) throw error;
 * }
 * ```
 */
export function decodeCommand(bytes: Uint8Array): Command {
  if (bytes.length === 0) throw new Error("Cannot decode command: it is empty");
  const tag = bytes[0]!;
  if (tag === TAG_PUT) return decodePutV1(bytes);
  if (tag === TAG_DELETE) {
    return { kind: "delete", key: decodeText(bytes.subarray(1), "key"), prevIndex: -1 };
  }
  if (commandVersionOf(tag) === null) throw new UnknownCommandError(tag);
  return decodeCommandV2(bytes);
}

function decodePutV1(bytes: Uint8Array): Command {
  if (bytes.length < PUT_HEADER_BYTES) {
    throw new Error(`Cannot decode command: a put of "${bytes.length}" bytes is truncated`);
  }
  const keyBytes = (bytes[1]! | (bytes[2]! << 8) | (bytes[3]! << 16)) + bytes[4]! * 0x1000000;
  const valueStart = PUT_HEADER_BYTES + keyBytes;
  if (valueStart > bytes.length) {
    throw new Error(
      `Cannot decode command: key length "${keyBytes}" exceeds the "${bytes.length}" bytes of the put`,
    );
  }
  return {
    kind: "put",
    key: decodeText(bytes.subarray(PUT_HEADER_BYTES, valueStart), "key"),
    value: decodeText(bytes.subarray(valueStart), "value"),
    prevIndex: -1,
    lease: 0,
    ttlMs: 0,
    quotaBytes: 0,
  };
}
