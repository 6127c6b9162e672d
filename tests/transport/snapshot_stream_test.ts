import { assertEquals, assertTrue } from "../assert.ts";
import type { SnapshotSource } from "../../src/transport/types.ts";
import { makeMessage, makeSnapMessage } from "./messages.ts";
import { startNode, type TestNode, waitUntil } from "./harness.ts";

async function closeAll(...nodes: TestNode[]): Promise<void> {
  for (const node of nodes) await node.transport.close();
}

/** A source over `data` that counts its reads and the most bytes one read asked for. */
function countingSource(data: Uint8Array) {
  const stats = { reads: 0, largestRead: 0, closed: false };
  const source: SnapshotSource = {
    bytes: data.length,
    read(offset, length) {
      stats.reads++;
      stats.largestRead = Math.max(stats.largestRead, length);
      return Promise.resolve(data.slice(offset, offset + length));
    },
    close() {
      stats.closed = true;
    },
  };
  return { source, stats };
}

Deno.test("a snapshot read from its source a chunk at a time arrives intact, and what is sent meanwhile too", async () => {
  const chunkBytes = 64 * 1024;
  const a = await startNode("n1", { snapshotChunkBytes: chunkBytes });
  const b = await startNode("n2");
  try {
    a.transport.setPeer("n2", b.addr);
    const whole = makeSnapMessage("n1", "n2", 3 * 1024 * 1024 + 5);
    const data = whole.snapshot!.data;
    const { source, stats } = countingSource(data);
    const empty = { ...whole, snapshot: { meta: whole.snapshot!.meta, data: new Uint8Array(0) } };
    a.transport.sendSnapshot(empty, source);
    const after = makeMessage("hb", "n1", "n2", { term: 4, seq: 1 });
    a.transport.send([after]);
    await waitUntil(() => b.inbox.length === 2, "the snapshot and a heartbeat", 20000);
    const snap = b.inbox.find((m) => m.type === "snap");
    assertEquals(snap?.snapshot?.meta, whole.snapshot!.meta);
    const got = snap!.snapshot!.data;
    assertTrue(got.length === data.length && got.every((byte, i) => byte === data[i]), "bytes");
    assertEquals(b.inbox.find((m) => m.type === "hb"), after);
    assertEquals(stats.reads, Math.ceil(data.length / chunkBytes), "one read per chunk");
    assertEquals(stats.largestRead, chunkBytes, "never more than a chunk asked for");
    assertTrue(stats.closed, "the source is closed when the transfer ends");
  } finally {
    await closeAll(a, b);
  }
});

Deno.test("a second snapshot to a peer while one is queued is dropped and its source closed", async () => {
  const a = await startNode("n1");
  const b = await startNode("n2");
  try {
    a.transport.setPeer("n2", b.addr);
    const whole = makeSnapMessage("n1", "n2", 2 * 1024 * 1024);
    const empty = { ...whole, snapshot: { meta: whole.snapshot!.meta, data: new Uint8Array(0) } };
    const first = countingSource(whole.snapshot!.data);
    const second = countingSource(whole.snapshot!.data);
    a.transport.sendSnapshot(empty, first.source);
    a.transport.sendSnapshot(empty, second.source);
    assertTrue(second.stats.closed && second.stats.reads === 0, "the second is dropped at once");
    await waitUntil(() => b.inbox.length === 1, "the first snapshot", 20000);
    assertEquals(b.inbox[0]?.snapshot?.data.length, whole.snapshot!.data.length);
    await waitUntil(() => first.stats.closed, "the first source closed");
  } finally {
    await closeAll(a, b);
  }
});

Deno.test("a snapshot to an unknown peer is dropped and its source closed", async () => {
  const a = await startNode("n1");
  try {
    const whole = makeSnapMessage("n1", "n9", 1000);
    const { source, stats } = countingSource(whole.snapshot!.data);
    a.transport.sendSnapshot(whole, source);
    assertTrue(stats.closed && stats.reads === 0);
  } finally {
    await closeAll(a);
  }
});
