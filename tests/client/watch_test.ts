// The client's watch against a real three-node cluster whose nodes keep a short history:
// where it starts, a stream that outlives the call timeout, an abort, 410 as CompactedError
// (at the start and on a resume), and a kill -9 of the leader it streams from, after which it
// resumes on another node with nothing lost or repeated.
import { assertEquals, assertRejectsWith, assertTrue } from "../assert.ts";
import {
  CompactedError,
  IndeterminateError,
  type RafterClient,
  type WatchEvent,
  type WatchOptions,
} from "../../src/client/mod.ts";
import { STEADY_TIMING } from "../cluster/data_model.ts";
import { sleep, waitFor, withCluster } from "../cluster/harness.ts";
import { clientOf, countingFetch, cuttableFetch } from "./on_cluster.ts";

/** Entries with changes each node keeps for watches. */
const HISTORY_ENTRIES = 50;
/** Writes the writer may be ahead of the watcher: well inside the history. */
const WRITES_AHEAD_MAX = 20;
/** Writes before and after the kill. */
const WRITES_PER_PHASE = 30;
/** Writes at most, so the test stays bounded whatever happens. */
const WRITES_MAX = 1_000;

/** Collects `count` events of a watch, then stops it. */
async function collect(
  client: RafterClient,
  key: string,
  options: WatchOptions,
  count: number,
  during: (seen: WatchEvent[]) => void | Promise<void> = () => {},
): Promise<WatchEvent[]> {
  const seen: WatchEvent[] = [];
  for await (const event of client.watch(key, options)) {
    seen.push(event);
    await during(seen);
    if (seen.length === count) break;
  }
  return seen;
}

