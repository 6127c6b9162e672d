import { assertEquals, assertTrue } from "../assert.ts";
import type { NodeId } from "../../src/raft/mod.ts";
import { Network, type NetworkOptions } from "./network.ts";

function electedCluster(options: NetworkOptions = {}) {
  const net = new Network({ size: 3, ...options });
  const lead = net.tickUntilLeader();
  const [f1, f2] = net.ids.filter((id) => id !== lead) as [NodeId, NodeId];
  return { net, lead, f1, f2 };
}

function proposeMany(net: Network, lead: NodeId, tag: string, count: number): void {
  for (let i = 0; i < count; i++) assertTrue(net.propose(lead, `${tag}${i}`).ok);
}

function snapsTo(net: Network, to: NodeId): number {
  return net.count((m) => m.type === "snap" && m.to === to);
}

Deno.test("ch. 5 a follower behind the compaction point installs a snapshot, then takes appends", () => {
  const { net, lead, f2 } = electedCluster();
  net.crash(f2);
  proposeMany(net, lead, "a", 10);
  const meta = net.takeSnapshot(lead);
  assertEquals(net.node(lead).log.offset, meta.index);
  proposeMany(net, lead, "b", 2);
  net.sent = [];
  net.restart(f2);
  net.tickAll(3);
  assertEquals(snapsTo(net, f2), 1);
  assertEquals(net.disk(f2).snapshot?.meta, meta);
  assertEquals(net.node(f2).snapshot(), meta);
  assertEquals(net.node(f2).log.offset, meta.index);
  const appendsAfter = net.sent.filter((m) =>
    m.type === "app" && m.to === f2 && m.index >= meta.index
  );
  assertTrue(appendsAfter.some((m) => m.entries.length > 0), "the rest came as appends");
  assertEquals(net.appliedData(f2), net.appliedData(lead));
  assertEquals(net.appliedData(f2).length, 12);
  assertEquals(net.node(f2).log.lastIndex(), net.node(lead).log.lastIndex());
  net.checkApplied();
});

Deno.test("ch. 5 a follower within the kept log needs no snapshot", () => {
  const { net, lead, f2 } = electedCluster();
  net.crash(f2);
  const behind = net.node(lead).log.lastIndex();
  proposeMany(net, lead, "a", 5);
  net.takeSnapshot(lead, behind);
  assertEquals(net.node(lead).log.offset, behind);
  net.sent = [];
  net.restart(f2);
  net.tickAll(3);
  assertEquals(snapsTo(net, f2), 0);
  assertEquals(net.appliedData(f2), ["a0", "a1", "a2", "a3", "a4"]);
});

Deno.test("ch. 5 a lost snapshot is sent again after a failure report or a timeout", () => {
  const { net, lead, f2 } = electedCluster({ config: { snapshotTimeoutTicks: 5 } });
  net.crash(f2);
  proposeMany(net, lead, "a", 3);
  net.takeSnapshot(lead);
  net.intercept = (m) => (m.type === "snap" ? null : m);
  net.sent = [];
  net.restart(f2);
  net.tickAll(3);
  assertEquals(snapsTo(net, f2), 1);
  const status = () => net.node(lead).progress().find((p) => p.id === f2)?.state;
  assertEquals(status(), "snapshot");
  // The transport reports the loss: the leader probes again and resends.
  net.node(lead).reportSnapshotFailure(f2);
  assertEquals(status(), "probe");
  net.tickAll(1);
  assertEquals(snapsTo(net, f2), 2);
  // Unreported, the retry waits for more than snapshotTimeoutTicks.
  net.tickAll(5);
  assertEquals(snapsTo(net, f2), 2);
  net.tickAll(1);
  assertEquals(snapsTo(net, f2), 3);
  net.intercept = null;
  net.tickAll(10);
  assertEquals(net.appliedData(f2), ["a0", "a1", "a2"]);
});

Deno.test("ch. 5 a restart from snapshot and log restores membership, state and hard state", () => {
  const { net, lead } = electedCluster();
  const added = net.node(lead).proposeConfChange({
    op: "addLearner",
    id: "n4",
    raftAddr: "127.0.0.1:7004",
    httpAddr: "",
  });
  assertTrue(added.ok);
  proposeMany(net, lead, "a", 4);
  // Everyone compacts past the membership entries, then keeps a log tail.
  for (const id of net.ids) net.takeSnapshot(id);
  proposeMany(net, lead, "b", 2);
  const before = new Map(net.ids.map((id) => [id, {
    hardState: net.node(id).hardState(),
    data: net.appliedData(id),
    membership: net.node(id).currentMembership(),
  }]));
  for (const id of net.ids) net.crash(id);
  for (const id of net.ids) net.restart(id);
  for (const id of net.ids) {
    const was = before.get(id)!;
    const now = net.node(id).hardState();
    assertTrue(net.node(id).log.offset >= added.index, `"${id}" compacted the change away`);
    assertEquals(net.node(id).currentMembership(), was.membership);
    assertEquals([now.term, now.vote], [was.hardState.term, was.hardState.vote]);
    // A commit index that was not synced yet is relearned from the leader.
    assertTrue(now.commit >= net.node(id).log.offset && now.commit <= was.hardState.commit);
    const replayed = net.appliedData(id);
    assertEquals(replayed, was.data.slice(0, replayed.length), "a prefix of what it had applied");
  }
  assertEquals(net.node(lead).currentMembership().map((m) => [m.id, m.voter]), [
    ["n1", true],
    ["n2", true],
    ["n3", true],
    ["n4", false],
  ]);
  const next = net.tickUntilLeader();
  assertTrue(net.propose(next, "c").ok);
  for (const id of net.ids) assertEquals(net.appliedData(id), [...before.get(id)!.data, "c"]);
  net.checkApplied();
});
