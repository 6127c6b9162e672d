/**
 * The store dialect's walkthrough (docs/COMPATIBILITY.md §2) against real
 * processes started plainly and joined through `POST /raft/join`.
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
  pollStatus,
  startAlone,
  waitLeaderless,
} from "./dialect_helpers.ts";
import { type Answer, type NodeProcess, withCluster } from "./harness.ts";

interface Stats {
  node: { id: string; clusterId: string; raftAddr: string; httpAddr: string };
  raft: Record<string, unknown> & {
    latest_configuration: { id: string; address: string; suffrage: string }[];
  };
}

function store(node: NodeProcess, body: unknown, follow = false) {
  return call(node.httpAddr, "POST", "/store/", { body, follow });
}

function raftJoin(leader: NodeProcess, body: unknown) {
  return call(leader.httpAddr, "POST", "/raft/join", { body });
}

function raftRemove(node: NodeProcess, body: unknown) {
  return call(node.httpAddr, "POST", "/raft/remove", { body });
}

function dataOf(answer: Answer): Record<string, unknown> {
  const data = bodyOf(answer).data;
  assertTrue(typeof data === "object" && data !== null, answer.text);
  return data as Record<string, unknown>;
}

async function statsOf(node: NodeProcess): Promise<Stats> {
  const answer = await expectAnswer("stats", call(node.httpAddr, "GET", "/raft/stats"), 200);
  assertEquals(bodyOf(answer).message, "here is the raft status");
  return dataOf(answer) as unknown as Stats;
}

async function expectJoined(leader: NodeProcess, node: NodeProcess): Promise<void> {
  const body = { node_id: node.id, raft_address: node.raftAddr };
  const answer = await expectAnswer(`join ${node.id}`, raftJoin(leader, body), 200);
  const data = dataOf(answer);
  assertEquals([data.id, data.raftAddr], [node.id, node.raftAddr]);
  assertEquals(typeof data.index, "number");
  const message = `node ${node.id} at ${node.raftAddr} joined successfully`;
  assertEquals(bodyOf(answer).message, message);
}

async function expectStats(leader: NodeProcess, follower: NodeProcess, members: NodeProcess[]) {
  const stats = await statsOf(leader);
  assertEquals(stats.node, {
    id: leader.id,
    clusterId: stats.node.clusterId,
    raftAddr: leader.raftAddr,
    httpAddr: leader.httpAddr,
  });
  assertEquals(stats.raft.state, "Leader");
  assertEquals(stats.raft.leader_id, leader.id);
  assertEquals(stats.raft.num_peers, String(members.length - 1));
  for (const name of ["term", "commit_index", "applied_index", "last_log_index"]) {
    assertTrue(/^\d+$/.test(String(stats.raft[name])), `${name} is a string of digits`);
    assertEquals(typeof stats.raft[name], "string", name);
  }
  const configuration = stats.raft.latest_configuration.map((m) =>
    `${m.id} ${m.address} ${m.suffrage}`
  );
  assertEquals(configuration.sort(), members.map((n) => `${n.id} ${n.raftAddr} Voter`).sort());
  const theirs = await statsOf(follower);
  assertEquals(theirs.raft.state, "Follower");
  assertEquals(theirs.raft.leader_http_addr, leader.httpAddr);
  assertEquals(theirs.node.httpAddr, follower.httpAddr, "learned from the handshake");
}

async function expectStored(node: NodeProcess, key: string, value: string): Promise<void> {
  const answer = await pollStatus(node.httpAddr, `/store/${key}`, 200);
  assertEquals(bodyOf(answer), { data: { key, value }, message: "success fetching data" });
}

Deno.test("store dialect: join, store, read, redirect, delete, remove and errors on three nodes", async () => {
  await withCluster({ heartbeatMs: 20, electionMs: 200 }, async (cluster) => {
    const [n1, n2, n3, n4] = await startAlone(cluster, ["n1", "n2", "n3", "n4"]);
    assertTrue(n1 !== undefined && n2 !== undefined && n3 !== undefined && n4 !== undefined);

    await expectJoined(n1, n2);
    await expectJoined(n1, n3);
    await expectFormed(cluster, n1, [n1, n2, n3]);
    await expectStats(n1, n2, [n1, n2, n3]);

    // Write on the leader, read on a follower.
    const stored = await expectAnswer("store", store(n1, { key: "raft", value: "paxos" }), 200);
    assertEquals(bodyOf(stored), {
      data: { key: "raft", value: "paxos" },
      message: "success persisting data",
    });
    await expectStored(n2, "raft", "paxos");

    // Writes and cluster changes on a follower are redirected to the leader.
    const body = { key: "a", value: "1" };
    expectRedirect("store on a follower", await store(n2, body), n1, "/store/");
    const followed = await expectAnswer("store, redirect followed", store(n2, body, true), 200);
    assertEquals(dataOf(followed), body);
    await expectStored(n3, "a", "1");
    const removeN3 = { node_id: "n3", raft_address: n3.raftAddr };
    expectRedirect("remove on a follower", await raftRemove(n3, removeN3), n1, "/raft/remove");
    const joinN9 = { node_id: "n9", raft_address: "127.0.0.1:7999" };
    expectRedirect("join on a follower", await raftJoin(n2, joinN9), n1, "/raft/join");
    const deleteOnFollower = await call(n3.httpAddr, "DELETE", "/store/raft");
    expectRedirect("delete on a follower", deleteOnFollower, n1, "/store/raft");

    // Delete.
    const deleted = await expectAnswer("delete", call(n1.httpAddr, "DELETE", "/store/raft"), 200);
    assertEquals(bodyOf(deleted), {
      data: { key: "raft", deleted: true },
      message: "success removing data",
    });
    const absent = await expectAnswer(
      "delete again",
      call(n1.httpAddr, "DELETE", "/store/raft"),
      200,
    );
    assertEquals(dataOf(absent).deleted, false);
    const missing = await pollStatus(n2.httpAddr, "/store/raft", 404);
    assertEquals(bodyOf(missing).error, 'Key "raft" not found');

    // Error cases.
    await expectAnswer("no value", store(n1, { key: "a" }), 400, /"value"/);
    await expectAnswer("not json", store(n1, "key=a&value=1"), 400, /not valid JSON/);
    await expectAnswer(
      "join without address",
      raftJoin(n1, { node_id: "n9" }),
      400,
      /raft_address/,
    );
    await expectAnswer(
      "join with a bad id",
      raftJoin(n1, { node_id: "", raft_address: "127.0.0.1:7999" }),
      400,
      /node_id/,
    );
    await expectAnswer("remove without id", raftRemove(n1, {}), 400, /node_id/);
    await expectAnswer(
      "remove with a bad address",
      raftRemove(n1, { node_id: "n3", raft_address: "nohost" }),
      400,
      /raft_address/,
    );
    await expectAnswer("remove a stranger", raftRemove(n1, { node_id: "n9" }), 400, /not a member/);
    await expectAnswer("missing key", call(n1.httpAddr, "GET", "/store/missing"), 404, /"missing"/);
    const longKey = "k".repeat(4097);
    await expectAnswer("key too long", call(n1.httpAddr, "GET", `/store/${longKey}`), 400, /"key"/);

    // A node that applied a client write refuses to be adopted.
    await expectRefusedAdoption(n1, n4, {
      write: (loner) => store(loner, { key: "kept", value: "data" }),
      join: (leader, loner) =>
        raftJoin(leader, { node_id: loner.id, raft_address: loner.raftAddr }),
      read: (loner) => call(loner.httpAddr, "GET", "/store/kept"),
    });

    // Remove n3; the cluster keeps serving with two members.
    const removed = await expectAnswer("remove n3", raftRemove(n1, removeN3), 200);
    assertEquals(dataOf(removed).id, "n3");
    assertEquals(typeof dataOf(removed).index, "number");
    assertEquals(bodyOf(removed).message, "node n3 removed successfully");
    await expectAnswer("store after removal", store(n1, { key: "after", value: "removal" }), 200);
    await expectStored(n2, "after", "removal");
    const stats = await statsOf(n1);
    assertEquals(stats.raft.latest_configuration.map((m) => m.id).sort(), ["n1", "n2"]);

    // Without a quorum, writes, deletes and joins answer 503 with Retry-After.
    await cluster.stop(n2);
    await waitLeaderless(cluster, n1);
    expectUnavailable("store without leader", await store(n1, { key: "b", value: "2" }));
    expectUnavailable("delete without leader", await call(n1.httpAddr, "DELETE", "/store/a"));
    expectUnavailable("join without leader", await raftJoin(n1, joinN9));
    expectUnavailable("remove without leader", await raftRemove(n1, { node_id: "n2" }));
    await expectStored(n1, "a", "1");
  });
});
