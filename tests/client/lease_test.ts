// Leases against the fake cluster: kept alive by the client, revoked on disposal, and
// reported lost through their signal when they expire.
import { assertEquals, assertRejectsWith, assertTrue } from "../assert.ts";
import { LeaseLostError, NotFoundError } from "../../src/client/mod.ts";
import { sleep, waitFor } from "../cluster/harness.ts";
import { FakeCluster } from "./fake_cluster.ts";

/** A short TTL: the fake expires leases on its own timer, so keep-alives matter. */
const TTL_MS = 150;

Deno.test("lease: keep-alives hold it past several TTLs; revoke deletes its keys", async () => {
  const fake = new FakeCluster();
  using client = fake.client([1], { timeoutMs: 1_000 });
  const lease = await client.lease(TTL_MS);
  await client.put("svc/a", "x", { lease: lease.id });
  await sleep(TTL_MS * 4);
  assertTrue(!lease.signal.aborted);
  assertEquals((await lease.info()).keys, ["svc/a"]);
  assertTrue(fake.requests.filter((r) => r.path === "/lease/keepalive").length >= 4);
  await lease.revoke();
  assertTrue(lease.signal.reason instanceof LeaseLostError);
  await assertRejectsWith(client.get("svc/a"), NotFoundError);
  await lease.revoke(); // a second revoke is a no-op
  assertEquals(fake.requests.filter((r) => r.method === "DELETE").length, 1);
  fake.store.close();
});

Deno.test("lease: await using revokes at the end of the block", async () => {
  const fake = new FakeCluster();
  using client = fake.client([1], { timeoutMs: 1_000 });
  let id = 0;
  {
    await using lease = await client.lease(10_000);
    id = lease.id;
    await client.put("k", "v", { lease: id });
  }
  assertEquals(fake.store.leases.has(id), false);
  assertEquals(fake.store.get("k"), null);
});

Deno.test("lease: when keep-alives stop getting through, the lease is lost and its signal says so", async () => {
  const fake = new FakeCluster();
  let cut = false;
  const fetch = (input: RequestInfo | URL, init?: RequestInit) =>
    cut ? Promise.reject(new TypeError("fetch failed")) : fake.fetch(input, init);
  using client = fake.client([1], { fetch, timeoutMs: 1_000 });
  const lease = await client.lease(TTL_MS);
  await client.put("k", "v", { lease: lease.id });
  cut = true;
  await waitFor(() => lease.signal.aborted, "the lease to be lost", 5_000);
  const reason = lease.signal.reason as LeaseLostError;
  assertTrue(reason instanceof LeaseLostError);
  assertEquals(reason.id, lease.id);
  // The server expired it too: its key is gone.
  await waitFor(() => fake.store.get("k") === null, "the key to vanish", 5_000);
  await lease[Symbol.asyncDispose]();
  fake.store.close();
});

Deno.test("lease: a lease the server no longer knows is lost at the next keep-alive", async () => {
  const fake = new FakeCluster();
  using client = fake.client([1], { timeoutMs: 1_000 });
  const lease = await client.lease(TTL_MS);
  fake.store.revoke(lease.id);
  await waitFor(() => lease.signal.aborted, "the lease to be lost", 5_000);
  assertTrue(/expired on the server/.test((lease.signal.reason as Error).message));
  await lease.revoke();
  await assertRejectsWith(client.keepAliveLease(lease.id), NotFoundError);
});
