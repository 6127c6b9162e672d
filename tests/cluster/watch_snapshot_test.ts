// A follower that falls so far behind that the leader sends it a snapshot ends its open
// watches with `event: error` (reason `reset`); a resume from before the snapshot answers 410
// with both indexes, and a watch from the listing's index goes on.
import { assertEquals, assertTrue } from "../assert.ts";
import { RafterClient } from "../../src/client/mod.ts";
import { call, STEADY_TIMING, WatchStream } from "./data_model.ts";
import { waitFor, withCluster } from "./harness.ts";

/** Entries between snapshots: the leader compacts past a stopped follower quickly. */
const SNAPSHOT_ENTRIES = 50;
/** Writes while the follower is stopped: several snapshots' worth. */
const WRITES_WHILE_STOPPED = 4 * SNAPSHOT_ENTRIES;

Deno.test("watch: a follower that installs a snapshot ends its watches; the resume is a 410", async () => {
  await withCluster({ ...STEADY_TIMING, snapshotEntries: SNAPSHOT_ENTRIES }, async (cluster) => {
    const leader = await cluster.form(3);
    const follower = cluster.running().find((n) => n !== leader)!;
    using client = new RafterClient({ endpoints: [`http://${leader.httpAddr}`] });
    const { index } = await client.put("s/0", "before");
    const watch = await WatchStream.open(follower.httpAddr, `prefix=s/&fromIndex=${index}`);
    assertEquals(watch.status, 200, watch.body);
    for (let event = await watch.next(); event?.event !== "change"; event = await watch.next()) {
      assertTrue(event !== null, "the stream ended before its first change");
    }
    const lastId = index;

    // A stopped process keeps its connections and answers nothing: the leader moves on.
    Deno.kill(follower.child!.pid, "SIGSTOP");
    try {
      for (let i = 1; i <= WRITES_WHILE_STOPPED; i++) await client.put(`s/${i}`, "while stopped");
    } finally {
      Deno.kill(follower.child!.pid, "SIGCONT");
    }
    const events = [];
    for (let event = await watch.next(); event !== null; event = await watch.next()) {
      events.push(event);
      if (event.event === "error") break;
    }
    watch.close();
    const end = events.at(-1);
    assertEquals(end?.event, "error", JSON.stringify(events.map((e) => e.event)));
    assertEquals(JSON.parse(end!.data).reason, "reset", end!.data);
    await waitFor(
      () => follower.lines.some((line) => line.includes(" info installed snapshot ")),
      "the follower to log the snapshot it installed",
    );

    const resumed = await WatchStream.open(follower.httpAddr, "prefix=s/", lastId);
    assertEquals(resumed.status, 410, resumed.body);
    const gone = JSON.parse(resumed.body) as { compactedIndex: number; currentIndex: number };
    assertTrue(
      gone.compactedIndex > lastId && gone.currentIndex >= gone.compactedIndex,
      resumed.body,
    );

    // Read the state, then watch from the listing's index: the way back.
    const listed = await call(
      follower.httpAddr,
      "GET",
      "/keys?prefix=s/&level=consistent&keysOnly=true",
    );
    const page = listed.json() as { items: unknown[]; index: number };
    assertEquals(page.items.length, WRITES_WHILE_STOPPED + 1);
    const again = await WatchStream.open(
      follower.httpAddr,
      `prefix=s/&fromIndex=${page.index + 1}`,
    );
    assertEquals(again.status, 200, again.body);
    const { index: after } = await client.put("s/after", "x");
    for (let event = await again.next(); event !== null; event = await again.next()) {
      if (event.event === "change") {
        assertEquals(JSON.parse(event.data).index, after);
        break;
      }
    }
    again.close();
  });
});