Deno.test("client watch on three processes: start, timeouts, abort, compaction, a leader kill", async (t) => {
  const extraArgs = ["--watch-history-entries", String(HISTORY_ENTRIES)];
  await withCluster({ ...STEADY_TIMING, extraArgs }, async (cluster) => {
    const leader = await cluster.form(3);
    const followers = cluster.running().filter((n) => n !== leader);
    using client = clientOf(cluster.running());

    await t.step("without fromIndex it starts after the node's applied index", async () => {
      await client.put("k", "old");
      const counted = countingFetch();
      // On the leader, which has applied the write above before it answered.
      using watcher = clientOf([leader], { fetch: counted.fetch });
      const events = watcher.watch("k", { prevValue: true });
      const first = events.next();
      await waitFor(() => counted.watches() === 1, "the watch to be open");
      await client.put("other", "x");
      const { index } = await client.put("k", "new");
      const event = (await first).value as WatchEvent;
      await events.return();
      assertEquals(event.index, index);
      assertEquals(event.changes.map((c) => [c.key, c.value, c.prev?.value]), [[
        "k",
        "new",
        "old",
      ]]);
    });

    await t.step(
      "a stream outlives the client's call timeout, and other calls do not cut it",
      async () => {
        const counted = countingFetch();
        using short = clientOf([followers[0]!], { fetch: counted.fetch, timeoutMs: 300 });
        const { index } = await client.put("t", "0");
        const events = short.watch("t", { fromIndex: index + 1 });
        const first = events.next();
        await client.put("t", "1");
        assertEquals((await first).value?.changes[0]?.value, "1");
        // Calls that share deadlines come and go while the stream stays open past its timeout.
        for (let i = 0; i < 5; i++) {
          await short.get("t", { level: "stale" });
          await sleep(100);
        }
        await client.put("t", "2");
        assertEquals((await events.next()).value?.changes[0]?.value, "2");
        await events.return();
        assertEquals(counted.watches(), 1, "never reconnected");
      },
    );

    await t.step("an abort ends the iterator with the signal's reason", async () => {
      const stop = new AbortController();
      const watching = collect(client, "k", { fromIndex: 1, signal: stop.signal }, 50);
      await sleep(200);
      stop.abort(new Error("done watching"));
      const error = await assertRejectsWith(watching, Error);
      assertEquals(error.message, "done watching");
    });

    await t.step("a start older than the history is CompactedError with both indexes", async () => {
      for (let i = 0; i < HISTORY_ENTRIES + 10; i++) await client.put("c", String(i));
      const error = await assertRejectsWith(
        collect(client, "c", { fromIndex: 1 }, 1),
        CompactedError,
      );
      assertTrue(error.compactedIndex >= 10, `compactedIndex ${error.compactedIndex}`);
      assertTrue(error.currentIndex > error.compactedIndex, `currentIndex ${error.currentIndex}`);
    });

    await t.step(
      "a resume past what the node's history still holds is CompactedError",
      async () => {
        const link = cuttableFetch();
        using cutOff = clientOf([followers[1]!], { fetch: link.fetch });
        const { index } = await client.put("r", "0");
        await client.put("r", "1");
        const events = cutOff.watch("r", { fromIndex: index });
        assertEquals((await events.next()).value?.changes[0]?.value, "0");
        assertEquals((await events.next()).value?.changes[0]?.value, "1");
        link.cut();
        for (let i = 0; i < HISTORY_ENTRIES + 10; i++) await client.put("r", `missed ${i}`);
        link.heal();
        const error = await assertRejectsWith(events.next(), CompactedError);
        assertTrue(error.compactedIndex > index + 1, `compactedIndex ${error.compactedIndex}`);
      },
    );

    await t.step(
      "the leader it streams from killed: it resumes on another node, nothing lost or repeated",
      async () => {
        // The first endpoint, the leader, is the one the watch connects to.
        using watcher = clientOf([leader, ...followers], { random: () => 0 });
        const start = (await client.put("lk/start", "x")).index;
        const seen: WatchEvent[] = [];
        const stop = new AbortController();
        const reading = (async () => {
          for await (
            const event of watcher.watch("lk/", {
              prefix: true,
              fromIndex: start,
              signal: stop.signal,
            })
          ) {
            seen.push(event);
          }
        })().catch((error) => {
          if (!stop.signal.aborted) throw error;
        });
        const acked = new Map<string, number>();
        let indeterminate = 0;
        let writing = true;
        const writer = (async () => {
          for (let i = 0; i < WRITES_MAX && writing; i++) {
            await waitFor(() => i - seen.length < WRITES_AHEAD_MAX, "the watcher to keep up");
            try {
              acked.set(`lk/${i}`, (await client.put(`lk/${i}`, String(i))).index);
            } catch (error) {
              if (!(error instanceof IndeterminateError)) throw error;
              indeterminate++;
            }
          }
        })();
        try {
          await waitFor(() => seen.length >= WRITES_PER_PHASE, "changes before the kill");
          await cluster.kill9(leader);
          const ackedAtKill = acked.size;
          await waitFor(
            () => acked.size >= ackedAtKill + WRITES_PER_PHASE,
            "writes after the kill",
          );
        } finally {
          writing = false;
          await writer;
        }
        const keys: string[] = [];
        for await (const page of client.list("lk/", { level: "consistent" })) {
          keys.push(...page.items.map((r) => r.key));
        }
        const delivered = () => new Set(seen.flatMap((e) => e.changes.map((c) => c.key)));
        await waitFor(() => keys.every((key) => delivered().has(key)), "every change to arrive");
        stop.abort();
        await reading;
        const indexes = seen.map((e) => e.index);
        assertEquals(indexes, [...new Set(indexes)].sort((a, b) => a - b), "in order, none twice");
        assertEquals([...delivered()].sort(), keys.sort(), "exactly the changes that committed");
        for (const [key, index] of acked) {
          assertTrue(seen.some((e) => e.index === index && e.changes[0]!.key === key), key);
        }
        assertTrue(indeterminate <= 3, `${indeterminate} writes of unknown outcome`);
      },
    );
  });
});
