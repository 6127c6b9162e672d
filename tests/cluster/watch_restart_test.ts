// A watch on a follower survives that follower's kill -9 and restart: reconnecting with
// `Last-Event-ID` (the id of the last event read) delivers every change to the watched
// prefix in index order, none missing and none twice, while writes go on throughout.
import { assertEquals, assertTrue } from "../assert.ts";
import { RafterClient } from "../../src/client/mod.ts";
import { type ChangeEvent, WatchStream } from "./data_model.ts";
import { waitFor, withCluster } from "./harness.ts";

/** Writes at most, so the test stays bounded whatever happens. */
const WRITES_MAX = 2_000;
/** Changes wanted before the kill, while the node is down, and after the restart. */
const WRITES_PER_PHASE = 20;

/** Reads `stream` until it ends, recording changes; answers the id of the last event. */
async function drain(stream: WatchStream, seen: ChangeEvent[], lastId: number): Promise<number> {
  for (let event = await stream.next(); event !== null; event = await stream.next()) {
    if (event.id !== null) lastId = Number(event.id);
    if (event.event === "change") seen.push(JSON.parse(event.data) as ChangeEvent);
    if (event.event === "error") break;
  }
  return lastId;
}

Deno.test("watch: a follower's kill -9 and restart; resuming with Last-Event-ID loses and repeats nothing", async () => {
  await withCluster({}, async (cluster) => {
    const leader = await cluster.form(3);
    const watched = cluster.running().find((n) => n !== leader)!;
    using client = new RafterClient({ endpoints: [`http://${leader.httpAddr}`] });
    const acked: number[] = [];
    let writing = true;
    const writer = (async () => {
      for (let i = 0; i < WRITES_MAX && writing; i++) {
        acked.push((await client.put(`w/${i}`, `v${i}`)).index);
        await client.put(`other/${i}`, "not watched");
      }
    })();
    const seen: ChangeEvent[] = [];
    try {
      const first = await WatchStream.open(watched.httpAddr, "prefix=w/&fromIndex=1");
      assertEquals(first.status, 200, first.body);
      const reading = drain(first, seen, 0);
      await waitFor(() => seen.length >= WRITES_PER_PHASE, "changes before the kill");
      await cluster.kill9(watched);
      const lastId = await reading;
      assertTrue(lastId >= seen.at(-1)!.index, `last id ${lastId}`);
      const ackedAtKill = acked.length;
      await waitFor(() => acked.length >= ackedAtKill + WRITES_PER_PHASE, "writes while down");

      cluster.restart(watched);
      const again = await waitFor(
        () => WatchStream.open(watched.httpAddr, "prefix=w/", lastId),
        "the restarted node to take the watch",
      );
      assertEquals(again.status, 200, again.body);
      const resumed = drain(again, seen, lastId);
      const ackedAtRestart = acked.length;
      await waitFor(() => acked.length >= ackedAtRestart + WRITES_PER_PHASE, "writes after");
      writing = false;
      await writer;
      const lastIndex = acked.at(-1)!;
      await waitFor(() => (seen.at(-1)?.index ?? 0) >= lastIndex, "every change to arrive");
      again.close();
      await resumed;
    } finally {
      writing = false;
      await writer.catch(() => {});
    }
    assertEquals(seen.map((event) => event.index), acked, "each change once, in order");
    for (const [i, event] of seen.entries()) {
      assertEquals(event.changes.map((c) => [c.type, c.key, c.value]), [[
        "put",
        `w/${i}`,
        `v${i}`,
      ]]);
    }
  });
});
