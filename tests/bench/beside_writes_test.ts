// watch-fanout and lease-keepalive, shrunk, against a real three-node cluster: the watches
// of every key get every acknowledged write, deliveries are timed, no lease is lost, and both
// report the write rate beside the run without them.
import { assertEquals, assertTrue } from "../assert.ts";
import { runLeaseKeepalive, runWatchFanout } from "../../bench/beside_writes.ts";
import type { LoadOptions } from "../../bench/load.ts";
import { withCluster } from "../cluster/harness.ts";

// Long enough that a busy machine does not hold an election mid-run (the load goes to the leader).
const ELECTION_MS = 1000;

Deno.test("watch-fanout and lease-keepalive run and report on a real cluster", async () => {
  await withCluster({ electionMs: ELECTION_MS }, async (cluster) => {
    const leader = await cluster.form(3);
    const follower = cluster.running().find((n) => n !== leader)!;
    const load: LoadOptions = {
      url: `http://${leader.httpAddr}`,
      target: "rafter",
      op: "write",
      mode: "random",
      connections: 4,
      durationMs: 500,
      keys: 50,
      valueBytes: 20,
      timeoutMs: 5_000,
      client: "raw",
    };
    const beside = {
      watchUrl: `http://${follower.httpAddr}`,
      watchersPerKey: 20,
      watchersWholeSpace: 2,
      leases: 30,
      leaseTtlMs: 3 * ELECTION_MS * 2,
    };

    const fanout = await runWatchFanout(load, 1, beside);
    assertEquals(fanout.errors, 0, fanout.firstError);
    const watched = fanout.extra!;
    assertEquals([watched.watchers, watched.missed, watched.ended], [22, 0, 0]);
    assertTrue(fanout.requests > 0 && (watched["alone-req/s"] as number) > 0);
    // Every write reaches both watches of every key, and some reach a watch of their key.
    assertTrue((watched.events as number) >= 2 * fanout.requests, JSON.stringify(watched));
    assertTrue((watched["delivery-p99-ms"] as number) > 0, JSON.stringify(watched));

    const leases = await runLeaseKeepalive(load, 1, beside);
    assertEquals(leases.errors, 0, leases.firstError);
    const kept = leases.extra!;
    assertEquals([kept.leases, kept.lost, kept.failed], [30, 0, 0]);
    assertTrue((kept["keepalives/s"] as number) > 0, JSON.stringify(kept));
  });
});
