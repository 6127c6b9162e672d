/**
 * The set/get/join dialect's walkthrough (docs/COMPATIBILITY.md §1) against
 * real processes started plainly and joined through `POST /join?nodeid&nodeaddr`.
 */

import { assertEquals, assertTrue } from "../assert.ts";
import {
  bodyOf,
  call,
  expectAnswer,
  expectFormed,
  expectRefusedAdoption,
  failOver,
  pollStatus,
  startAlone,
  waitLeaderless,
} from "./dialect_helpers.ts";
import { type NodeProcess, withCluster } from "./harness.ts";

function set(node: NodeProcess, body: unknown) {
  return call(node.httpAddr, "POST", "/set", { body });
}

function join(leader: NodeProcess, id: string, raftAddr: string) {
  return call(leader.httpAddr, "POST", `/join?nodeid=${id}&nodeaddr=${raftAddr}`);
}

async function expectValue(node: NodeProcess, key: string, value: string): Promise<void> {
  const answer = await pollStatus(node.httpAddr, `/get?key=${key}`, 200);
  const body = bodyOf(answer);
  assertEquals([body.key, body.value], [key, value], `${key} on ${node.id}`);
  assertTrue(typeof body.createIndex === "number" && typeof body.modIndex === "number");
}

Deno.test("set/get dialect: join, set, get, delete, forwarding and errors on three nodes", async () => {
  await withCluster({ heartbeatMs: 20, electionMs: 200 }, async (cluster) => {
    const [n1, n2, n3, n4] = await startAlone(cluster, ["n1", "n2", "n3", "n4"]);
    assertTrue(n1 !== undefined && n2 !== undefined && n3 !== undefined && n4 !== undefined);

    // Joins name only the raft address; the second one sends its fields as a JSON body.
    const first = await expectAnswer("join n2", join(n1, "n2", n2.raftAddr), 200);
    assertEquals(bodyOf(first).id, "n2");
    assertEquals(typeof bodyOf(first).index, "number");
    const second = await expectAnswer(
      "join n3 by body",
      call(n1.httpAddr, "POST", "/join", { body: { nodeid: "n3", nodeaddr: n3.raftAddr } }),
      200,
    );
    assertEquals(bodyOf(second).id, "n3");
    await expectFormed(cluster, n1, [n1, n2, n3]);

    await expectAnswer(
      "join on a follower",
      call(n2.httpAddr, "POST", "/join?nodeid=n9&nodeaddr=127.0.0.1:7999"),
      400,
      /not the leader/,
    );
    await expectAnswer("bad nodeid", join(n1, "a b", "127.0.0.1:7999"), 400, /nodeid/);
    await expectAnswer("bad nodeaddr", join(n1, "n9", "nohost"), 400, /nodeaddr/);

    // Write on the leader, read on a follower.
    const written = await expectAnswer("set", set(n1, { key: "raft", value: "paxos" }), 200);
    assertEquals(bodyOf(written).key, "raft");
    assertEquals(typeof bodyOf(written).index, "number");
    await expectValue(n2, "raft", "paxos");

    // A write sent to a follower is forwarded, not redirected.
    const via = { key: "via", value: "follower", action: "set" };
    const forwarded = await expectAnswer("set on a follower", set(n3, via), 200);
    assertEquals(bodyOf(forwarded).key, "via");
    await expectValue(n1, "via", "follower");
    // `/get` also takes rafter's read levels; a consistent read on a follower asks the leader.
    const consistent = call(n2.httpAddr, "GET", "/get?key=via&level=consistent");
    assertEquals(bodyOf(await expectAnswer("consistent get", consistent, 200)).value, "follower");
    const level = call(n2.httpAddr, "GET", "/get?key=via&level=eventual");
    await expectAnswer("bad level", level, 400, /"eventual"/);

    // Delete, then the key is gone everywhere.
    const deleted = await expectAnswer("delete", set(n1, { key: "raft", action: "delete" }), 200);
    assertEquals([bodyOf(deleted).key, bodyOf(deleted).deleted], ["raft", true]);
    assertEquals(typeof bodyOf(deleted).index, "number");
    const again = await expectAnswer(
      "delete again",
      set(n1, { key: "raft", action: "delete" }),
      200,
    );
    assertEquals(bodyOf(again).deleted, false);
    const missing = await pollStatus(n2.httpAddr, "/get?key=raft", 404);
    assertEquals(bodyOf(missing).error, 'Key "raft" not found');

    // Error cases.
    await expectAnswer("not json", set(n1, "not json"), 400, /not valid JSON/);
    await expectAnswer("bad action", set(n1, { key: "a", action: "drop" }), 400, /"drop"/);
    await expectAnswer("no value", set(n1, { key: "a" }), 400, /"value"/);
    await expectAnswer("number key", set(n1, { key: 1, value: "v" }), 400, /"key"/);
    await expectAnswer("get without key", call(n1.httpAddr, "GET", "/get"), 400, /"key"/);
    await expectAnswer("get empty key", call(n1.httpAddr, "GET", "/get?key="), 400, /"key"/);

    // A node that applied a client write refuses to be adopted.
    await expectRefusedAdoption(n1, n4, {
      write: (loner) => set(loner, { key: "kept", value: "data" }),
      join: (leader, loner) => join(leader, loner.id, loner.raftAddr),
      read: (loner) => call(loner.httpAddr, "GET", "/get?key=kept"),
    });

    // The new leader's HTTP address came from its handshake: forwarding reaches it.
    const next = await failOver(cluster, n1, [n2, n3]);
    const other = next === n2 ? n3 : n2;
    await expectAnswer(
      "set forwarded to the new leader",
      set(other, { key: "k", value: "v" }),
      200,
    );
    await expectValue(next, "k", "v");

    // With one node of three left, a write fails with 500.
    await cluster.stop(other);
    await waitLeaderless(cluster, next);
    const joinNoLeader = join(next, "n9", "127.0.0.1:7999");
    await expectAnswer("join without leader", joinNoLeader, 400, /no leader is known/);
    await expectAnswer(
      "set without quorum",
      set(next, { key: "k", value: "w" }),
      500,
      /^Write failed/,
    );
  });
});
