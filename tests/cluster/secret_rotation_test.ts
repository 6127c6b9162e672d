/**
 * Rotating the cluster secret with two rolling restarts while a client
 * writes: first every node restarts with the old secret then the new one in
 * its file (it still proves the old one and now accepts both), then every
 * node with the new one first (it proves the new one and still accepts the
 * old one). At every step the restarted node rejoins, and no write waits
 * beyond the client's retry bound.
 */

import { assertEquals, assertTrue } from "../assert.ts";
import {
  type Cluster,
  expectConsistent,
  type NodeProcess,
  putRetrying,
  waitFor,
  withCluster,
} from "./harness.ts";

const OLD = "old-secret-".padEnd(48, "o");
const NEW = "new-secret-".padEnd(48, "n");

/** Writes keys one after another until stopped; a write that cannot land in 10 s is downtime. */
function startWriter(cluster: Cluster) {
  const acked = new Map<string, string>();
  const failed: string[] = [];
  let running = true;
  const done = (async () => {
    // Bounded: at most this many writes, and the test stops it far sooner.
    for (let i = 0; running && i < 100_000; i++) {
      const key = `rotation-${i}`;
      const addrs = cluster.running().map((n) => n.httpAddr);
      if (await putRetrying(addrs, key, `v${i}`, 10_000)) acked.set(key, `v${i}`);
      else failed.push(key);
    }
  })();
  return {
    acked,
    failed,
    async stop() {
      running = false;
      await done;
    },
  };
}

/** Followers first and the leader last, so each phase holds one election at most. */
async function rollingOrder(cluster: Cluster): Promise<NodeProcess[]> {
  const leader = await cluster.leader({ voters: 3 });
  return [...cluster.nodes.filter((n) => n !== leader), leader];
}

/** Waits until `node` has applied everything the leader has committed. */
async function caughtUp(cluster: Cluster, node: NodeProcess): Promise<void> {
  const leader = await cluster.leader({ voters: 3 });
  const commit = (await cluster.status(leader))?.commitIndex ?? Infinity;
  await waitFor(
    async () => ((await cluster.status(node))?.appliedIndex ?? -1) >= commit,
    `"${node.id}" to catch up to index ${commit}`,
  );
}

Deno.test("the cluster secret rotates with two rolling restarts while every write still lands", async () => {
  await withCluster({ heartbeatMs: 50, electionMs: 500 }, async (cluster) => {
    const path = `${cluster.dir}/cluster.secret`;
    await Deno.writeTextFile(path, `${OLD}\n`);
    await cluster.form(3, () => ["--cluster-secret-file", path]);
    const writer = startWriter(cluster);
    try {
      for (const contents of [`${OLD}\n${NEW}\n`, `${NEW}\n${OLD}\n`]) {
        await Deno.writeTextFile(path, contents);
        for (const node of await rollingOrder(cluster)) {
          await cluster.stop(node);
          cluster.restart(node);
          await caughtUp(cluster, node);
        }
      }
    } finally {
      await writer.stop();
    }
    assertEquals(writer.failed, [], "a write found no serving leader within 10 s");
    assertTrue(writer.acked.size > 20, `only ${writer.acked.size} writes during the rotation`);
    await expectConsistent(cluster.nodes, writer.acked);
    for (const node of cluster.nodes) {
      assertTrue(!node.lines.some((line) => line.includes("Cluster secret proof failed")));
    }
  });
});
