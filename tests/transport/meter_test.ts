/**
 * The transport's peer meter: every byte written to a peer is counted once
 * on each side, snapshots in chunks included, and every message dropped
 * unsent is counted against its destination.
 */

import { assertEquals } from "../assert.ts";
import { ByteWriter } from "../../src/bytes/writer.ts";
import { DEFAULT_LIMITS } from "../../src/transport/limits.ts";
import { writeMessageFrames } from "../../src/transport/snapshot_chunks.ts";
import type { PeerMeter } from "../../src/transport/types.ts";
import { makeEntries, makeMessage, makeSnapMessage } from "./messages.ts";
import { startNode, type TestNode, waitUntil } from "./harness.ts";
import { freePorts } from "../cluster/harness.ts";

/** A meter that adds up what it is told, by peer. */
function tally() {
  const sent = new Map<string, number>();
  const received = new Map<string, number>();
  const failed = new Map<string, number>();
  const add = (map: Map<string, number>, peer: string, n: number) =>
    map.set(peer, (map.get(peer) ?? 0) + n);
  const meter: PeerMeter = {
    sent: (to, bytes) => add(sent, to, bytes),
    received: (from, bytes) => add(received, from, bytes),
    sendFailed: (to, messages) => add(failed, to, messages),
  };
  return { meter, sent, received, failed };
}

async function closeAll(...nodes: TestNode[]): Promise<void> {
  for (const node of nodes) await node.transport.close();
}

Deno.test("peer meter: the bytes one side writes are the bytes the other reads", async () => {
  const aMeter = tally();
  const bMeter = tally();
  const snapshotChunkBytes = 4096;
  const a = await startNode("n1", { meter: aMeter.meter, snapshotChunkBytes });
  const b = await startNode("n2", { meter: bMeter.meter });
  try {
    a.transport.setPeer("n2", b.addr);
    const messages = [
      makeMessage("app", "n1", "n2", { term: 2, entries: makeEntries(1, 20, 300) }),
      makeMessage("hb", "n1", "n2", { term: 2, seq: 1 }),
      makeSnapMessage("n1", "n2", 20_000),
    ];
    a.transport.send(messages);
    await waitUntil(() => b.inbox.length === 3, "three messages");
    await waitUntil(() => bMeter.received.get("n1") === aMeter.sent.get("n2"), "every byte");
    const frames = new ByteWriter();
    for (const m of messages) {
      writeMessageFrames(frames, m, { ...DEFAULT_LIMITS, snapshotChunkBytes });
    }
    assertEquals(
      aMeter.sent.get("n2"),
      frames.written().length,
      "every frame, snapshot chunks too",
    );
    assertEquals([...aMeter.sent.keys()], ["n2"]);
    assertEquals([...bMeter.received.keys()], ["n1"]);
    assertEquals(aMeter.failed.size, 0);
    assertEquals(bMeter.sent.size, 0, "an inbound link carries nothing back");
  } finally {
    await closeAll(a, b);
  }
});

Deno.test("peer meter: messages to a peer that is down or unknown count as send failures", async () => {
  const aMeter = tally();
  const a = await startNode("n1", { meter: aMeter.meter, reconnectMsMin: 10 });
  try {
    a.transport.send([makeMessage("hb", "n1", "n7", { term: 1 })]);
    assertEquals(aMeter.failed.get("n7"), 1);
    a.transport.setPeer("n2", `127.0.0.1:${freePorts(1)[0]}`);
    for (let i = 0; i < 5; i++) a.transport.send([makeMessage("hb", "n1", "n2", { term: 1 })]);
    await waitUntil(() => (a.transport.stats()[0]?.dropped ?? 0) >= 5, "the drops");
    assertEquals(aMeter.failed.get("n2"), a.transport.stats()[0]!.dropped);
    assertEquals(aMeter.sent.size, 0);
  } finally {
    await closeAll(a);
  }
});
