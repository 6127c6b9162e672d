import { assertEquals, assertTrue } from "../assert.ts";
import {
  type Cluster,
  expectConsistent,
  forEachBounded,
  getKey,
  type NodeProcess,
  putKey,
  request,
  waitFor,
  withCluster,
} from "./harness.ts";

/** Entries between snapshots on every node: far fewer than the keys written. */
const SNAPSHOT_ENTRIES = 50;
/** Keys written before the fourth node joins. */
const KEYS = 200;

async function writeKeys(leader: NodeProcess, count: number): Promise<Map<string, string>> {
  const written = new Map<string, string>();
  await forEachBounded(Array.from({ length: count }, (_, i) => i), 16, async (i) => {
    const key = `key-${i}`;
    const answer = await putKey(leader.httpAddr, key, `value-${i}`);
    assertEquals(answer.status, 200, `${key}: ${answer.text}`);
    written.set(key, `value-${i}`);
  });
  return written;
}

async function memberIds(cluster: Cluster, node: NodeProcess): Promise<string[]> {
  const status = await cluster.status(node);
  return (status?.members ?? []).map((m) => m.id).sort();
}

Deno.test("a node joining after many snapshots is brought up to date by a snapshot", async () => {
  await withCluster({ snapshotEntries: SNAPSHOT_ENTRIES }, async (cluster) => {
    const leader = await cluster.form(3);
    const written = await writeKeys(leader, KEYS);
    // Several snapshots were taken: the log no longer starts at index 1.
    await waitFor(
      async () => ((await cluster.status(leader))?.snapshotIndex ?? 0) >= SNAPSHOT_ENTRIES,
      "a snapshot on the leader",
    );

    const fourth = cluster.add("n4", { join: `http://${leader.httpAddr}` });
    await cluster.leader({ voters: 4 });
    await waitFor(
      () => fourth.lines.some((line) => line.includes("installed snapshot")),
      `"installed snapshot" in the log of n4`,
    );
    const commit = (await cluster.status(leader))!.commitIndex;
    await waitFor(
      async () => ((await cluster.status(fourth))?.appliedIndex ?? 0) >= commit,
      `n4 to apply up to ${commit}`,
    );
    const missing: string[] = [];
    await forEachBounded([...written], 8, async ([key, value]) => {
      const answer = await getKey(fourth.httpAddr, key, "stale");
      if (answer.status !== 200 || (answer.json() as { value: string }).value !== value) {
        missing.push(`${key}: ${answer.status}`);
      }
    });
    assertEquals(missing, []);
    assertTrue(leader.lines.some((line) => /sending snapshot to=n4\b/.test(line)));
  });
});

Deno.test("/remove takes members out by POST and GET; the rest keeps serving", async () => {
  await withCluster({}, async (cluster) => {
    const leader = await cluster.form(4);
    const [first, second] = cluster.nodes.filter((n) => n !== leader);
    assertTrue(first !== undefined && second !== undefined);
    const before = await writeKeys(leader, 10);

    const posted = await request(`http://${leader.httpAddr}/remove`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: first.id }),
    });
    assertEquals(posted.status, 200, posted.text);
    assertEquals((posted.json() as { id: string }).id, first.id);
    assertTrue(!(await memberIds(cluster, leader)).includes(first.id));

    // The GET form, sent to a follower: it redirects to the leader, and fetch follows.
    const remaining = cluster.nodes.filter((n) => n !== first);
    const follower = remaining.find((n) => n !== leader && n !== second)!;
    const got = await request(`http://${follower.httpAddr}/remove?id=${second.id}`);
    assertEquals(got.status, 200, got.text);
    assertEquals((got.json() as { id: string }).id, second.id);

    const members = remaining.filter((n) => n !== second);
    assertEquals(members.map((n) => n.id).sort(), await memberIds(cluster, leader));
    for (const node of members) {
      await waitFor(
        async () => (await memberIds(cluster, node)).length === 2,
        `${node.id} to see two members`,
      );
    }
    const unknown = await request(`http://${leader.httpAddr}/remove?id=${first.id}`, {
      method: "POST",
    });
    assertEquals(unknown.status, 400, unknown.text);

    // Two voters left, both needed: writes and consistent reads still work,
    // while the removed nodes are still running.
    const now = await cluster.leader({ among: members, voters: 2 });
    const after = await writeKeys(now, 10);
    for (const [key, value] of after) before.set(key, value);
    await expectConsistent(members, before);
    assertTrue(first.child !== null && second.child !== null);
  });
});

Deno.test("nodes join through a bare host:port and through a URL with a trailing slash", async () => {
  await withCluster({}, async (cluster) => {
    const first = cluster.add("n1", { bootstrap: true });
    await cluster.leader({ voters: 1 });
    cluster.add("n2", { join: first.httpAddr });
    cluster.add("n3", { join: `http://${first.httpAddr}/` });
    const leader = await cluster.leader({ voters: 3 });
    const written = await writeKeys(leader, 5);
    await expectConsistent(cluster.nodes, written);
  });
});
