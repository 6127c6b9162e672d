/**
 * The proxying dialect's walkthrough (docs/COMPATIBILITY.md §4) against real
 * processes started plainly and joined through `GET /join?peerAddress`, which
 * names neither the node's id nor its HTTP address.
 */

import { assertEquals, assertTrue } from "../assert.ts";
import {
  bodyOf,
  call,
  expectAnswer,
  expectFormed,
  expectRefusedAdoption,
  expectUnavailable,
  failOver,
  pollStatus,
  startAlone,
  waitLeaderless,
} from "./dialect_helpers.ts";
import { type NodeProcess, withCluster } from "./harness.ts";

/** Marks a request a node already forwarded (src/http/forward.ts). */
const FORWARDED = { "x-rafter-forwarded": "1" };

interface Peer {
  id: string;
  address: string;
  httpAddress: string;
}

function set(node: NodeProcess, body: unknown, headers: Record<string, string> = {}) {
  return call(node.httpAddr, "POST", "/set", { body, headers });
}

function del(node: NodeProcess, body: unknown, headers: Record<string, string> = {}) {
  return call(node.httpAddr, "POST", "/delete", { body, headers });
}

function join(via: NodeProcess, raftAddr: string) {
  return call(via.httpAddr, "GET", `/join?peerAddress=${raftAddr}`);
}

function peer(node: NodeProcess): Peer {
  return { id: node.id, address: node.raftAddr, httpAddress: node.httpAddr };
}

async function expectValue(node: NodeProcess, key: string, value: string): Promise<void> {
  const answer = await pollStatus(node.httpAddr, `/get?key=${key}`, 200);
  const body = bodyOf(answer);
  assertEquals([body.key, body.value], [key, value], `${key} on ${node.id}`);
  assertTrue(typeof body.createIndex === "number" && typeof body.modIndex === "number");
}

/** The dialect's view in `/status`: `me`, `leader` and `followers`, addresses included. */
async function expectView(node: NodeProcess, leader: NodeProcess, followers: NodeProcess[]) {
  const answer = await expectAnswer("status", call(node.httpAddr, "GET", "/status"), 200);
  const body = bodyOf(answer);
  assertEquals([body.id, body.role, body.leaderId], [
    node.id,
    node === leader ? "leader" : "follower",
    leader.id,
  ]);
  assertEquals(body.leaderHttpAddr, leader.httpAddr);
  assertEquals(body.me, peer(node));
  assertEquals(body.leader, peer(leader));
  const theirs = (body.followers as Peer[]).map((p) => JSON.stringify(p)).sort();
  assertEquals(theirs, followers.map((n) => JSON.stringify(peer(n))).sort());
}

async function expectDeleted(what: string, answer: ReturnType<typeof del>, key: string) {
  const body = bodyOf(await expectAnswer(what, answer, 200));
  assertEquals([body.key, body.deleted], [key, true], what);
  assertEquals(typeof body.index, "number", what);
}

