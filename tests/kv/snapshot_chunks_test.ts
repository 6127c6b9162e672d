// The snapshot encoded in chunks: the same bytes as in one buffer, whatever the chunk size and
// whatever the machine applies while the chunks are read.
import { assertEquals, assertThrows, assertTrue } from "../assert.ts";
import { encodeSnapshot, encodeSnapshotChunks } from "../../src/kv/snapshot.ts";
import { KvStateMachine } from "../../src/kv/state_machine.ts";
import { Feeder } from "./helpers.ts";
import { ByteWriter } from "../../src/bytes/mod.ts";

function join(chunks: Iterable<Uint8Array>): Uint8Array {
  const writer = new ByteWriter();
  for (const chunk of chunks) writer.raw(chunk);
  return writer.written();
}

function mixedState(): Feeder {
  const feeder = new Feeder();
  feeder.apply({ kind: "leaseGrant", ttlMs: 5000 });
  for (let i = 0; i < 2000; i++) {
    feeder.put(`key/${String(i).padStart(5, "0")}`, `value ${i}`, { lease: i % 7 === 0 ? 1 : 0 });
  }
  feeder.put("big", "x".repeat(70_000));
  feeder.put("bin", new Uint8Array([0, 0xff, 0x80]));
  feeder.put("clé 🦀", "välue");
  feeder.apply({ kind: "delete", key: "key/00003", prevIndex: -1 });
  return feeder;
}

Deno.test("chunks join into exactly the one-buffer snapshot, at every chunk size", () => {
  const machine = mixedState().machine;
  const whole = encodeSnapshot(machine.freeze());
  for (const chunkBytes of [1, 7, 100, 4096, 65_536, 10_000_000]) {
    const chunks = [...encodeSnapshotChunks(machine.freeze(), chunkBytes)];
    assertEquals(join(chunks), whole, `chunk size ${chunkBytes}`);
    // Every chunk but the last reached the size; none holds much more than one record past it.
    for (const chunk of chunks.slice(0, -1)) assertTrue(chunk.length >= chunkBytes);
    assertTrue(chunks.every((c) => c.length <= chunkBytes + 70_100), `chunk size ${chunkBytes}`);
  }
});

Deno.test("an empty machine and one restored from a snapshot (values left in its bytes) encode the same in chunks", () => {
  const empty = new KvStateMachine();
  assertEquals(join([...encodeSnapshotChunks(empty.freeze(), 16)]), empty.snapshot());
  const restored = new KvStateMachine();
  restored.restore(mixedState().machine.snapshot());
  const chunks = [...encodeSnapshotChunks(restored.freeze(), 1000)];
  assertEquals(join(chunks), restored.snapshot());
  const again = new KvStateMachine();
  again.restore(join(chunks));
  assertEquals(again.read("bin")?.value, new Uint8Array([0, 0xff, 0x80]));
  assertEquals(again.get("big")?.value.length, 70_000);
});

Deno.test("chunks read while the machine applies more entries hold the state of the freeze", () => {
  const feeder = mixedState();
  const expected = feeder.machine.snapshot();
  const chunks = encodeSnapshotChunks(feeder.machine.freeze(), 512);
  const read: Uint8Array[] = [];
  let step = 0;
  for (const chunk of chunks) {
    read.push(chunk);
    // Between chunks the machine changes under the reader: overwrites, deletes, new keys.
    feeder.put(`key/${String(step * 3).padStart(5, "0")}`, "changed");
    if (step === 5) feeder.apply({ kind: "deletePrefix", prefix: "key/001" });
    if (step === 9) feeder.apply({ kind: "leaseRevoke", id: 1 });
    step++;
  }
  assertTrue(step > 20, String(step));
  assertEquals(join(read), expected);
});

Deno.test("a chunk size that is not a positive integer is refused", () => {
  const state = new KvStateMachine().freeze();
  assertThrows(() => [...encodeSnapshotChunks(state, 0)], /Chunk size "0" is not a positive/);
  assertThrows(() => [...encodeSnapshotChunks(state, 1.5)], /Chunk size "1.5"/);
});

Deno.test("chunks encoded into one reused buffer join into the same snapshot, used as they come", () => {
  const feeder = mixedState();
  for (let i = 0; i < 5000; i++) feeder.put(`more/${i}`, "v".repeat(100));
  const machine = feeder.machine;
  const whole = encodeSnapshot(machine.freeze());
  for (const chunkBytes of [7, 4096, 20_000, 65_536]) {
    const writer = new ByteWriter();
    const buffers = new Set<ArrayBufferLike>();
    for (const chunk of encodeSnapshotChunks(machine.freeze(), chunkBytes, undefined, true)) {
      writer.raw(chunk);
      buffers.add(chunk.buffer);
    }
    assertEquals(writer.written(), whole, `chunk size ${chunkBytes}`);
    // Chunks that fill their buffer are not copied out of it, so a new buffer comes only after a
    // chunk outgrew it (the 70 kB value); chunks small beside the header's room are copied out.
    if (chunkBytes < 20_000) continue;
    assertTrue(buffers.size <= 4, `chunk size ${chunkBytes}: ${buffers.size} buffers`);
  }
});
