// The lock and election recipes against the fake cluster: one holder at a time, a waiter
// that takes over when the holder releases or dies, and leadership observed as it changes.
import { assertEquals, assertTrue } from "../assert.ts";
import { elect, lock, type RafterClient } from "../../src/client/mod.ts";
import { sleep, waitFor } from "../cluster/harness.ts";
import { FakeCluster } from "./fake_cluster.ts";

/** TTL of the recipes' leases: short, so a dead holder's lease expires quickly. */
const TTL_MS = 200;

/** A client whose connections all fail once `kill()` is called, like a killed process. */
function mortalClient(fake: FakeCluster): { client: RafterClient; kill(): void } {
  let dead = false;
  const fetch = (input: RequestInfo | URL, init?: RequestInit) =>
    dead ? Promise.reject(new TypeError("fetch failed")) : fake.fetch(input, init);
  return { client: fake.client([0, 1, 2], { fetch, timeoutMs: 1_000 }), kill: () => (dead = true) };
}

Deno.test("lock: one holder at a time; the waiter takes the lock when it is released", async () => {
  const fake = new FakeCluster();
  const a = mortalClient(fake);
  const b = mortalClient(fake);
  const held = await lock(a.client, "locks/job", { ttlMs: TTL_MS });
  let bHolds = false;
  const waiting = b.client.lock("locks/job", { ttlMs: TTL_MS }).then((l) => {
    bHolds = true;
    return l;
  });
  await sleep(TTL_MS * 2);
  assertTrue(!bHolds, "the second locker waits while the lock is held and kept alive");
  await held.release();
  const second = await waiting;
  assertTrue(second.index > held.index, "the fencing index grows with each holder");
  assertEquals(fake.store.get("locks/job")?.value, `lease ${second.lease.id}`);
  await second.release();
  assertEquals(fake.store.get("locks/job"), null);
  fake.store.close();
});

Deno.test("lock: when the holder dies, its lease expires and the waiter takes over", async () => {
  const fake = new FakeCluster();
  const a = mortalClient(fake);
  const b = mortalClient(fake);
  const held = await a.client.lock("locks/job", { ttlMs: TTL_MS });
  const waiting = b.client.lock("locks/job", { ttlMs: TTL_MS });
  a.kill();
  const second = await waiting;
  await waitFor(() => held.signal.aborted, "the dead holder's lock to report itself lost");
  assertTrue(!second.signal.aborted);
  assertEquals(fake.store.get("locks/job")?.modIndex, second.index);
  await second.release();
  await held[Symbol.asyncDispose]();
  fake.store.close();
});

Deno.test("lock: an aborted wait gives up and revokes its own lease", async () => {
  const fake = new FakeCluster();
  const a = mortalClient(fake);
  const b = mortalClient(fake);
  const held = await a.client.lock("locks/job", { ttlMs: TTL_MS });
  const stop = new AbortController();
  const waiting = b.client.lock("locks/job", { ttlMs: TTL_MS, signal: stop.signal });
  await waitFor(() => fake.store.leases.size === 2, "the waiter's lease");
  stop.abort(new Error("no longer needed"));
  let message = "";
  await waiting.catch((error) => (message = error.message));
  assertEquals(message, "no longer needed");
  assertEquals(fake.store.leases.size, 1, "the waiter's lease is revoked");
  await held.release();
});

Deno.test("elect: campaign waits for the leader to resign; observe sees every change", async () => {
  const fake = new FakeCluster();
  const a = mortalClient(fake);
  const b = mortalClient(fake);
  const first = elect(a.client, "leader/svc", { ttlMs: TTL_MS });
  const second = elect(b.client, "leader/svc", { ttlMs: TTL_MS });
  const seen: (string | null)[] = [];
  const stop = new AbortController();
  const observing = (async () => {
    for await (const leader of second.observe({ signal: stop.signal })) {
      seen.push(leader);
      if (seen.length === 4) return;
    }
  })();
  await waitFor(() => seen.length === 1, "the first observation");
  await first.campaign("a");
  assertTrue(first.isLeader);
  const campaign = second.campaign("b");
  await waitFor(() => seen.length === 2, "a seen as leader");
  await first.resign();
  await campaign;
  assertTrue(second.isLeader && !first.isLeader);
  assertEquals(await first.leader(), "b");
  await second[Symbol.asyncDispose]();
  await observing;
  // Between two leaders, nobody leads for a moment.
  assertEquals(seen, [null, "a", null, "b"]);
  stop.abort();
});

Deno.test("elect: a leader that dies is replaced within its lease TTL", async () => {
  const fake = new FakeCluster();
  const a = mortalClient(fake);
  const b = mortalClient(fake);
  const first = elect(a.client, "leader/svc", { ttlMs: TTL_MS });
  await first.campaign("a");
  const second = elect(b.client, "leader/svc", { ttlMs: TTL_MS });
  const campaign = second.campaign("b");
  a.kill();
  await campaign;
  assertEquals(await second.leader(), "b");
  await waitFor(() => first.signal?.aborted, "the dead leader to know it lost");
  await second.resign();
  await first[Symbol.asyncDispose]();
  fake.store.close();
});
