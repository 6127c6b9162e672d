import { assertEquals, assertRejects, assertThrows } from "../assert.ts";
import { formatAddr, parseAddr } from "../../src/transport/address.ts";
import { ByteWriter } from "../../src/bytes/writer.ts";
import { FrameKind, FrameReader } from "../../src/transport/frame.ts";
import { decodeHandshake, encodeHandshake } from "../../src/transport/handshake.ts";
import { resolveLimits } from "../../src/transport/limits.ts";
import { SnapshotAssembler, writeMessageFrames } from "../../src/transport/snapshot_chunks.ts";
import { makeMessage, makeSnapMessage } from "./messages.ts";
import { frame } from "./harness.ts";

/** A byte source that hands out `bytes` in pieces of at most `pieceBytes`. */
function sourceOf(bytes: Uint8Array, pieceBytes: number) {
  let offset = 0;
  return {
    read(into: Uint8Array): Promise<number | null> {
      if (offset >= bytes.length) return Promise.resolve(null);
      const count = Math.min(pieceBytes, into.length, bytes.length - offset);
      into.set(bytes.subarray(offset, offset + count));
      offset += count;
      return Promise.resolve(count);
    },
  };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function splitFrames(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frames: Uint8Array[] = [];
  for (let at = 0; at < bytes.length;) {
    const length = view.getUint32(at, true);
    frames.push(bytes.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return frames;
}

Deno.test("frame reader reassembles frames split into single bytes and growing past its buffer", async () => {
  const large = new Uint8Array(200_000).map((_, i) => i & 0xff);
  const stream = concat(frame(2, Uint8Array.of(1, 2, 3)), frame(4, large));
  for (const pieceBytes of [1, 7, 65536, stream.length]) {
    const reader = new FrameReader(sourceOf(stream, pieceBytes), 1 << 20);
    assertEquals(await reader.next(), Uint8Array.of(2, 1, 2, 3));
    assertEquals(await reader.next(), concat(Uint8Array.of(4), large));
    assertEquals(await reader.next(), null);
  }
});

Deno.test("frame reader refuses empty and oversized lengths and a stream cut mid-frame", async () => {
  const oversized = Uint8Array.of(0x01, 0x00, 0x10, 0x00); // 1 MiB + 1
  await assertRejects(
    new FrameReader(sourceOf(oversized, 4), 1 << 20).next(),
    /Frame length "1048577" is outside 1..1048576 bytes/,
  );
  await assertRejects(
    new FrameReader(sourceOf(new Uint8Array(4), 4), 1024).next(),
    /Frame length "0"/,
  );
  await assertRejects(
    new FrameReader(sourceOf(frame(2, new Uint8Array(10)).subarray(0, 8), 3), 1024).next(),
    /closed in the middle of a frame \(8 bytes buffered\)/,
  );
  const handshakeLimit = new FrameReader(sourceOf(frame(1, new Uint8Array(5000)), 100), 1 << 20);
  await assertRejects(handshakeLimit.next(4096), /Frame length "5001"/);
});

Deno.test("handshake round-trips and rejects bad magic, empty ids and truncation", () => {
  const info = {
    id: "n1",
    clusterId: "c-ü",
    raftAddr: "127.0.0.1:7001",
    httpAddr: "h:1",
    commandVersion: 2,
  };
  const payload = encodeHandshake(info).subarray(4);
  assertEquals(decodeHandshake(payload), info);
  // A version-1 peer says nothing of commands: it is taken to apply version 1 only.
  const v1 = encodeHandshake(info, 1).subarray(4);
  assertEquals(decodeHandshake(v1), { ...info, commandVersion: 1 });
  // Bytes after the command version are left for later versions of the handshake.
  const longer = Uint8Array.of(...payload, 7, 7);
  assertEquals(decodeHandshake(longer), info);
  const badMagic = payload.slice();
  badMagic[1] = 0;
  assertThrows(() => decodeHandshake(badMagic), /bad magic number/);
  assertThrows(() => decodeHandshake(Uint8Array.of(FrameKind.message)), /expected a handshake/);
  const emptyId = encodeHandshake({ ...info, id: "" }).subarray(4);
  assertThrows(() => decodeHandshake(emptyId), /node id is empty/);
  for (let length = 0; length < payload.length; length++) {
    assertThrows(() => decodeHandshake(payload.subarray(0, length)), /Cannot decode handshake/);
  }
});

Deno.test("snapshot frames are bounded chunks and the assembler rejects misordered input", () => {
  const snap = makeSnapMessage("n1", "n2", 10_000);
  const w = new ByteWriter();
  writeMessageFrames(w, snap, { frameBytesMax: 5000, snapshotChunkBytes: 4096 });
  const frames = splitFrames(w.written());
  assertEquals(frames.map((f) => f[0]), [FrameKind.snapHead, 4, 4, 4]);
  assertEquals(frames.slice(1).map((f) => f.length - 1), [4096, 4096, 1808]);

  const assembler = new SnapshotAssembler(20_000);
  assertThrows(() => assembler.add(frames[1]!), /chunk arrived without a snapshot head/);
  assembler.begin(frames[0]!);
  assertThrows(() => assembler.begin(frames[0]!), /head arrived before the last one finished/);
  assertEquals(assembler.add(frames[1]!), null);
  assertEquals(assembler.add(frames[2]!), null);
  assertThrows(() => assembler.add(frames[1]!), /chunk of 4096 bytes does not fit: 8192 of 10000/);
  assertEquals(assembler.add(frames[3]!), snap);
  assertEquals(assembler.busy, false);
  assertThrows(() => new SnapshotAssembler(9_999).begin(frames[0]!), /snapshot size "10000"/);
});

Deno.test("writing frames is all or nothing", () => {
  const w = new ByteWriter();
  w.u8(1);
  const big = makeMessage("app", "n1", "n2", {
    entries: [{ index: 1, term: 1, type: "normal", data: new Uint8Array(3000) }],
  });
  const limits = { frameBytesMax: 2048, snapshotChunkBytes: 1024 };
  assertThrows(() => writeMessageFrames(w, big, limits), /exceeds frameBytesMax 2048/);
  assertEquals(w.length, 1);
  const snap = makeSnapMessage("n1", "n2", 5000);
  assertThrows(
    () => writeMessageFrames(w, { ...snap, term: -1 }, limits),
    /term "-1"/,
  );
  assertEquals(w.length, 1);
});

Deno.test("limits have defaults and are checked against each other", () => {
  assertEquals(resolveLimits({}).frameBytesMax, 16 * 1024 * 1024);
  assertThrows(() => resolveLimits({ queueBytesMax: 0 }), /queueBytesMax "0"/);
  assertThrows(() => resolveLimits({ frameBytesMax: 1.5 }), /frameBytesMax "1.5"/);
  assertThrows(
    () => resolveLimits({ frameBytesMax: 4096, snapshotChunkBytes: 4096 }),
    /snapshotChunkBytes "4096": must fit in frameBytesMax 4096/,
  );
  assertThrows(() => resolveLimits({ reconnectMsMin: 10, reconnectMsMax: 5 }), /above/);
});

Deno.test("addresses parse and format, IPv6 in brackets", () => {
  assertEquals(parseAddr("127.0.0.1:7001"), { hostname: "127.0.0.1", port: 7001 });
  assertEquals(parseAddr("[::1]:0"), { hostname: "::1", port: 0 });
  assertEquals(formatAddr({ hostname: "::1", port: 9 }), "[::1]:9");
  for (const bad of ["", "host", "host:", ":1", "h:70000", "h:1:2", "h :1"]) {
    assertThrows(() => parseAddr(bad), /Invalid address/);
  }
});
