// What a real node cannot be made to do on cue, against the fake cluster: lose the answer to a
// transaction it applied, and end a watch with `event: error` from which the watch can still
// resume (a real node does so when it installs a snapshot or drops a slow reader, and the
// resume then usually meets 410). The rest of the client runs against real processes in
// kv_test.ts, lease_test.ts, watch_test.ts and recipes_test.ts.
import { assertEquals, assertRejectsWith, assertTrue } from "../assert.ts";
import { IndeterminateError, op, type WatchEvent } from "../../src/client/mod.ts";
import { waitFor } from "../cluster/harness.ts";
import { FakeCluster } from "./fake_cluster.ts";

Deno.test("txn: a transaction is a write: a lost answer is IndeterminateError, never resent", async () => {
  const fake = new FakeCluster();
  fake.loseAnswers = 1;
  using client = fake.client();
  await assertRejectsWith(client.txn().success(op.put("a", "1")).commit(), IndeterminateError);
  assertEquals(fake.requests.filter((r) => r.path === "/txn").length, 1);
  assertTrue(fake.store.get("a") !== null);
});

Deno.test("watch: event: error, then a node going down: it resumes elsewhere without loss", async () => {
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
  const watches = fake.requests.filter((r) => r.path === "/watch");
  assertEquals(watches.at(-1)?.node, 2);
  // Each resume names the last index delivered before it: 3 after the error, then 4.
  const resumes = watches.slice(1).map((r) => r.headers.get("last-event-id"));
  assertEquals(resumes[0], "3");
  assertEquals(resumes.slice(1).filter((id) => id !== "4"), []);
});
