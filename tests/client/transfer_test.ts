// Leadership transfer and graceful stop on real three-node clusters: a transfer to a named node
// through the client and the command line, and a rolling restart of every node under a write
// load in which no write fails except those reported indeterminate, and a stopping leader hands
// over instead of leaving the others to an election.
import { assertEquals, assertMatch, assertRejectsWith, assertTrue } from "../assert.ts";
import { BadRequestError, IndeterminateError, RafterClient } from "../../src/client/mod.ts";
import {
  type Cluster,
  forEachBounded,
  type NodeProcess,
  waitFor,
  withCluster,
} from "../cluster/harness.ts";
import { runRafter } from "../cli/run.ts";

/** Concurrent writers during the rolling restart. */
const WRITERS = 4;
/** Writes per writer at most, so the test stays bounded whatever happens. */
const WRITES_PER_WRITER_MAX = 20_000;
/** Long enough that a hand-off under a busy machine is not mistaken for a dead leader. */
const TIMING = { heartbeatMs: 50, electionMs: 1000 };

function clientOf(nodes: readonly NodeProcess[]): RafterClient {
  return new RafterClient({
    endpoints: nodes.map((n) => `http://${n.httpAddr}`),
    timeoutMs: 15_000,
  });
}

Deno.test("transfer-leader: to a named node through the client, to any voter through the CLI", async () => {
  await withCluster({}, async (cluster) => {
    const leader = await cluster.form(3);
    const others = cluster.running().filter((n) => n !== leader);
    using client = clientOf(others);
    const target = others[1]!;
    const moved = await client.transferLeader(target.id);
    assertEquals(moved.leaderId, target.id);
    const agreed = await cluster.leader();
    assertEquals(agreed.id, target.id);
    assertEquals((await cluster.status(agreed))!.term, moved.term);
    // To the leader itself: nothing to do.
    assertEquals((await client.transferLeader(target.id)).leaderId, target.id);
    await assertRejectsWith(client.transferLeader("n9"), BadRequestError);

    const env = { RAFTER_ENDPOINTS: cluster.running().map((n) => n.httpAddr).join(",") };
    const any = await runRafter(["transfer-leader", "--json"], { env });
    assertEquals([any.code, any.stderr], [0, ""]);
    const next = JSON.parse(any.stdout).leaderId;
    assertTrue(next !== target.id && cluster.running().some((n) => n.id === next), next);
    assertEquals((await cluster.leader()).id, next);
    const stranger = await runRafter(["transfer-leader", "n9"], { env });
    assertEquals(stranger.code, 2);
    assertMatch(stranger.stderr, /Node id "n9" is not a voter/);
  });
});

interface Outcomes {
  written: Map<string, string>;
  indeterminate: number;
  failed: string[];
}

/** A writer of unique keys until `stop` resolves; records every outcome. */
async function writer(client: RafterClient, w: number, stop: Promise<void>, out: Outcomes) {
  let stopped = false;
  stop.then(() => stopped = true);
  for (let n = 0; !stopped && n < WRITES_PER_WRITER_MAX; n++) {
    const key = `w${w}/${String(n).padStart(6, "0")}`;
    try {
      await client.put(key, `value ${n}`);
      out.written.set(key, `value ${n}`);
    } catch (error) {
      if (error instanceof IndeterminateError) out.indeterminate++;
      else out.failed.push(`${key}: ${error}`);
    }
  }
}

/** Waits until `node` is back: one agreed leader with three voters, and `node` caught up with it. */
async function rejoined(cluster: Cluster, node: NodeProcess): Promise<void> {
  const leader = await cluster.leader({ voters: 3 });
  const commit = (await cluster.status(leader))!.commitIndex;
  await waitFor(
    async () => ((await cluster.status(node))?.appliedIndex ?? 0) >= commit,
    `${node.id} to catch up to ${commit}`,
  );
}

/** Stops the leader with SIGTERM; checks it handed over and the others follow whom it named. */
async function stopLeader(cluster: Cluster, leader: NodeProcess): Promise<void> {
  const status = await cluster.stop(leader);
  assertEquals(status.code, 0);
  const handed = leader.lines.findLast((line) => line.includes("handed leadership over"));
  assertTrue(handed !== undefined, `no hand-off in the log of ${leader.id}`);
  const [, to, term] = /to=(\S+) term=(\d+)/.exec(handed)!;
  const others = cluster.running();
  const next = await cluster.leader({ among: others });
  // The leader it named leads in the term it named: nobody had to start another election.
  assertEquals([next.id, (await cluster.status(next))!.term], [to, Number(term)]);
}

Deno.test("rolling restart of all three nodes under writes: only indeterminate writes fail, no election", async () => {
  await withCluster(TIMING, async (cluster) => {
    await cluster.form(3);
    const nodes = [...cluster.running()];
    const out: Outcomes = { written: new Map(), indeterminate: 0, failed: [] };
    const stop = Promise.withResolvers<void>();
    const clients = Array.from({ length: WRITERS }, () => clientOf(nodes));
    const writing = Promise.all(clients.map((c, w) => writer(c, w, stop.promise, out)));
    try {
      let leaderStops = 0;
      for (const node of nodes) {
        const before = out.written.size;
        await waitFor(() => out.written.size >= before + 20, "writes before the next stop");
        if ((await cluster.leader()).id === node.id) {
          await stopLeader(cluster, node);
          leaderStops++;
        } else assertEquals((await cluster.stop(node)).code, 0);
        cluster.restart(node);
        await rejoined(cluster, node);
      }
      // Leadership goes to the most caught-up voter, which may be one not restarted yet.
      assertTrue(leaderStops >= 1, "a leader was among the nodes stopped");
      const before = out.written.size;
      await waitFor(() => out.written.size >= before + 20, "writes after the last restart");
    } finally {
      stop.resolve();
      await writing;
      for (const c of clients) c.close();
    }
    assertEquals(out.failed, [], "writes failed without being reported indeterminate");
    using reader = clientOf(cluster.running());
    const missing: string[] = [];
    await forEachBounded([...out.written], 8, async ([key, value]) => {
      const record = await reader.get(key, { level: "consistent" }).catch((e) => String(e));
      if (typeof record === "string" || record.value !== value) missing.push(key);
    });
    assertEquals(missing, [], "acknowledged writes read back");
    console.log(
      `rolling restart: ${out.written.size} writes acknowledged, ${out.indeterminate} indeterminate`,
    );
  });
});
