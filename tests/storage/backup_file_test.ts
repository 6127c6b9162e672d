// The backup format: read back in pieces of any size; every truncation and every flipped bit
// refused with the offset of the part that breaks.
import { assertEquals, assertThrows, assertTrue } from "../assert.ts";
import {
  BACKUP_FRAME_BYTES_MAX,
  backupChunks,
  BackupFormatError,
  BackupReader,
  type BackupSummary,
} from "../../src/storage/backup_file.ts";
import { crc32c } from "../../src/storage/crc32c.ts";
import { ByteWriter } from "../../src/bytes/mod.ts";

function join(chunks: Iterable<Uint8Array>): Uint8Array {
  const writer = new ByteWriter();
  for (const chunk of chunks) writer.raw(chunk);
  return writer.written();
}

function snapshotBytes(length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 31 + 7) % 251);
}

/** The CRC-32C of the payloads' CRC-32Cs, each as 4 little-endian bytes. */
function chainOf(payloads: Uint8Array[]): number {
  const crcs = new Uint8Array(4 * payloads.length);
  payloads.forEach((p, i) => new DataView(crcs.buffer).setUint32(4 * i, crc32c(p), true));
  return crc32c(crcs);
}

/** Reads `backup` fed `pieceBytes` at a time; answers the joined payloads and the summary. */
function read(
  backup: Uint8Array,
  pieceBytes: number,
): { data: Uint8Array; summary: BackupSummary } {
  const reader = new BackupReader();
  const payloads: Uint8Array[] = [];
  for (let at = 0; at < backup.length; at += pieceBytes) {
    payloads.push(...reader.push(backup.subarray(at, at + pieceBytes)));
  }
  return { data: join(payloads), summary: reader.finish() };
}

function formatError(fn: () => unknown): BackupFormatError {
  try {
    fn();
  } catch (error) {
    if (error instanceof BackupFormatError) return error;
    throw error;
  }
  throw new Error("expected a BackupFormatError");
}

/** A small backup: three frames of 5, 3 and 4 bytes. Frame heads at 25, 38 and 49, end at 61. */
const SMALL = join(backupChunks({ index: 42, term: 3 }, [
  snapshotBytes(5),
  snapshotBytes(3),
  snapshotBytes(4),
]));
const FRAME_STARTS = [25, 38, 49];
const END_AT = 61;

Deno.test("a backup reads back whole, fed one byte or everything at a time", () => {
  const data = join([snapshotBytes(5), snapshotBytes(3), snapshotBytes(4)]);
  for (const piece of [1, 2, 7, 1000]) {
    const got = read(SMALL, piece);
    assertEquals(got.data, data);
    assertEquals(got.summary, {
      index: 42,
      term: 3,
      snapshotBytes: 12,
      checksum: chainOf([snapshotBytes(5), snapshotBytes(3), snapshotBytes(4)]),
      backupBytes: SMALL.length,
    });
  }
  assertEquals(SMALL.length, END_AT + 16);
});

Deno.test("a chunk longer than a frame is cut into frames, and an empty snapshot still has an end", () => {
  const big = snapshotBytes(2 * BACKUP_FRAME_BYTES_MAX + 10);
  const frames = [...backupChunks({ index: 1, term: 1 }, [big])];
  // Header, three heads and payloads, end.
  assertEquals(frames.length, 1 + 3 * 2 + 1);
  const got = read(join(frames), 65_536);
  assertEquals(got.data, big);
  assertEquals(read(join(backupChunks({ index: 1, term: 1 }, [])), 3).summary.snapshotBytes, 0);
});

Deno.test("a backup cut at any byte is refused as truncated, with where it ends", () => {
  for (let length = 0; length < SMALL.length; length++) {
    const reader = new BackupReader();
    reader.push(SMALL.subarray(0, length));
    const error = formatError(() => reader.finish());
    assertEquals(error.offset, length);
    assertTrue(error.message.startsWith(`Backup is truncated at offset "${length}": `));
    if (length < 25) assertTrue(error.message.endsWith("inside the backup header"), error.message);
    else if ([...FRAME_STARTS, END_AT].includes(length)) {
      assertTrue(error.message.endsWith("between two frames, before the end marker"));
    } else {
      const start = [...FRAME_STARTS, END_AT].filter((s) => s <= length).pop()!;
      assertTrue(error.message.endsWith(`frame that starts at offset "${start}"`), error.message);
    }
  }
});

Deno.test("a flipped bit anywhere is refused as corrupt, at the part that holds it", () => {
  for (let byte = 0; byte < SMALL.length; byte++) {
    for (const bit of [0, 7]) {
      const damaged = SMALL.slice();
      damaged[byte]! ^= 1 << bit;
      const error = formatError(() => read(damaged, 4));
      const part = byte < 25 ? null : [...FRAME_STARTS, END_AT].filter((s) => s <= byte).pop()!;
      if (part === null) assertTrue(error.offset <= 21, `${byte}: ${error.message}`);
      else if (byte < part + 4) {
        // A damaged length: the frame runs past the end, or a later part breaks.
        assertTrue(error.offset >= part, `${byte}: ${error.message}`);
        continue;
      } else assertEquals(error.offset, part, `${byte}: ${error.message}`);
      assertTrue(error.message.startsWith("Backup is corrupt at offset"), error.message);
    }
  }
});

Deno.test("bytes after the end marker and absurd headers are refused", () => {
  const longer = join([SMALL, new Uint8Array(3)]);
  const after = formatError(() => read(longer, 100));
  assertEquals(after.offset, SMALL.length);
  assertTrue(after.message.includes('"3" bytes or more follow the end marker'), after.message);
  const notBackup = formatError(() => read(new TextEncoder().encode("x".repeat(40)), 40));
  assertEquals([notBackup.offset, notBackup.message], [
    0,
    'Backup is corrupt at offset "0": the data does not start with "RBAK"',
  ]);
  assertThrows(() => [...backupChunks({ index: 0, term: 1 }, [])], /backup with index "0"/);
  const huge = SMALL.slice(0, 33);
  new DataView(huge.buffer).setUint32(25, BACKUP_FRAME_BYTES_MAX + 1, true);
  const tooLong = formatError(() => read(huge, 100));
  assertEquals(tooLong.offset, 25);
  assertTrue(tooLong.message.includes("longer than any backup holds"), tooLong.message);
});
