/**
 * `/metrics` of real processes in a three-node cluster: counters that move
 * by exactly N after N writes on every member, the leader's view of its
 * followers, peer traffic that adds up across the link, promtool's check
 * of a real node's output, and the counts of a lost quorum and a lost
 * leader.
 */

import { assertEquals, assertTrue } from "../assert.ts";
import { findTool, skipWithout } from "../tools.ts";
import { moved, promtoolCheck, sample, type Scrape, scrape } from "../metrics/scrape.ts";
import {
  type Cluster,
  type NodeProcess,
  putKey,
  request,
  sleep,
  waitFor,
  withCluster,
} from "./harness.ts";

const PROMTOOL = findTool("promtool");
const WRITES = 25;
const PUT_ROUTE = 'method="POST",route="/key"';

/** Waits until every running node has applied the leader's commit index; answers it. */
async function caughtUp(cluster: Cluster, leader: NodeProcess): Promise<number> {
  return await waitFor(async () => {
    const lead = await cluster.status(leader);
    if (lead === null) return null;
    const all = await Promise.all(cluster.running().map((n) => cluster.status(n)));
    return all.every((s) => s !== null && s.appliedIndex === lead.commitIndex)
      ? lead.commitIndex
      : null;
  }, "every member caught up");
}

async function scrapeAll(nodes: NodeProcess[]): Promise<Map<string, Scrape>> {
  return new Map(
    await Promise.all(nodes.map(async (n) => [n.id, await scrape(n.httpAddr)] as const)),
  );
}

Deno.test({
  name: "metrics of a real cluster: N writes move every member's counters by exactly N",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withCluster({}, async (cluster) => {
      const leader = await cluster.form(3);
      const followers = cluster.nodes.filter((n) => n !== leader);
      await caughtUp(cluster, leader);
      const before = await scrapeAll(cluster.nodes);
      let dataBytes = 0;
      for (let i = 0; i < WRITES; i++) {
        const [key, value] = [`metrics/${i}`, `value number ${i}`];
        assertEquals((await putKey(leader.httpAddr, key, value)).status, 200);
        dataBytes += key.length + value.length;
      }
      const commit = await caughtUp(cluster, leader);
      const after = await scrapeAll(cluster.nodes);
      for (const node of cluster.nodes) {
        const [b, a] = [before.get(node.id)!, after.get(node.id)!];
        const what = (metric: string) => `${metric} on ${node.id}`;
        for (const metric of ["rafter_raft_applied_index", "rafter_kv_keys"]) {
          assertEquals(moved(b, a, metric), WRITES, what(metric));
        }
        assertEquals(moved(b, a, "rafter_kv_bytes"), dataBytes, what("rafter_kv_bytes"));
        // One client writing in turn: the leader syncs each entry before it can commit
        // it; a follower that falls behind may receive several in one append.
        assertTrue(
          moved(b, a, "rafter_disk_wal_fsync_duration_seconds_count") >=
            (node === leader ? WRITES : 1),
          what("entries synced before they were acknowledged"),
        );
        assertEquals(
          moved(b, a, "rafter_disk_wal_write_bytes_total"),
          moved(b, a, "rafter_disk_wal_size_bytes"),
          what("WAL bytes written against the segments' growth"),
        );
        assertEquals(sample(a, "rafter_server_has_leader"), 1, what("has_leader"));
        assertEquals(sample(a, "rafter_server_is_leader"), node === leader ? 1 : 0);
        assertEquals(sample(a, "rafter_server_leader_changes_seen_total"), 1, what("changes"));
      }
      const [b, a] = [before.get(leader.id)!, after.get(leader.id)!];
      assertEquals(moved(b, a, "rafter_server_proposals_committed_total"), WRITES);
      assertEquals(moved(b, a, "rafter_server_proposals_applied_total"), WRITES);
      assertEquals(moved(b, a, `rafter_http_requests_total{${PUT_ROUTE},code="200"}`), WRITES);
      assertEquals(moved(b, a, `rafter_http_request_duration_seconds_count{${PUT_ROUTE}}`), WRITES);
      assertEquals(sample(a, "rafter_server_proposals_pending"), 0);
      assertEquals(moved(b, a, "rafter_server_proposals_failed_total"), 0);
      for (const f of followers) {
        assertEquals(sample(a, `rafter_raft_follower_match_index{peer="${f.id}"}`), commit);
        assertTrue(
          sample(a, `rafter_network_peer_round_trip_time_seconds_count{to="${f.id}"}`) > 0,
        );
        const fa = after.get(f.id)!;
        assertTrue(!fa.text.includes("rafter_raft_follower_match_index{"), "only on the leader");
        assertTrue(!fa.text.includes("rafter_network_peer_round_trip_time_seconds_count{"));
      }
      await trafficAddsUp(leader, followers[0]!);
      if (!skipWithout("promtool", PROMTOOL)) {
        for (const node of [leader, followers[0]!]) {
          const { code, output } = await promtoolCheck(PROMTOOL, after.get(node.id)!.text);
          assertEquals({ code, output }, { code: 0, output: "" }, `promtool on ${node.id}`);
        }
      }
    });
  },
});

