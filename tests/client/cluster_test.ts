// The client against real three-node clusters: every call today's node serves, leader
// discovery from followers only, membership, a leader killed or stopped mid-call.
import { assertEquals, assertRejectsWith, assertTrue } from "../assert.ts";
import {
  BadRequestError,
  IndeterminateError,
  NotFoundError,
  RafterClient,
} from "../../src/client/mod.ts";
import type { ReadLevel } from "../../src/api.ts";
import {
  type Cluster,
  freePorts,
  type NodeProcess,
  waitFor,
  withCluster,
} from "../cluster/harness.ts";

const LEVELS: readonly ReadLevel[] = ["stale", "default", "consistent"];
/** Concurrent writers and readers around a leader kill. */
const WORKERS = 3;
/** Calls per worker at most, so the test stays bounded whatever happens. */
const CALLS_PER_WORKER_MAX = 400;

function clientOf(nodes: readonly NodeProcess[], timeoutMs = 10_000): RafterClient {
  return new RafterClient({ endpoints: nodes.map((n) => `http://${n.httpAddr}`), timeoutMs });
}

function followers(cluster: Cluster, leader: NodeProcess): NodeProcess[] {
  return cluster.running().filter((n) => n !== leader);
}

Deno.test("client on three processes: put, get at every level, delete, status, members, errors", async () => {
  await withCluster({}, async (cluster) => {
    const leader = await cluster.form(3);
    using client = clientOf(followers(cluster, leader));
    const { index } = await client.put("raft", "paxos");
    assertEquals(client.leader, `http://${leader.httpAddr}`, "the 307 named the leader");
    for (const level of LEVELS) {
      // A stale read may come from a follower that has not applied the write yet.
      const record = level === "stale"
        ? await waitFor(() => client.get("raft", { level }), "a stale read to see the write")
        : await client.get("raft", { level });
      assertEquals([record.value, record.modIndex], ["paxos", index], level);
    }
    assertEquals(await client.delete("raft"), { key: "raft", deleted: true, index: index + 1 });
    assertEquals((await client.delete("raft")).deleted, false);
    await assertRejectsWith(client.get("raft", { level: "consistent" }), NotFoundError);
    await assertRejectsWith(client.put("", "x"), BadRequestError);

    const status = await client.status({ endpoint: cluster.node("n2").httpAddr });
    assertEquals([status.id, status.leaderId], ["n2", leader.id]);
    const members = await client.members();
    assertEquals(members.map((m) => m.id).sort(), ["n1", "n2", "n3"]);
    assertTrue(members.every((m) => m.voter && m.matchIndex > 0), "the leader's view");
  });
});

Deno.test("client on three processes: join adds a waiting node, remove takes one out", async () => {
  await withCluster({}, async (cluster) => {
    const leader = await cluster.form(3);
    using client = clientOf(cluster.running());
    // n4 asks a closed port to add it, so only the client's join can.
    const [closedPort] = freePorts(1);
    const n4 = cluster.add("n4", { join: `http://127.0.0.1:${closedPort}` });
    await waitFor(() => cluster.status(n4), "n4 to listen");
    const joined = await client.join({ id: "n4", raftAddr: n4.raftAddr, httpAddr: n4.httpAddr });
    assertEquals(joined.id, "n4");
    await cluster.leader({ voters: 4 });
    assertEquals((await client.join({ id: "n4", raftAddr: n4.raftAddr })).id, "n4", "a no-op");

    const victim = followers(cluster, leader).find((n) => n.id !== "n4")!;
    await client.remove(victim.id);
    await cluster.stop(victim);
    await cluster.leader({ voters: 3 });
    const ids = (await client.members()).map((m) => m.id).sort();
    assertEquals(ids, ["n1", "n2", "n3", "n4"].filter((id) => id !== victim.id));
    await client.put("after", "remove");
    assertEquals((await client.get("after", { level: "consistent" })).value, "remove");
  });
});

Deno.test("client on three processes: a leader kill mid-call loses no acknowledged write", async () => {
  await withCluster({}, async (cluster) => {
    const first = await cluster.form(3);
    using client = clientOf(cluster.running());
    const acked = new Map<string, string>();
    const outcomes = { ok: 0, indeterminate: 0, reads: 0 };
    const unexpected: string[] = [];
    let running = true;
    const writer = async (w: number) => {
      for (let i = 0; i < CALLS_PER_WORKER_MAX && running; i++) {
        try {
          await client.put(`w${w}-${i}`, `v${i}`);
          acked.set(`w${w}-${i}`, `v${i}`);
          outcomes.ok++;
        } catch (error) {
          if (error instanceof IndeterminateError) outcomes.indeterminate++;
          else unexpected.push(String(error));
        }
      }
    };
    const reader = async () => {
      for (let i = 0; i < CALLS_PER_WORKER_MAX && running; i++) {
        try {
          await client.get("w0-0", { level: "consistent" });
          outcomes.reads++;
        } catch (error) {
          if (!(error instanceof NotFoundError)) unexpected.push(`read: ${error}`);
        }
      }
    };
    const workers = [
      ...Array.from({ length: WORKERS }, (_, w) => writer(w)),
      reader(),
    ];
    try {
      await waitFor(() => outcomes.ok >= 20, "writes before the kill");
      await cluster.kill9(first);
      const okAtKill = outcomes.ok;
      await waitFor(() => outcomes.ok >= okAtKill + 20, "writes after the kill");
    } finally {
      running = false;
      await Promise.all(workers);
    }
    assertEquals(unexpected, [], "only successes and indeterminate writes");
    const missing = [];
    for (const [key, value] of acked) {
      const record = await client.get(key, { level: "consistent" });
      if (record.value !== value) missing.push(key);
    }
    assertEquals(missing, [], "every acknowledged write reads back");
    assertTrue(outcomes.reads > 0);
  });
});

Deno.test("client on three processes: an abort mid-call ends it at once; the client stays usable", async () => {
  await withCluster({}, async (cluster) => {
    const leader = await cluster.form(3);
    using client = clientOf([leader]);
    await client.put("k", "v");
    // A stopped process accepts connections and never answers.
    Deno.kill(leader.child!.pid, "SIGSTOP");
    try {
      const stop = new AbortController();
      const call = client.get("k", { signal: stop.signal });
      setTimeout(() => stop.abort(new Error("gave up")), 100);
      const error = await assertRejectsWith(call, Error);
      assertEquals(error.message, "gave up");
      using short = new RafterClient({ endpoints: [`http://${leader.httpAddr}`], timeoutMs: 300 });
      await assertRejectsWith(short.put("k", "w"), IndeterminateError);
    } finally {
      Deno.kill(leader.child!.pid, "SIGCONT");
    }
    // Today's node answers a write that finds no leader with a 503 of unknown outcome.
    await cluster.leader();
    using all = clientOf(cluster.running());
    await all.put("k2", "v2");
    assertEquals((await all.get("k2", { level: "consistent" })).value, "v2");
  });
});
