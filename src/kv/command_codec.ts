/**
 * The version 2 command encoding: conditional puts and deletes, prefix
 * deletes, transactions and leases. Numbers are LEB128 varints, strings a
 * varint byte length plus UTF-8, values a varint length plus raw bytes.
 *
 * ```
 * put:          [0x03][flags u8][key][prevIndex?][lease?][ttlMs?][quotaBytes?][value ... to the end]
 * delete:       [0x04][flags u8][key][prevIndex?]
 * deletePrefix: [0x05][prefix]
 * txn:          [0x06][quotaBytes][compare count] compares [success count] ops [failure count] ops
 *   compare:    [1][key][modIndex] | [2][key][value] | [3][key][exists u8]
 *   op:         [1][key][lease][value] | [2][key] | [3][key] | [4][prefix]
 * leaseGrant:   [0x07][ttlMs]
 * leaseRevoke:  [0x08][id]
 * ```
 *
 * A flag bit says a field follows; an absent `prevIndex` means no check.
 *
 * @module
 */

import { ByteReader } from "../bytes/reader.ts";
import { ByteWriter } from "../bytes/writer.ts";
import {
  type Command,
  type Compare,
  type DeleteCommand,
  type PutCommand,
  TAG,
  TXN_OPS_MAX,
  type TxnCommand,
  type TxnOp,
} from "./command_types.ts";
import { type Value, valueFromBytes } from "./value.ts";

const FLAG_PREV = 1;
const FLAG_LEASE = 2;
const FLAG_TTL = 4;
const FLAG_QUOTA = 8;
const FLAGS_KNOWN = FLAG_PREV | FLAG_LEASE | FLAG_TTL | FLAG_QUOTA;
const COMPARE_TARGETS = ["modIndex", "value", "exists"] as const;
const OPS = ["put", "delete", "get", "deletePrefix"] as const;
const CONTEXT = "Cannot decode command";
/** Room for the tag, flags and four varints around a put's key and value. */
const PUT_OVERHEAD_BYTES = 48;

function writeValue(writer: ByteWriter, value: Value): void {
  if (typeof value !== "string") {
    writer.varint(value.length);
    writer.raw(value);
  } else writer.string(value);
}

function readValue(reader: ByteReader): Value {
  return valueFromBytes(reader.raw(reader.varint()));
}

function encodePut(writer: ByteWriter, command: PutCommand): void {
  const flags = (command.prevIndex >= 0 ? FLAG_PREV : 0) | (command.lease > 0 ? FLAG_LEASE : 0) |
    (command.ttlMs > 0 ? FLAG_TTL : 0) | (command.quotaBytes > 0 ? FLAG_QUOTA : 0);
  writer.u8(TAG.put);
  writer.u8(flags);
  writer.string(command.key);
  if (flags & FLAG_PREV) writer.varint(command.prevIndex);
  if (flags & FLAG_LEASE) writer.varint(command.lease);
  if (flags & FLAG_TTL) writer.varint(command.ttlMs);
  if (flags & FLAG_QUOTA) writer.varint(command.quotaBytes);
  if (typeof command.value === "string") writer.text(command.value);
  else writer.raw(command.value);
}

function encodeDelete(writer: ByteWriter, command: DeleteCommand): void {
  writer.u8(TAG.delete);
  writer.u8(command.prevIndex >= 0 ? FLAG_PREV : 0);
  writer.string(command.key);
  if (command.prevIndex >= 0) writer.varint(command.prevIndex);
}

function encodeOps(writer: ByteWriter, ops: TxnOp[]): void {
  writer.varint(ops.length);
  for (const op of ops) {
    writer.u8(OPS.indexOf(op.op) + 1);
    if (op.op === "deletePrefix") {
      writer.string(op.prefix);
      continue;
    }
    writer.string(op.key);
    if (op.op !== "put") continue;
    writer.varint(op.lease);
    writeValue(writer, op.value);
  }
}

function encodeTxn(writer: ByteWriter, command: TxnCommand): void {
  writer.u8(TAG.txn);
  writer.varint(command.quotaBytes);
  writer.varint(command.compare.length);
  for (const compare of command.compare) {
    writer.u8(COMPARE_TARGETS.indexOf(compare.target) + 1);
    writer.string(compare.key);
    if (compare.target === "modIndex") writer.varint(compare.modIndex);
    else if (compare.target === "value") writeValue(writer, compare.value);
    else writer.u8(compare.exists ? 1 : 0);
  }
  encodeOps(writer, command.success);
  encodeOps(writer, command.failure);
}

function sizeHint(command: Command): number {
  if (command.kind !== "put") return 256;
  const value = command.value;
  return PUT_OVERHEAD_BYTES + 3 * command.key.length +
    (typeof value === "string" ? 3 * value.length : value.length);
}

/** The writer {@link encodeCommandView} encodes into (it never calls itself). */
const scratch = new ByteWriter();

/**
 * Encodes any command in the version 2 form into a shared buffer and
 * answers a view of it, valid only until the next call: for a caller that
 * copies the bytes at once (a proposal is copied into the log's slabs as it
 * is queued), which saves every write a buffer of its own.
 *
 * @example
 * ```ts
 * import { encodeCommandView } from "./command_codec.ts";
 * const view = encodeCommandView({ kind: "leaseGrant", ttlMs: 5000 });
 * const copy = view.slice();
 * encodeCommandView({ kind: "leaseRevoke", id: 7 });
 * if (copy[0] === view[0]) throw new Error("the next call reuses the buffer");
 * ```
 */
