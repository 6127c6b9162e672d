// Watch against the fake cluster: SSE parsing, resume with Last-Event-ID after a dropped
// stream without a gap or a repeat, `event: error`, failover to another node, and 410.
import { assertEquals, assertRejectsWith } from "../assert.ts";
import {
  CompactedError,
  RafterClient,
  type WatchEvent,
  type WatchOptions,
} from "../../src/client/mod.ts";
import { sleep, waitFor } from "../cluster/harness.ts";
import { FakeCluster } from "./fake_cluster.ts";

/** Collects `count` events of a watch, then stops it. */
async function collect(
  client: RafterClient,
  key: string,
  options: WatchOptions,
  count: number,
  during: (seen: WatchEvent[]) => void = () => {},
): Promise<WatchEvent[]> {
  const seen: WatchEvent[] = [];
  for await (const event of client.watch(key, options)) {
    seen.push(event);
    during(seen);
    if (seen.length === count) break;
  }
  return seen;
}

Deno.test("watch: a dropped stream resumes from the last delivered index, no gap, no repeat", async () => {
  const fake = new FakeCluster();
  for (let i = 0; i < 10; i++) fake.store.put(`w/${i}`, String(i));
  fake.watchDropAfter = 3;
  using client = fake.client([1, 2], { timeoutMs: 2_000 });
  const seen = await collect(client, "w/", { prefix: true, fromIndex: 1 }, 10);
  assertEquals(seen.map((e) => e.changes[0]!.key), Array.from({ length: 10 }, (_, i) => `w/${i}`));
  const watches = fake.requests.filter((r) => r.path === "/watch");
  assertEquals(watches.length, 4);
  assertEquals(new URLSearchParams(watches[0]!.search).get("fromIndex"), "1");
  assertEquals(watches.slice(1).map((r) => r.headers.get("last-event-id")), ["4", "7", "10"]);
  assertEquals(new URLSearchParams(watches[1]!.search).get("fromIndex"), null);
});

Deno.test("watch: without fromIndex it starts after the node's applied index", async () => {
  const fake = new FakeCluster();
  fake.store.put("k", "old");
  using client = fake.client([1, 2], { timeoutMs: 2_000 });
  const events = client.watch("k", { prevValue: true });
  const first = events.next();
  await waitFor(() => fake.requests.some((r) => r.path === "/watch"), "the watch to connect");
  fake.store.put("other", "x");
  fake.store.put("k", "new");
  const event = (await first).value as WatchEvent;
  await events.return();
  assertEquals(event.changes.map((c) => [c.key, c.value, c.prev?.value]), [["k", "new", "old"]]);
  const watch = fake.requests.find((r) => r.path === "/watch")!;
  assertEquals(new URLSearchParams(watch.search).get("fromIndex"), "3");
  assertEquals(new URLSearchParams(watch.search).get("prevValue"), "true");
});

Deno.test("watch: event: error and a node going down resume elsewhere without loss", async () => {
  const fake = new FakeCluster();
  using client = fake.client([1, 2], { timeoutMs: 2_000 });
  const seen: WatchEvent[] = [];
  const done = (async () => {
    for await (const event of client.watch("p/", { prefix: true, fromIndex: 2 })) {
      seen.push(event);
      if (seen.length === 6) return;
    }
  })();
  fake.store.put("p/1", "a");
  fake.store.put("p/2", "b");
  await waitFor(() => seen.length === 2, "two events");
  fake.dropWatches(true);
  fake.store.put("p/3", "c");
  await waitFor(() => seen.length === 3, "the third event after event: error");
  fake.down.add(1);
  fake.dropWatches();
  fake.store.put("p/4", "d");
  fake.store.put("p/5", "e");
  fake.store.put("p/6", "f");
  await done;
  assertEquals(seen.map((e) => e.index), [2, 3, 4, 5, 6, 7]);
  const nodes = fake.requests.filter((r) => r.path === "/watch").map((r) => r.node);
  assertEquals(nodes.at(-1), 2);
});

Deno.test("watch: a start older than the history is CompactedError with both indexes", async () => {
  const fake = new FakeCluster();
  for (let i = 0; i < 5; i++) fake.store.put("k", String(i));
  fake.compactedIndex = 4;
  using client = fake.client([1, 2], { timeoutMs: 2_000 });
  const error = await assertRejectsWith(collect(client, "k", { fromIndex: 3 }, 1), CompactedError);
  assertEquals([error.compactedIndex, error.currentIndex], [4, 6]);
});

Deno.test("watch: a resume past compaction is CompactedError too", async () => {
  const fake = new FakeCluster();
  for (let i = 0; i < 4; i++) fake.store.put("k", String(i));
  fake.watchDropAfter = 2;
  using client = fake.client([1, 2], { timeoutMs: 2_000 });
  const seen: WatchEvent[] = [];
  const error = await assertRejectsWith(
    collect(client, "k", { fromIndex: 2 }, 10, (events) => {
      seen.push(events.at(-1)!);
      if (events.length === 2) fake.compactedIndex = 4;
    }),
    CompactedError,
  );
  assertEquals(seen.map((e) => e.index), [2, 3]);
  assertEquals(error.compactedIndex, 4);
});

Deno.test("watch: an abort ends the iterator with the signal's reason", async () => {
  const fake = new FakeCluster();
  using client = fake.client([1, 2], { timeoutMs: 2_000 });
  const stop = new AbortController();
  const watching = collect(client, "k", { fromIndex: 2, signal: stop.signal }, 5);
  await waitFor(() => fake.requests.some((r) => r.path === "/watch"), "the watch to connect");
  stop.abort(new Error("done watching"));
  const error = await assertRejectsWith(watching, Error);
  assertEquals(error.message, "done watching");
});

Deno.test("watch: a stream outlives the client's call timeout, and other calls do not cut it", async () => {
  const fake = new FakeCluster();
  using client = fake.client([1], { timeoutMs: 100 });
  const seen: WatchEvent[] = [];
  const done = (async () => {
    for await (const event of client.watch("k", { fromIndex: 2 })) {
      seen.push(event);
      if (seen.length === 2) return;
    }
  })();
  fake.store.put("k", "1");
  await waitFor(() => seen.length === 1, "the first event");
  // Calls that share deadlines come and go while the stream stays open past its timeout.
  for (let i = 0; i < 5; i++) {
    await client.get("k", { level: "stale" });
    await sleep(60);
  }
  fake.store.put("k", "2");
  await done;
  assertEquals(seen.map((e) => e.changes[0]!.value), ["1", "2"]);
  assertEquals(fake.requests.filter((r) => r.path === "/watch").length, 1, "never reconnected");
});
