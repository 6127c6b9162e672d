// A watch on a follower survives that follower's kill -9 and restart: reconnecting with
// `Last-Event-ID` (the id of the last event read) delivers every change to the watched
// prefix in index order, none missing and none twice, while writes go on throughout.
import { assertEquals, assertTrue } from "../assert.ts";
import { RafterClient } from "../../src/client/mod.ts";
import { type ChangeEvent, STEADY_TIMING, tolerating, WatchStream } from "./data_model.ts";
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
  await withCluster(STEADY_TIMING, async (cluster) => {
    const leader = await cluster.form(3);
    const watched = cluster.running().find((n) => n !== leader)!;
    using client = new RafterClient({
      endpoints: cluster.running().map((n) => `http://${n.httpAddr}`),
    });
    const acked = new Map<string, number>();
    let writing = true;
    const writer = (async () => {
      for (let i = 0; i < WRITES_MAX && writing; i++) {
        const put = await tolerating(client.put(`w/${i}`, `v${i}`));
        if (put !== null) acked.set(`w/${i}`, put.index);
        await tolerating(client.put(`other/${i}`, "not watched"));
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
      const ackedAtKill = acked.size;
      await waitFor(() => acked.size >= ackedAtKill + WRITES_PER_PHASE, "writes while down");

      cluster.restart(watched);
      const again = await waitFor(
        () => WatchStream.open(watched.httpAddr, "prefix=w/", lastId),
        "the restarted node to take the watch",
      );
      assertEquals(again.status, 200, again.body);
      const resumed = drain(again, seen, lastId);
      const ackedAtRestart = acked.size;
      await waitFor(() => acked.size >= ackedAtRestart + WRITES_PER_PHASE, "writes after");
      writing = false;
      await writer;
      // Writes of unknown outcome that took effect are changes too: the listing says which.
      const keys = new Set<string>();
      for await (const page of client.list("w/", { level: "consistent", keysOnly: true })) {
        for (const item of page.items) keys.add(item.key);
      }
      await waitFor(() => seen.length >= keys.size, "every change to arrive");
      again.close();
      await resumed;
      assertEquals(new Set(seen.map((event) => event.changes[0]!.key)), keys, "every change");
    } finally {
      writing = false;
      await writer.catch(() => {});
    }
    const indexes = seen.map((event) => event.index);
    assertEquals(indexes, [...new Set(indexes)].sort((a, b) => a - b), "in order, none twice");
    for (const event of seen) {
      const [change] = event.changes;
      assertEquals(event.changes.length, 1);
      assertEquals([change!.type, change!.value], ["put", `v${change!.key.slice(2)}`]);
      const index = acked.get(change!.key);
      assertTrue(index === undefined || index === event.index, `${change!.key} at ${event.index}`);
    }
    assertTrue([...acked.keys()].every((key) => seen.some((e) => e.changes[0]!.key === key)));
  });
});
