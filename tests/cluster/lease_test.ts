// Leases on real processes: an abandoned lease's keys vanish no earlier than its TTL and
// within its TTL plus two election timeouts; a lease kept alive outlives a kill -9 of the
// leader, while an abandoned one beside it still expires under the new leader.
import { assertEquals, assertTrue } from "../assert.ts";
import { RafterClient } from "../../src/client/mod.ts";
import { call, type ChangeEvent, WatchStream } from "./data_model.ts";
import { getConsistent, type NodeProcess, sleep, withCluster } from "./harness.ts";

const HEARTBEAT_MS = 50;
const ELECTION_MS = 500;
/** The shortest TTL a lease may have: three election timeouts. */
const TTL_MS = 3 * ELECTION_MS;
/** The kept-alive lease's TTL: long enough for its keep-alives to find the new leader. */
const KEPT_TTL_MS = 2 * TTL_MS;

/** Grants a lease of `ttlMs` on `leader` and attaches `keys` to it; answers its id. */
async function leaseWithKeys(leader: NodeProcess, ttlMs: number, keys: string[]) {
  const grant = await call(leader.httpAddr, "POST", "/lease", { ttlMs });
  assertEquals(grant.status, 200, grant.text);
  const { id } = grant.json() as { id: number };
  for (const key of keys) {
    const put = await call(leader.httpAddr, "POST", "/key", { key, value: "up", lease: id });
    assertEquals(put.status, 200, put.text);
  }
  return id;
}

/** Reads `watch` until it has seen a delete of every one of `keys`. */
async function deletesOf(watch: WatchStream, keys: string[]): Promise<void> {
  const left = new Set(keys);
  while (left.size > 0) {
    const event = await watch.next();
    assertTrue(event !== null && event.event !== "error", `watch ended: ${event?.data}`);
    if (event.event !== "change") continue;
    for (const change of (JSON.parse(event.data) as ChangeEvent).changes) {
      if (change.type === "delete") left.delete(change.key);
    }
  }
}

Deno.test("leases: an abandoned lease expires on time; a kept-alive one outlives a leader kill", async () => {
  await withCluster({ heartbeatMs: HEARTBEAT_MS, electionMs: ELECTION_MS }, async (cluster) => {
    const leader = await cluster.form(3);
    const follower = cluster.running().find((n) => n !== leader)!;

    // Abandoned: no keep-alive ever. Both keys go in one revocation entry.
    const watch = await WatchStream.open(follower.httpAddr, "prefix=gone/");
    assertEquals(watch.status, 200, watch.body);
    const grantedMs = performance.now();
    const abandoned = await leaseWithKeys(leader, TTL_MS, ["gone/a", "gone/b"]);
    const answeredMs = performance.now();
    await deletesOf(watch, ["gone/a", "gone/b"]);
    const vanishedMs = performance.now();
    watch.close();
    assertTrue(vanishedMs - grantedMs >= TTL_MS, "the keys lived their TTL");
    assertTrue(
      vanishedMs - answeredMs <= TTL_MS + 2 * ELECTION_MS,
      `the keys vanished ${(vanishedMs - answeredMs).toFixed(0)} ms after the grant`,
    );
    assertEquals((await call(leader.httpAddr, "GET", `/lease?id=${abandoned}`)).status, 404);

    // Kept alive by the client every TTL/3, through a kill -9 of the leader; beside it, an
    // abandoned lease granted half a TTL before the kill.
    using client = new RafterClient({
      endpoints: cluster.running().map((n) => `http://${n.httpAddr}`),
      timeoutMs: KEPT_TTL_MS,
    });
    await using kept = await client.lease(KEPT_TTL_MS);
    await client.put("kept/a", "up", { lease: kept.id });
    const lapsingWatch = await WatchStream.open(follower.httpAddr, "prefix=lapsing/");
    const lapsing = await leaseWithKeys(leader, TTL_MS, ["lapsing/a"]);
    await sleep(TTL_MS / 2);
    const killedMs = performance.now();
    await cluster.kill9(leader);
    const next = await cluster.leader({ among: cluster.running() });
    // A new leader gives every lease its full TTL again, so this one outlives its first term.
    await deletesOf(lapsingWatch, ["lapsing/a"]);
    lapsingWatch.close();
    assertTrue(performance.now() - killedMs >= TTL_MS, "a full TTL under the new leader");
    assertEquals((await call(next.httpAddr, "GET", `/lease?id=${lapsing}`)).status, 404);

    await sleep(Math.max(0, killedMs + 2 * KEPT_TTL_MS - performance.now()));
    assertTrue(!kept.signal.aborted, `the lease was lost: ${kept.signal.reason}`);
    const record = await getConsistent(next.httpAddr, "kept/a");
    assertEquals(record.status, 200, "the kept-alive lease's key outlived the leader");
    const info = await client.leaseInfo(kept.id);
    assertEquals(info.keys, ["kept/a"]);
    assertTrue(Number.isInteger(info.ttlMs) && info.ttlMs <= KEPT_TTL_MS, `ttlMs ${info.ttlMs}`);
    await kept.revoke();
    assertEquals((await getConsistent(next.httpAddr, "kept/a")).status, 404, "revoked with it");
  });
});

Deno.test("leases survive snapshots and a restart of every node; a new leader expires them after a full TTL", async () => {
  const snapshotEntries = 20;
  await withCluster(
    { heartbeatMs: HEARTBEAT_MS, electionMs: ELECTION_MS, snapshotEntries },
    async (cluster) => {
      const leader = await cluster.form(3);
      const kept = await leaseWithKeys(leader, 60_000, ["long/a", "long/b"]);
      const lapsing = await leaseWithKeys(leader, TTL_MS, ["short/a"]);
      // Enough entries that every node takes snapshots holding the leases.
      for (let i = 0; i < 3 * snapshotEntries; i++) {
        assertEquals(
          (await call(leader.httpAddr, "POST", "/key", { key: "fill", value: `${i}` })).status,
          200,
        );
      }
      for (const node of cluster.nodes) {
        assertTrue(node.lines.some((line) => line.includes("snapshot taken")), node.id);
        assertEquals((await cluster.stop(node)).code, 0, `${node.id} exit status`);
      }
      const restartedMs = performance.now();
      for (const node of cluster.nodes) cluster.restart(node);
      const next = await cluster.leader({ voters: 3 });

      const info = await call(next.httpAddr, "GET", `/lease?id=${kept}`);
      assertEquals(info.status, 200, info.text);
      assertEquals((info.json() as { keys: string[] }).keys, ["long/a", "long/b"]);
      assertEquals(
        (await call(next.httpAddr, "POST", "/lease/keepalive", { id: kept })).status,
        200,
      );
      // The short lease was granted long before the restart, yet lives a full TTL after it.
      const watch = await WatchStream.open(next.httpAddr, "prefix=short/");
      assertEquals(
        (await getConsistent(next.httpAddr, "short/a")).status,
        200,
        "not expired at once",
      );
      await deletesOf(watch, ["short/a"]);
      watch.close();
      assertTrue(performance.now() - restartedMs >= TTL_MS, "a full TTL after the restart");
      assertEquals((await call(next.httpAddr, "GET", `/lease?id=${lapsing}`)).status, 404);
      const revoked = await call(next.httpAddr, "DELETE", `/lease?id=${kept}`);
      assertEquals((revoked.json() as { deleted: number }).deleted, 2, revoked.text);
      assertEquals((await getConsistent(next.httpAddr, "long/a")).status, 404);
    },
  );
});
