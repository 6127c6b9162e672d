import { assertEquals, assertTrue } from "../assert.ts";
import {
  expectConsistent,
  forEachBounded,
  getKey,
  putKey,
  request,
  withCluster,
} from "./harness.ts";

/** Keys written before the restart. */
const KEYS = 120;

async function restartAll(snapshotEntries: number): Promise<void> {
  await withCluster({ snapshotEntries }, async (cluster) => {
    const leader = await cluster.form(3);
    const written = new Map<string, string>();
    await forEachBounded(Array.from({ length: KEYS }, (_, i) => i), 12, async (i) => {
      const answer = await putKey(leader.httpAddr, `k${i}`, `v${i}`);
      assertEquals(answer.status, 200, answer.text);
      written.set(`k${i}`, `v${i}`);
    });
    // Overwrites and a delete must survive too, not just first writes.
    assertEquals((await putKey(leader.httpAddr, "k0", "changed")).status, 200);
    written.set("k0", "changed");
    const deleted = await request(`http://${leader.httpAddr}/key?key=k1`, { method: "DELETE" });
    assertEquals(deleted.status, 200, deleted.text);
    assertEquals((deleted.json() as { deleted: boolean }).deleted, true);
    written.delete("k1");
    const termBefore = (await cluster.status(leader))!.term;
    if (snapshotEntries < KEYS) {
      for (const node of cluster.nodes) {
        assertTrue(node.lines.some((line) => line.includes("snapshot taken")), node.id);
      }
    }

    for (const node of cluster.nodes) {
      const status = await cluster.stop(node);
      assertEquals(status.code, 0, `${node.id} exit status`);
    }
    for (const node of cluster.nodes) cluster.restart(node);

    const next = await cluster.leader({ voters: 3 });
    assertTrue((await cluster.status(next))!.term > termBefore, "a new term after the restart");
    await expectConsistent(cluster.nodes, written);
    for (const node of cluster.nodes) {
      assertEquals((await getKey(node.httpAddr, "k1", "consistent")).status, 404, node.id);
    }
    const after = await putKey(next.httpAddr, "after", "restart");
    assertEquals(after.status, 200, after.text);
    await expectConsistent(cluster.nodes, new Map([["after", "restart"]]));
  });
}

Deno.test("SIGTERM on all three nodes and a restart keep every acknowledged write", async () => {
  await restartAll(10_000);
});

Deno.test("a full restart recovers from snapshots plus the log after them", async () => {
  await restartAll(25);
});
