// The lock and election recipes against a real three-node cluster: one holder at a time, a
// waiter that takes over when the holder releases or dies (its client cut off as if its
// process had died), an aborted wait that leaves no lease behind, and leadership observed as
// it changes.
import { assertEquals, assertRejectsWith, assertTrue } from "../assert.ts";
import { elect, lock, NotFoundError } from "../../src/client/mod.ts";
import { sleep, waitFor, withCluster } from "../cluster/harness.ts";
import { clientOf, mortalClient } from "./on_cluster.ts";

/** Elections slow enough that a busy machine does not miss a TTL; the shortest TTL then. */
const HEARTBEAT_MS = 40;
const ELECTION_MS = 400;
const TTL_MS = 3 * ELECTION_MS;

Deno.test("client recipes on three processes: lock and elect", async (t) => {
  await withCluster({ heartbeatMs: HEARTBEAT_MS, electionMs: ELECTION_MS }, async (cluster) => {
    await cluster.form(3);
    const nodes = cluster.running();
    using reader = clientOf(nodes);
    const options = { timeoutMs: TTL_MS };

    await t.step(
      "lock: one holder at a time; the waiter takes the lock when it is released",
      async () => {
        const a = mortalClient(nodes, options);
        const b = mortalClient(nodes, options);
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
        assertEquals((await reader.get("locks/job")).value, `lease ${second.lease.id}`);
        await second.release();
        await assertRejectsWith(reader.get("locks/job"), NotFoundError);
      },
    );

    await t.step(
      "lock: when the holder dies, its lease expires and the waiter takes over",
      async () => {
        const a = mortalClient(nodes, options);
        const b = mortalClient(nodes, options);
        const held = await a.client.lock("locks/job", { ttlMs: TTL_MS });
        const waiting = b.client.lock("locks/job", { ttlMs: TTL_MS });
        a.kill();
        const second = await waiting;
        await waitFor(() => held.signal.aborted, "the dead holder's lock to report itself lost");
        assertTrue(!second.signal.aborted);
        assertEquals((await reader.get("locks/job")).modIndex, second.index);
        await second.release();
        await held[Symbol.asyncDispose]();
      },
    );

    await t.step("lock: an aborted wait gives up and revokes its own lease", async () => {
      const a = mortalClient(nodes, options);
      const b = mortalClient(nodes, options);
      const held = await a.client.lock("locks/job", { ttlMs: TTL_MS });
      const stop = new AbortController();
      const waiting = b.client.lock("locks/job", { ttlMs: TTL_MS, signal: stop.signal });
      await sleep(TTL_MS / 2);
      stop.abort(new Error("no longer needed"));
      const error = await assertRejectsWith(waiting, Error);
      assertEquals(error.message, "no longer needed");
      // Lease ids are log indexes: every lease granted after the holder's is gone.
      const { commitIndex } = (await cluster.status(await cluster.leader()))!;
      for (let id = held.lease.id + 1; id <= commitIndex; id++) {
        await assertRejectsWith(reader.leaseInfo(id), NotFoundError);
      }
      assertEquals((await reader.leaseInfo(held.lease.id)).keys, ["locks/job"]);
      await held.release();
    });

    await t.step(
      "elect: campaign waits for the leader to resign; observe sees every change",
      async () => {
        const a = mortalClient(nodes, options);
        const b = mortalClient(nodes, options);
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
      },
    );

    await t.step("elect: a leader that dies is replaced within its lease TTL", async () => {
      const a = mortalClient(nodes, options);
      const b = mortalClient(nodes, options);
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
    });
  });
});