export function encodeCommandView(command: Command): Uint8Array {
  const writer = scratch;
  writer.reset();
  writer.reserve(sizeHint(command));
  switch (command.kind) {
    case "put":
      encodePut(writer, command);
      break;
    case "delete":
      encodeDelete(writer, command);
      break;
    case "deletePrefix":
      writer.u8(TAG.deletePrefix);
      writer.string(command.prefix);
      break;
    case "txn":
      encodeTxn(writer, command);
      break;
    case "leaseGrant":
      writer.u8(TAG.leaseGrant);
      writer.varint(command.ttlMs);
      break;
    case "leaseRevoke":
      writer.u8(TAG.leaseRevoke);
      writer.varint(command.id);
      break;
  }
  return writer.written();
}

/**
 * Encodes any command in the version 2 form, in a buffer of its own.
 *
 * @example
 * ```ts
 * import { encodeCommand } from "./command_codec.ts";
 * import { decodeCommand } from "./command.ts";
 * const bytes = encodeCommand({ kind: "leaseGrant", ttlMs: 5000 });
 * if (decodeCommand(bytes).kind !== "leaseGrant") throw new Error();
 * ```
 */
export function encodeCommand(command: Command): Uint8Array {
  return encodeCommandView(command).slice();
}

function readFlags(reader: ByteReader): number {
  const flags = reader.u8();
  if ((flags & ~FLAGS_KNOWN) !== 0) reader.fail(`unknown flags "${flags}"`);
  return flags;
}

function decodePut(reader: ByteReader): PutCommand {
  const flags = readFlags(reader);
  const key = reader.prefixedString();
  const prevIndex = flags & FLAG_PREV ? reader.varint() : -1;
  const lease = flags & FLAG_LEASE ? reader.varint() : 0;
  const ttlMs = flags & FLAG_TTL ? reader.varint() : 0;
  const quotaBytes = flags & FLAG_QUOTA ? reader.varint() : 0;
  if (lease > 0 && ttlMs > 0) reader.fail(`put of "${key}" has both a lease and a TTL`);
  const value = valueFromBytes(reader.raw(reader.remaining));
  return { kind: "put", key, value, prevIndex, lease, ttlMs, quotaBytes };
}

function decodeDelete(reader: ByteReader): DeleteCommand {
  const flags = readFlags(reader);
  const key = reader.prefixedString();
  return { kind: "delete", key, prevIndex: flags & FLAG_PREV ? reader.varint() : -1 };
}

function decodeCompare(reader: ByteReader): Compare {
  const target = COMPARE_TARGETS[reader.u8() - 1];
  const key = reader.prefixedString();
  if (target === "modIndex") return { key, target, modIndex: reader.varint() };
  if (target === "value") return { key, target, value: readValue(reader) };
  if (target === "exists") return { key, target, exists: reader.u8() === 1 };
  return reader.fail(`unknown compare target for key "${key}"`);
}

function decodeOps(reader: ByteReader): TxnOp[] {
  const count = reader.varint();
  if (count > TXN_OPS_MAX) reader.fail(`"${count}" operations exceed "${TXN_OPS_MAX}"`);
  const ops: TxnOp[] = [];
  for (let i = 0; i < count; i++) {
    const op = OPS[reader.u8() - 1];
    if (op === undefined) reader.fail(`unknown operation in position "${i}"`);
    if (op === "deletePrefix") {
      ops.push({ op, prefix: reader.prefixedString() });
      continue;
    }
    const key = reader.prefixedString();
    if (op === "put") ops.push({ op, key, lease: reader.varint(), value: readValue(reader) });
    else ops.push({ op, key });
  }
  return ops;
}

function decodeTxn(reader: ByteReader): TxnCommand {
  const quotaBytes = reader.varint();
  const compareCount = reader.varint();
  if (compareCount > TXN_OPS_MAX) {
    reader.fail(`"${compareCount}" comparisons exceed "${TXN_OPS_MAX}"`);
  }
  const compare: Compare[] = [];
  for (let i = 0; i < compareCount; i++) compare.push(decodeCompare(reader));
  const success = decodeOps(reader);
  const failure = decodeOps(reader);
  return { kind: "txn", compare, success, failure, quotaBytes };
}

/** Decodes a version 2 command (tag included); throws `Cannot decode command: ...` on bad bytes. */
export function decodeCommandV2(bytes: Uint8Array): Command {
  const reader = new ByteReader(bytes, CONTEXT);
  const tag = reader.u8();
  let command: Command;
  if (tag === TAG.put) command = decodePut(reader);
  else if (tag === TAG.delete) command = decodeDelete(reader);
  else if (tag === TAG.deletePrefix) {
    command = { kind: "deletePrefix", prefix: reader.prefixedString() };
  } else if (tag === TAG.txn) command = decodeTxn(reader);
  else if (tag === TAG.leaseGrant) command = { kind: "leaseGrant", ttlMs: reader.varint() };
  else if (tag === TAG.leaseRevoke) command = { kind: "leaseRevoke", id: reader.varint() };
  else return reader.fail(`tag "${tag}" is not a version 2 command`);
  if (reader.remaining !== 0) reader.fail(`"${reader.remaining}" bytes follow the ${command.kind}`);
  return command;
}