Deno.test("proxying dialect: join by raft address, forwarded writes, delete, status and errors on three nodes", async () => {
  await withCluster({ heartbeatMs: 20, electionMs: 200 }, async (cluster) => {
    const [n1, n2, n3, n4] = await startAlone(cluster, ["n1", "n2", "n3", "n4"]);
    assertTrue(n1 !== undefined && n2 !== undefined && n3 !== undefined && n4 !== undefined);

    // The id in the answer is the joining node's own, learned from its handshake.
    const first = await expectAnswer("join n2", join(n1, n2.raftAddr), 200);
    assertEquals(bodyOf(first).id, "n2");
    assertEquals(typeof bodyOf(first).index, "number");
    // Sent to n2, now a follower: forwarded to n1, which adds n3.
    const second = await expectAnswer("join n3 through a follower", join(n2, n3.raftAddr), 200);
    assertEquals(bodyOf(second).id, "n3");
    await expectFormed(cluster, n1, [n1, n2, n3]);
    await expectView(n2, n1, [n2, n3]);
    await expectView(n1, n1, [n2, n3]);

    // Write on the leader, read on a follower.
    const written = await expectAnswer("set", set(n1, { key: "raft", value: "paxos" }), 200);
    assertEquals(bodyOf(written).key, "raft");
    assertEquals(typeof bodyOf(written).index, "number");
    await expectValue(n2, "raft", "paxos");

    // Writes on a follower are forwarded and answered by the leader: 200, not 307.
    const forwarded = await expectAnswer(
      "set on a follower",
      set(n3, { key: "via", value: "n3" }),
      200,
    );
    assertEquals(bodyOf(forwarded).key, "via");
    await expectValue(n1, "via", "n3");
    await expectDeleted("delete on a follower", del(n2, { key: "via" }), "via");

    // Delete on the leader.
    await expectDeleted("delete", del(n1, { key: "raft" }), "raft");
    const again = await expectAnswer("delete again", del(n1, { key: "raft" }), 200);
    assertEquals(bodyOf(again).deleted, false);
    const missing = await pollStatus(n2.httpAddr, "/get?key=raft", 404);
    assertEquals(bodyOf(missing).error, 'Key "raft" not found');

    // Error cases.
    await expectAnswer("delete without key", del(n1, {}), 400, /"key"/);
    await expectAnswer("delete not json", del(n1, "key=a"), 400, /not valid JSON/);
    await expectAnswer("delete without key, forwarded", del(n3, {}), 400, /"key"/);
    await expectAnswer("set without value", set(n1, { key: "a" }), 400, /"value"/);
    await expectAnswer("join bad address", join(n1, "nohost"), 400, /peerAddress/);
    await expectAnswer("join bad port", join(n1, "127.0.0.1:70000"), 400, /port/);
    await expectAnswer("get without key", call(n1.httpAddr, "GET", "/get"), 400, /"key"/);
    await expectAnswer("get absent", call(n1.httpAddr, "GET", "/get?key=nope"), 404, /"nope"/);

    // A request already forwarded is never forwarded again.
    expectUnavailable("delete forwarded twice", await del(n2, { key: "via" }, FORWARDED));
    await expectAnswer("set forwarded twice", set(n2, { key: "a", value: "1" }, FORWARDED), 500);

    // A node that applied a client write refuses to be adopted.
    await expectRefusedAdoption(n1, n4, {
      write: (loner) => set(loner, { key: "kept", value: "data" }),
      join: (leader, loner) => join(leader, loner.raftAddr),
      read: (loner) => call(loner.httpAddr, "GET", "/get?key=kept"),
    });

    // Remove n3 with rafter's route (the dialect has none).
    const removed = await expectAnswer("remove n3", call(n1.httpAddr, "GET", "/remove?id=n3"), 200);
    assertEquals(bodyOf(removed).id, "n3");
    assertEquals(typeof bodyOf(removed).index, "number");
    await expectAnswer("set after removal", set(n2, { key: "after", value: "removal" }), 200);
    await expectValue(n1, "after", "removal");
    await expectView(n1, n1, [n2]);

    // With n2 gone, n1 alone is no quorum: no leader is known.
    await cluster.stop(n2);
    const alone = await waitLeaderless(cluster, n1);
    assertEquals(bodyOf(await call(n1.httpAddr, "GET", "/status")).leader, {
      id: "",
      address: "",
      httpAddress: "",
    }, `status without leader: ${JSON.stringify(alone)}`);
    expectUnavailable("delete without leader", await del(n1, { key: "after" }));
    expectUnavailable("join without leader", await join(n1, n4.raftAddr));
    await expectAnswer(
      "set without leader",
      set(n1, { key: "a", value: "1" }),
      500,
      /^Write failed/,
    );
  });
});

Deno.test("proxying dialect: after a failover, writes on a follower reach the new leader", async () => {
  await withCluster({ heartbeatMs: 20, electionMs: 200 }, async (cluster) => {
    const [n1, n2, n3] = await startAlone(cluster, ["n1", "n2", "n3"]);
    assertTrue(n1 !== undefined && n2 !== undefined && n3 !== undefined);
    await expectAnswer("join n2", join(n1, n2.raftAddr), 200);
    await expectAnswer("join n3", join(n1, n3.raftAddr), 200);
    await expectFormed(cluster, n1, [n1, n2, n3]);

    // n2 and n3 joined by raft address only: the HTTP address the new leader
    // is reached at came from its handshake.
    const next = await failOver(cluster, n1, [n2, n3]);
    const other = next === n2 ? n3 : n2;
    const written = await expectAnswer(
      "set on a follower",
      set(other, { key: "k", value: "v" }),
      200,
    );
    assertEquals(bodyOf(written).key, "k");
    await expectValue(next, "k", "v");
    await expectDeleted("delete on a follower", del(other, { key: "k" }), "k");
    await pollStatus(next.httpAddr, "/get?key=k", 404);
  });
});
