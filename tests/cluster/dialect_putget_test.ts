/**
 * The put/get/delete dialect's walkthrough (docs/COMPATIBILITY.md §3)
 * against real processes started plainly and joined through rafter's own
 * `/join?id&addr`, as that dialect's scripts do.
 */

import { assertEquals, assertTrue } from "../assert.ts";
import {
  bodyOf,
  call,
  expectAnswer,
  expectFormed,
  expectRedirect,
  expectRefusedAdoption,
  expectUnavailable,
  failOver,
  pollStatus,
  startAlone,
  waitLeaderless,
} from "./dialect_helpers.ts";
import { type NodeProcess, withCluster } from "./harness.ts";

function put(node: NodeProcess, body: unknown) {
  return call(node.httpAddr, "PUT", "/put", { body });
}

function join(leader: NodeProcess, node: NodeProcess) {
  return call(leader.httpAddr, "GET", `/join?id=${node.id}&addr=${node.raftAddr}`);
}

async function expectValue(node: NodeProcess, key: string, value: string): Promise<void> {
  const answer = await pollStatus(node.httpAddr, `/get?key=${encodeURIComponent(key)}`, 200);
  const body = bodyOf(answer);
  assertEquals([body.key, body.value], [key, value], `${key} on ${node.id}`);
  assertTrue(typeof body.createIndex === "number" && typeof body.modIndex === "number");
}

async function expectWritten(what: string, answer: ReturnType<typeof put>, key: string) {
  const body = bodyOf(await expectAnswer(what, answer, 200));
  assertEquals(body.key, key, what);
  assertEquals(typeof body.index, "number", what);
}

Deno.test("put/get/delete dialect: put, set by path, get, forwarding, delete and errors on three nodes", async () => {
  await withCluster({ heartbeatMs: 20, electionMs: 200 }, async (cluster) => {
    const [n1, n2, n3, n4] = await startAlone(cluster, ["n1", "n2", "n3", "n4"]);
    assertTrue(n1 !== undefined && n2 !== undefined && n3 !== undefined && n4 !== undefined);

    for (const node of [n2, n3]) {
      const joined = await expectAnswer(`join ${node.id}`, join(n1, node), 200);
      assertEquals(bodyOf(joined).id, node.id);
      assertEquals(typeof bodyOf(joined).index, "number");
    }
    await expectFormed(cluster, n1, [n1, n2, n3]);

    // Write on the leader (both write routes), read on a follower.
    await expectWritten("put", put(n1, { key: "raft", value: "paxos" }), "raft");
    await expectWritten("set by path", call(n1.httpAddr, "POST", "/set/color/blue"), "color");
    const encoded = call(n1.httpAddr, "POST", "/set/a%20b/c%2Fd%C3%A9");
    await expectWritten("set by encoded path", encoded, "a b");
    await expectValue(n2, "raft", "paxos");
    await expectValue(n3, "color", "blue");
    await expectValue(n2, "a b", "c/dé");

    // Writes on a follower are forwarded to the leader, whose answer comes back.
    const body = { key: "a", value: "1" };
    await expectWritten("put on a follower", put(n2, body), "a");
    await expectValue(n3, "a", "1");
    await expectWritten("set by path on a follower", call(n3.httpAddr, "POST", "/set/x/y"), "x");
    await expectValue(n2, "x", "y");
    const deleteOnFollower = await expectAnswer(
      "delete on a follower",
      call(n2.httpAddr, "DELETE", "/delete?key=x"),
      200,
    );
    assertEquals([bodyOf(deleteOnFollower).key, bodyOf(deleteOnFollower).deleted], ["x", true]);
    await pollStatus(n3.httpAddr, "/get?key=x", 404);
    const joinOnFollower = await call(n3.httpAddr, "GET", "/join?id=n9&addr=127.0.0.1:7999");
    expectRedirect("join on a follower", joinOnFollower, n1, "/join?id=n9&addr=127.0.0.1:7999");

    // Delete.
    const deleted = await expectAnswer(
      "delete",
      call(n1.httpAddr, "DELETE", "/delete?key=raft"),
      200,
    );
    assertEquals([bodyOf(deleted).key, bodyOf(deleted).deleted], ["raft", true]);
    assertEquals(typeof bodyOf(deleted).index, "number");
    const again = await expectAnswer(
      "delete again",
      call(n1.httpAddr, "DELETE", "/delete?key=raft"),
      200,
    );
    assertEquals(bodyOf(again).deleted, false);
    const missing = await pollStatus(n2.httpAddr, "/get?key=raft", 404);
    assertEquals(bodyOf(missing).error, 'Key "raft" not found');

    // Error cases.
    await expectAnswer("put without key", put(n1, { value: "1" }), 400, /"key"/);
    await expectAnswer("put not json", put(n1, "key=a&value=1"), 400, /not valid JSON/);
    await expectAnswer("delete without key", call(n1.httpAddr, "DELETE", "/delete"), 400, /"key"/);
    await expectAnswer("get absent", call(n1.httpAddr, "GET", "/get?key=nope"), 404, /"nope"/);
    await expectAnswer("get without key", call(n1.httpAddr, "GET", "/get"), 400, /"key"/);
    const longKey = "k".repeat(4097);
    await expectAnswer(
      "set by path, key too long",
      call(n1.httpAddr, "POST", `/set/${longKey}/v`),
      400,
      /"key"/,
    );

    // A node that applied a client write refuses to be adopted.
    await expectRefusedAdoption(n1, n4, {
      write: (loner) => put(loner, { key: "kept", value: "data" }),
      join: (leader, loner) => join(leader, loner),
      read: (loner) => call(loner.httpAddr, "GET", "/get?key=kept"),
    });

    // The new leader's HTTP address came from its handshake: forwarding reaches it.
    const next = await failOver(cluster, n1, [n2, n3]);
    const other = next === n2 ? n3 : n2;
    await expectWritten(
      "put on a follower after failover",
      put(other, { key: "b", value: "2" }),
      "b",
    );
    await expectValue(next, "b", "2");
    await expectValue(other, "b", "2");

    // Remove the stopped node with rafter's route; two members keep serving.
    const removed = await expectAnswer(
      "remove n1",
      call(next.httpAddr, "GET", "/remove?id=n1"),
      200,
    );
    assertEquals(bodyOf(removed).id, "n1");
    assertEquals(typeof bodyOf(removed).index, "number");
    await expectWritten("put after removal", put(next, { key: "c", value: "3" }), "c");
    await expectValue(other, "c", "3");

    // Without a quorum, writes answer 503 with Retry-After.
    await cluster.stop(other);
    await waitLeaderless(cluster, next);
    expectUnavailable("put without leader", await put(next, body));
    expectUnavailable("set by path without leader", await call(next.httpAddr, "POST", "/set/x/y"));
    expectUnavailable(
      "delete without leader",
      await call(next.httpAddr, "DELETE", "/delete?key=a"),
    );
  });
});
