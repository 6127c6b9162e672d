/**
 * Restoring the first snapshot format, so that a node upgraded from it
 * starts from its old snapshot. Nothing writes this format any more.
 *
 * ```
 * "RKVS" [version u8 = 1] [applied index] [member count] members... [record count]
 * [string block: key and value UTF-8 bytes of every record, back to back]
 * [numeric block: per record key bytes, value bytes, create index, mod index]
 * [numeric block bytes: u32 low, u32 high] [crc32 of everything before: u32]
 * ```
 *
 * Records are in no particular order; they are sorted here.
 *
 * @module
 */

import type { Membership } from "../raft/types.ts";
import { FIRST_EPOCH, TreeBuilder } from "./btree_nodes.ts";
import { ByteReader } from "../bytes/reader.ts";
import { compareUtf8 } from "./keys.ts";
import type { RestoredRecords } from "./record_store.ts";
import { checkIndexes, CONTEXT } from "./snapshot_parts.ts";
import { type Value, valueFromBytes } from "./value.ts";

interface V1Record {
  key: string;
  value: Value;
  bytes: number;
  createIndex: number;
  modIndex: number;
}

function readRecords(
  strings: ByteReader,
  numbers: ByteReader,
  header: { count: number; appliedIndex: number; numbersStart: number },
): V1Record[] {
  const records: V1Record[] = [];
  let at = strings.offset;
  for (let i = 0; i < header.count; i++) {
    const keyBytes = numbers.varint();
    const valueBytes = numbers.varint();
    const key = strings.string(at, keyBytes);
    if (at + keyBytes + valueBytes > header.numbersStart) {
      strings.fail(`value of key "${key}" runs past the end`);
    }
    strings.offset = at + keyBytes;
    const record = {
      key,
      value: valueFromBytes(strings.raw(valueBytes)),
      bytes: keyBytes + valueBytes,
      createIndex: numbers.varint(),
      modIndex: numbers.varint(),
    };
    checkIndexes(strings, key, record, header.appliedIndex);
    records.push(record);
    at += keyBytes + valueBytes;
  }
  if (at !== header.numbersStart) {
    strings.fail(`"${header.numbersStart - at}" bytes follow the last key`);
  }
  if (numbers.remaining !== 0) strings.fail(`"${numbers.remaining}" bytes follow the last index`);
  return records;
}

/**
 * Decodes the records of a version 1 snapshot; `reader` stands after the
 * membership, over the bytes before the numeric block.
 */
export function decodeRecordsV1(
  reader: ByteReader,
  bytes: Uint8Array,
  layout: {
    appliedIndex: number;
    membership: Membership;
    numbersStart: number;
    numbersEnd: number;
  },
): RestoredRecords {
  const count = reader.varint();
  const numbers = new ByteReader(bytes.subarray(layout.numbersStart, layout.numbersEnd), CONTEXT);
  const records = readRecords(reader, numbers, { ...layout, count });
  records.sort((a, b) => compareUtf8(a.key, b.key));
  const builder = new TreeBuilder(FIRST_EPOCH);
  let dataBytes = 0;
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    if (i > 0 && records[i - 1]!.key === record.key) {
      reader.fail(`key "${record.key}" appears twice`);
    }
    builder.push(record.key, record.value, record.createIndex, record.modIndex, 0);
    dataBytes += record.bytes;
  }
  return { tree: builder.finish(), source: null, dataBytes };
}
