import { assertEquals, assertThrows } from "../assert.ts";
import { RecordEncoder } from "../../src/storage/wal_encoder.ts";
import { crc32cUpdate } from "../../src/storage/crc32c.ts";
import { decodeRecord, RECORD_BAD, RECORD_SHORT, recordAt } from "../../src/storage/wal_record.ts";
import { replayWal } from "../../src/storage/wal_replay.ts";
import { entry } from "./helpers.ts";

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

Deno.test("a 100-byte entry becomes a 125-byte record with the documented header", () => {
  const encoder = new RecordEncoder();
  encoder.entry(entry(3, 2, 100, "conf"));
  const bytes = encoder.bytes();
  assertEquals(bytes.length, 125);
  assertEquals(view(bytes).getUint32(0, true), 116, "length counts the payload only");
  assertEquals(bytes[8], 2, "conf entries are type 2");
  assertEquals(view(bytes).getUint32(9, true), 3, "index, low half");
  assertEquals(view(bytes).getUint32(17, true), 2, "term, low half");
  assertEquals(recordAt(bytes, view(bytes), 0, bytes.length), 116);
  const decoded = decodeRecord(bytes, view(bytes), 0, 116);
  assertEquals(decoded, { kind: "entry", entry: entry(3, 2, 100, "conf") });
});

Deno.test("hard state, commit and truncate records round-trip through replay", () => {
  const encoder = new RecordEncoder({ initialBytes: 4 });
  encoder.entry(entry(1, 1));
  encoder.entry(entry(2, 1));
  encoder.hardState({ term: 2 ** 40, vote: "nœud-7", commit: 1 });
  encoder.commit(2);
  encoder.truncate(2);
  encoder.entry(entry(2, 3));
  const bytes = encoder.bytes().slice();
  const replay = replayWal([{ name: "wal/0000000000000001.wal", firstIndex: 1, bytes }]);
  assertEquals(replay.hardState, { term: 2 ** 40, vote: "nœud-7", commit: 2 });
  assertEquals(replay.entries, [entry(1, 1), entry(2, 3)]);
  assertEquals(replay.tail, null);
  assertEquals(replay.segments[0]?.maxEntryIndex, 2);
});

Deno.test("a commit-only record is 17 bytes", () => {
  const encoder = new RecordEncoder();
  encoder.commit(123456);
  assertEquals(encoder.bytes().length, 17);
});

Deno.test("records past the end are short, damaged ones bad", () => {
  const encoder = new RecordEncoder();
  encoder.entry(entry(1, 1, 20));
  const bytes = encoder.bytes().slice();
  assertEquals(recordAt(bytes, view(bytes), 0, bytes.length - 1), RECORD_SHORT);
  assertEquals(recordAt(bytes, view(bytes), 0, 5), RECORD_SHORT);
  bytes[20] = bytes[20]! ^ 1;
  assertEquals(recordAt(bytes, view(bytes), 0, bytes.length), RECORD_BAD);
});

Deno.test("a valid checksum over an unknown type stops replay, never skips the record", () => {
  const encoder = new RecordEncoder();
  encoder.entry(entry(1, 1));
  encoder.commit(5);
  encoder.entry(entry(2, 1));
  const bytes = encoder.bytes().slice();
  const at = 33; // the commit record follows the 33-byte entry record
  bytes[at + 8] = 99;
  const crc = crc32cUpdate(crc32cUpdate(0, bytes, at, at + 4), bytes, at + 8, at + 17);
  view(bytes).setUint32(at + 4, crc, true);
  assertEquals(recordAt(bytes, view(bytes), at, bytes.length), 8);
  assertThrows(
    () => replayWal([{ name: "wal/x.wal", firstIndex: 1, bytes }]),
    /Corrupt WAL record in "wal\/x.wal" at offset 33: unknown record type "99"/,
  );
});

Deno.test("the encoder refuses values that do not fit the format", () => {
  const encoder = new RecordEncoder();
  assertThrows(() => encoder.commit(-1), /not a non-negative safe integer/);
  assertThrows(() => encoder.entry(entry(2 ** 53, 1)), /not a non-negative safe integer/);
  assertThrows(
    () => encoder.hardState({ term: 1, vote: "x".repeat(256), commit: 0 }),
    /longer than 255 bytes/,
  );
});
