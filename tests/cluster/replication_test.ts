import { assertEquals, assertTrue } from "../assert.ts";
import { getKey, putKey, request, waitFor, withCluster } from "./harness.ts";

Deno.test("three processes: a leader's write is read at every level on every node", async () => {
  await withCluster({}, async (cluster) => {
    const leader = await cluster.form(3);
    const followers = cluster.nodes.filter((n) => n !== leader);
    assertEquals(followers.length, 2);

    const written = await putKey(leader.httpAddr, "raft", "paxos");
    assertEquals(written.status, 200, written.text);
    const { index } = written.json() as { index: number };
    assertTrue(index > 0);

    for (const node of cluster.nodes) {
      // A follower applies asynchronously: stale reads may lag, but not forever.
      const stale = await waitFor(async () => {
        const answer = await getKey(node.httpAddr, "raft", "stale");
        return answer.status === 200 ? answer : null;
      }, `stale read of "raft" on ${node.id}`);
      assertEquals((stale.json() as { value: string }).value, "paxos");

      // Consistent reads are linearizable on any node: the write must be there at once.
      const consistent = await getKey(node.httpAddr, "raft", "consistent");
      assertEquals(consistent.status, 200, `${node.id}: ${consistent.text}`);
      assertEquals(consistent.json(), {
        key: "raft",
        value: "paxos",
        createIndex: index,
        modIndex: index,
      });
    }

    const onLeader = await getKey(leader.httpAddr, "raft", "default");
    assertEquals(onLeader.status, 200, onLeader.text);
    assertEquals((onLeader.json() as { value: string }).value, "paxos");

    for (const follower of followers) {
      const redirect = await getKey(follower.httpAddr, "raft", "default");
      assertEquals(redirect.status, 307, `${follower.id}: ${redirect.text}`);
      assertEquals(
        redirect.headers.get("location"),
        `http://${leader.httpAddr}/key?key=raft&level=default`,
      );
      const followed = await getKey(follower.httpAddr, "raft", "default", true);
      assertEquals(followed.status, 200, followed.text);
      assertEquals((followed.json() as { value: string }).value, "paxos");
    }
  });
});

Deno.test("three processes: a write on a follower is redirected to the leader and lands", async () => {
  await withCluster({}, async (cluster) => {
    const leader = await cluster.form(3);
    const follower = cluster.nodes.find((n) => n !== leader)!;

    const body = JSON.stringify({ key: "k", value: "v1" });
    const url = `http://${follower.httpAddr}/key?trace=a%20b&x=1`;
    const redirect = await request(url, { method: "POST", body, redirect: "manual" });
    assertEquals(redirect.status, 307, redirect.text);
    assertEquals(
      redirect.headers.get("location"),
      `http://${leader.httpAddr}/key?trace=a%20b&x=1`,
    );
    assertTrue((redirect.json() as { error: string }).error.includes(leader.httpAddr));
    // Nothing was written by the refused request.
    assertEquals((await getKey(leader.httpAddr, "k", "consistent")).status, 404);

    // fetch follows a 307 by sending the same method and body again.
    const followed = await request(url, { method: "POST", body });
    assertEquals(followed.status, 200, followed.text);
    assertEquals((followed.json() as { key: string }).key, "k");

    for (const node of cluster.nodes) {
      const read = await getKey(node.httpAddr, "k", "consistent");
      assertEquals(read.status, 200, `${node.id}: ${read.text}`);
      assertEquals((read.json() as { value: string }).value, "v1");
    }
  });
});
