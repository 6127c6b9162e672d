// The client's leases against a real three-node cluster: kept alive past several TTLs,
// revoked on disposal, and reported lost through their signal when keep-alives stop getting
// through (the server then expires them) or the server no longer knows them.
import { assertEquals, assertRejectsWith, assertTrue } from "../assert.ts";
import { LeaseLostError, NotFoundError } from "../../src/client/mod.ts";
import { sleep, waitFor, withCluster } from "../cluster/harness.ts";
import { clientOf } from "./on_cluster.ts";

/** Elections slow enough that a busy machine does not miss a TTL; the shortest TTL then. */
const HEARTBEAT_MS = 40;
const ELECTION_MS = 400;
const TTL_MS = 3 * ELECTION_MS;

Deno.test("client leases on three processes: keep-alives, disposal, loss", async (t) => {
  await withCluster({ heartbeatMs: HEARTBEAT_MS, electionMs: ELECTION_MS }, async (cluster) => {
    await cluster.form(3);
    using client = clientOf(cluster.running(), { timeoutMs: TTL_MS });

    await t.step("keep-alives hold it past several TTLs; revoke deletes its keys", async () => {
      const lease = await client.lease(TTL_MS);
      await client.put("svc/a", "x", { lease: lease.id });
      await sleep(TTL_MS * 3);
      assertTrue(!lease.signal.aborted, `lost: ${lease.signal.reason}`);
      const info = await lease.info();
      assertEquals(info.keys, ["svc/a"]);
      assertTrue(info.ttlMs > 0 && info.ttlMs <= TTL_MS, `ttlMs ${info.ttlMs}`);
      await lease.revoke();
      assertTrue(lease.signal.reason instanceof LeaseLostError);
      await assertRejectsWith(client.get("svc/a"), NotFoundError);
      await lease.revoke(); // a second revoke is a no-op
      await assertRejectsWith(client.leaseInfo(lease.id), NotFoundError);
    });

    await t.step("await using revokes at the end of the block", async () => {
      let id = 0;
      {
        await using lease = await client.lease(10_000);
        id = lease.id;
        await client.put("k", "v", { lease: id });
      }
      await assertRejectsWith(client.leaseInfo(id), NotFoundError);
      await assertRejectsWith(client.get("k"), NotFoundError);
    });

    await t.step(
      "when keep-alives stop getting through, the lease is lost and the server expires it",
      async () => {
        let cut = false;
        const fetch = (input: RequestInfo | URL, init?: RequestInit) =>
          cut ? Promise.reject(new TypeError("fetch failed")) : globalThis.fetch(input, init);
        using cutOff = clientOf(cluster.running(), { fetch, timeoutMs: TTL_MS });
        const lease = await cutOff.lease(TTL_MS);
        await cutOff.put("cut", "v", { lease: lease.id });
        cut = true;
        await waitFor(() => lease.signal.aborted, "the lease to be lost");
        const reason = lease.signal.reason as LeaseLostError;
        assertTrue(reason instanceof LeaseLostError);
        assertEquals(reason.id, lease.id);
        // The server expired it too: its key is gone.
        await waitFor(
          () => client.get("cut").then(() => false, (error) => error instanceof NotFoundError),
          "the key to vanish",
        );
        await lease[Symbol.asyncDispose]();
      },
    );

    await t.step("a lease the server no longer knows is lost at the next keep-alive", async () => {
      const lease = await client.lease(TTL_MS);
      await client.revokeLease(lease.id);
      await waitFor(() => lease.signal.aborted, "the lease to be lost");
      assertTrue(/expired on the server/.test((lease.signal.reason as Error).message));
      await lease.revoke();
      await assertRejectsWith(client.keepAliveLease(lease.id), NotFoundError);
    });
  });
});