/**
 * What the leader sent a follower reached it: the follower has read at
 * least what the leader had written a moment before, and never more than
 * the leader has written by a moment after.
 */
async function trafficAddsUp(leader: NodeProcess, follower: NodeProcess): Promise<void> {
  const sent = `rafter_network_peer_sent_bytes_total{to="${follower.id}"}`;
  const received = `rafter_network_peer_received_bytes_total{from="${leader.id}"}`;
  await waitFor(async () => {
    const early = sample(await scrape(leader.httpAddr), sent);
    await sleep(200);
    const read = sample(await scrape(follower.httpAddr), received);
    const late = sample(await scrape(leader.httpAddr), sent);
    return early > 0 && early <= read && read <= late;
  }, "the bytes sent to reach the follower");
}

Deno.test({
  name:
    "metrics of a real cluster: writes lost with the quorum fail and are counted; so are leader changes",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    // A longer election timeout keeps the writes pending long enough to be seen waiting.
    await withCluster({ heartbeatMs: 50, electionMs: 1000 }, async (cluster) => {
      const leader = await cluster.form(3);
      const followers = cluster.nodes.filter((n) => n !== leader);
      await caughtUp(cluster, leader);
      // Forming the cluster may itself have failed a proposal (a join refused while
      // another was in progress), so the counts are taken against this baseline.
      const base = await scrape(leader.httpAddr);
      const failedSince = (now: Scrape) => moved(base, now, "rafter_server_proposals_failed_total");
      for (const f of followers) cluster.pause(f);
      const writes = 4;
      // Settled at once, so a failure below is reported rather than hidden by these.
      const answers = Array.from(
        { length: writes },
        (_, i) => putKey(leader.httpAddr, `lost/${i}`, "v").catch((e: Error) => e),
      );
      const pending = await waitFor(async () => {
        const now = await scrape(leader.httpAddr);
        return sample(now, "rafter_server_proposals_pending") === writes ? now : null;
      }, "the writes waiting for a quorum");
      assertEquals(failedSince(pending), 0);
      for (const answer of await Promise.all(answers)) {
        if (answer instanceof Error) throw answer;
        assertEquals(answer.status, 503, answer.text);
      }
      const failed = await scrape(leader.httpAddr);
      assertEquals(failedSince(failed), writes);
      assertEquals(sample(failed, "rafter_server_proposals_pending"), 0);
      await waitFor(
        () => leader.lines.some((line) => /stepped down .*reason="lost quorum"/.test(line)),
        "the leader's step-down, for want of a quorum",
      );
      for (const f of followers) cluster.resume(f);
      const next = await cluster.leader();
      await caughtUp(cluster, next);

      // kill -9 of the leader: each survivor counts one more leader, and the new
      // leader counts what it could not send to the dead one.
      const survivors = cluster.nodes.filter((n) => n !== next);
      const counts = await scrapeAll(survivors);
      await cluster.kill9(next);
      const newest = await cluster.leader({ among: survivors });
      for (const node of survivors) {
        const now = await scrape(node.httpAddr);
        const changes = "rafter_server_leader_changes_seen_total";
        assertEquals(moved(counts.get(node.id)!, now, changes), 1, `${changes} on ${node.id}`);
      }
      assertTrue(
        newest.lines.some((line) => /election started .*reason="election timeout"/.test(line)),
      );
      await waitFor(async () => {
        const now = await scrape(newest.httpAddr);
        return sample(now, `rafter_network_peer_sent_failures_total{to="${next.id}"}`) > 0;
      }, "send failures to the killed leader");
      assertEquals((await request(`http://${newest.httpAddr}/livez`)).status, 200);
    });
  },
});
