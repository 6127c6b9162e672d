/**
 * Real clusters with a cluster secret: members prove it to each other; a
 * node with another secret can neither join, nor be added (or adopted), nor
 * rejoin after a restart with it, while the members keep serving; a raw
 * socket that says the old hello, proves a wrong secret or replays a
 * captured proof gets no Raft message processed, so the append forged in the
 * leader's name (tests/cluster/raft_port_test.ts) reaches no node.
 */

import { assertEquals, assertTrue } from "../assert.ts";
import type { NodeStatus } from "../../src/api.ts";
import { ClusterSecret } from "../../src/secret/mod.ts";
import { FrameKind } from "../../src/transport/frame.ts";
import { RawPeer } from "../transport/harness.ts";
import {
  type Cluster,
  getConsistent,
  getKey,
  type NodeProcess,
  putKey,
  request,
  sleep,
  waitFor,
  withCluster,
} from "./harness.ts";
import {
  caughtUpFollower,
  expectDropped,
  forgedAppend,
  messageFrame,
  statuses,
} from "./stranger.ts";

const A = `${"a".repeat(40)}\n`;
const B = `${"b".repeat(40)}\n`;

/** Each node's own secret file, in the cluster's directory, holding `A` to begin with. */
function secretArgs(cluster: Cluster) {
  return (id: string) => {
    const path = `${cluster.dir}/${id}.secret`;
    Deno.writeTextFileSync(path, A);
    return ["--cluster-secret-file", path];
  };
}

async function statusOf(cluster: Cluster, node: NodeProcess): Promise<NodeStatus> {
  const status = await cluster.status(node);
  if (status === null) throw new Error(`"${node.id}" does not answer`);
  return status;
}

Deno.test("a node with another secret can neither join nor be added, nor rejoin after a restart with it", async () => {
  await withCluster({ heartbeatMs: 50, electionMs: 500 }, async (cluster) => {
    const argsOf = secretArgs(cluster);
    const leader = await cluster.form(3, argsOf);
    assertTrue(!leader.lines.some((line) => line.includes("peer traffic is unauthenticated")));
    // n4 holds another secret and asks to join: the leader's probe fails the proof.
    const wrong = `${cluster.dir}/wrong.secret`;
    await Deno.writeTextFile(wrong, B);
    const n4 = cluster.add("n4", { join: `http://${leader.httpAddr}` }, [
      "--cluster-secret-file",
      wrong,
    ]);
    await waitFor(
      () =>
        n4.lines.some((line) => /join refused; retrying .*Cluster secret proof failed/.test(line)),
      "n4's join to be refused",
    );
    // n5 bootstrapped alone with the other secret: an admin's join cannot add (or adopt) it.
    const n5 = cluster.add("n5", { bootstrap: true }, ["--cluster-secret-file", wrong]);
    await cluster.leader({ among: [n5], voters: 1 });
    const n5Cluster = (await statusOf(cluster, n5)).clusterId;
    const body = JSON.stringify({ id: "n5", addr: n5.raftAddr, httpAddr: n5.httpAddr });
    const added = await request(`http://${leader.httpAddr}/join`, { method: "POST", body });
    assertEquals(added.status, 400, added.text);
    assertTrue(added.text.includes("did not accept us"), added.text);
    assertEquals((await statusOf(cluster, n5)).clusterId, n5Cluster, "n5 was not adopted");
    const members = (await statusOf(cluster, leader)).members.map((m) => m.id).sort();
    assertEquals(members, ["n1", "n2", "n3"]);
    // A member restarted with another secret cannot rejoin; the other two keep serving.
    const n3 = cluster.node("n3");
    const restarted = n3 === leader ? cluster.node("n2") : n3;
    await cluster.stop(restarted);
    await Deno.writeTextFile(`${cluster.dir}/${restarted.id}.secret`, B);
    cluster.restart(restarted);
    const serving = cluster.nodes.filter((n) =>
      ["n1", "n2", "n3"].includes(n.id) && n !== restarted
    );
    const now = await cluster.leader({ among: serving });
    assertEquals((await putKey(now.httpAddr, "after-restart", "v")).status, 200);
    for (const node of serving) {
      assertEquals((await getConsistent(node.httpAddr, "after-restart")).status, 200);
    }
    await waitFor(
      async () => ((await cluster.status(restarted))?.droppedPeerMessages ?? 0) > 0,
      "the restarted node to refuse its old peers",
    );
    await sleep(1000);
    const stale = await getKey(restarted.httpAddr, "after-restart", "stale");
    assertEquals(stale.status, 404, "the restarted node heard nothing from the cluster");
  });
});

Deno.test("with the secret, the old hello, a wrong proof or a replayed one gets no forged append applied", async () => {
  await withCluster({ heartbeatMs: 50, electionMs: 500 }, async (cluster) => {
    const leader = await cluster.form(3, secretArgs(cluster));
    assertEquals((await putKey(leader.httpAddr, "before", "x")).status, 200);
    const { victim, status: mine } = await caughtUpFollower(cluster, leader);
    const other = cluster.nodes.find((n) => n !== leader && n !== victim)!;
    const before = await statuses(cluster);
    const { term, clusterId } = mine;
    const app = forgedAppend(leader.id, victim.id, mine);
    const frames = [messageFrame(app)];
    const asLeader = { id: leader.id, clusterId, raftAddr: "127.0.0.1:1", httpAddr: "" };
    // 1. The hello every node sent before secrets existed.
    const old = await RawPeer.connect(victim.raftAddr);
    assertEquals((await old.handshake(asLeader))?.[0], FrameKind.refusal);
    await sendAfter(old, frames);
    // 2. A hello with a proof of the wrong secret.
    const guess = await RawPeer.connect(victim.raftAddr);
    const guessed = await guess.proveHandshake(asLeader, await ClusterSecret.parse(B, "guess"));
    assertEquals(guessed.answer?.[0], FrameKind.refusal);
    await sendAfter(guess, frames);
    // 3. A proof captured from an honest exchange (this test holds the secret), replayed.
    const honest = await RawPeer.connect(victim.raftAddr);
    const asOther = { ...asLeader, id: other.id };
    const captured = await honest.proveHandshake(asOther, await ClusterSecret.parse(A, "honest"));
    assertEquals(captured.answer?.[0], FrameKind.handshake);
    honest.close();
    const replay = await RawPeer.connect(victim.raftAddr);
    await replay.write(captured.sent[0]!);
    await replay.reader.next();
    await replay.write(captured.sent[1]!);
    assertEquals((await replay.reader.next())?.[0], FrameKind.refusal);
    await sendAfter(replay, frames);
    const after = await expectDropped(cluster, victim, before, 3);
    for (const [id, status] of after) {
      assertEquals(status.term, term, `"${id}" kept term ${term}`);
      assertEquals(status.lastLogIndex, before.get(id)!.lastLogIndex, `"${id}"'s log did not move`);
    }
    for (const node of cluster.nodes) {
      const forged = await getKey(node.httpAddr, "forged", "stale");
      assertEquals(forged.status, 404, `no forged value on "${node.id}": ${forged.text}`);
    }
    assertEquals((await putKey(leader.httpAddr, "after", "y")).status, 200);
    for (const node of cluster.nodes) {
      assertEquals((await getConsistent(node.httpAddr, "after")).status, 200);
    }
  });
});

/** Sends `frames` on a connection the node refused (a write may fail), then closes it. */
async function sendAfter(raw: RawPeer, frames: Uint8Array[]): Promise<void> {
  for (const bytes of frames) await raw.write(bytes).catch(() => {});
  await raw.closedByRemote(300);
  raw.close();
}
