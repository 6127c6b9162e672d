import { assertEquals, assertTrue } from "../assert.ts";
import type { ConfChange, NodeId, ProposeResult } from "../../src/raft/mod.ts";
import { message, Network, type NetworkOptions } from "./network.ts";

function electedCluster(options: NetworkOptions = {}) {
  const net = new Network({ size: 3, ...options });
  const lead = net.tickUntilLeader();
  const [f1, f2] = net.ids.filter((id) => id !== lead) as [NodeId, NodeId];
  return { net, lead, f1, f2, term: net.node(lead).state().term };
}

function change(op: ConfChange["op"], id: NodeId): ConfChange {
  return { op, id, raftAddr: `${id}.test:7000`, httpAddr: "" };
}

function code(result: ProposeResult): string {
  return result.ok ? "ok" : result.code;
}

function members(net: Network, id: NodeId): string[] {
  return net.node(id).currentMembership().map((m) => `${m.id}${m.voter ? "" : "(learner)"}`);
}

Deno.test("§4.1 one membership change at a time; it takes effect once appended", () => {
  const { net, lead, f1 } = electedCluster();
  const first = net.node(lead).proposeConfChange(change("addLearner", "n4"));
  assertEquals(code(first), "ok");
  assertEquals(members(net, lead), ["n1", "n2", "n3", "n4(learner)"]);
  assertEquals(net.node(lead).pendingConf(), first.ok ? first.index : -1);
  const second = net.node(lead).proposeConfChange(change("addLearner", "n5"));
  assertEquals(code(second), "confPending");
  net.deliverAll();
  assertEquals(net.node(lead).pendingConf(), 0);
  assertEquals(members(net, f1), ["n1", "n2", "n3", "n4(learner)"]);
  assertEquals(code(net.node(lead).proposeConfChange(change("addLearner", "n5"))), "ok");
});

Deno.test("§4.1 a new leader accepts no change until an entry of its term has committed", () => {
  const net = new Network({ size: 3 });
  net.intercept = (m) => (m.type === "app" && m.from === "n1" ? null : m);
  net.campaign("n1");
  const refused = net.node("n1").proposeConfChange(change("addLearner", "n4"));
  assertEquals(refused.ok ? "" : refused.error, "No entry of the current term has committed yet");
  net.intercept = null;
  net.tickAll(2);
  assertTrue(net.node("n1").hasCommittedInTerm());
  assertEquals(code(net.node("n1").proposeConfChange(change("addLearner", "n4"))), "ok");
});

Deno.test("§4.1 changes that do not fit the membership are refused", () => {
  const { net, lead } = electedCluster();
  assertEquals(code(net.node(lead).proposeConfChange(change("addLearner", "n2"))), "invalid");
  assertEquals(code(net.node(lead).proposeConfChange(change("promote", "n9"))), "invalid");
  assertEquals(code(net.node(lead).proposeConfChange(change("promote", "n2"))), "invalid");
  const single = new Network({ size: 1 });
  single.tickAll(1);
  const last = single.node("n1").proposeConfChange(change("remove", "n1"));
  assertEquals(last.ok ? "" : last.error, 'Cannot remove "n1": it is the last voter');
});

Deno.test("§4.1 a membership entry that is overwritten is rolled back", () => {
  const { net, lead } = electedCluster();
  net.isolate(lead);
  assertEquals(code(net.node(lead).proposeConfChange(change("addLearner", "n9"))), "ok");
  net.deliverAll();
  assertEquals(members(net, lead), ["n1", "n2", "n3", "n9(learner)"]);
  net.tickAll(40);
  const next = net.leader();
  assertTrue(next !== undefined && next !== lead, "the majority elected a new leader");
  net.heal();
  net.tickAll(3);
  assertEquals(members(net, lead), ["n1", "n2", "n3"]);
  assertEquals(net.node(lead).log.lastIndex(), net.node(next).log.lastIndex());
});

Deno.test("§4.2.1 one voter with two learners commits alone", () => {
  const net = new Network({ size: 3, learners: ["n2", "n3"] });
  net.tickAll(1);
  assertEquals(net.node("n1").state().role, "leader");
  net.isolate("n2");
  net.isolate("n3");
  assertTrue(net.propose("n1", "solo").ok);
  assertEquals(net.appliedData("n1"), ["solo"]);
  net.heal();
  net.tickAll(2);
  for (const id of ["n2", "n3"]) assertEquals(net.appliedData(id), ["solo"]);
});

Deno.test("§4.2.1 learners receive the log but do not count for commit", () => {
  const net = new Network({ size: 4, learners: ["n3", "n4"] });
  const lead = net.tickUntilLeader();
  const other = lead === "n1" ? "n2" : "n1";
  net.isolate(other);
  assertTrue(net.propose(lead, "x").ok);
  const index = net.node(lead).log.lastIndex();
  for (const id of ["n3", "n4"]) assertEquals(net.node(id).log.lastIndex(), index);
  assertTrue(net.node(lead).hardState().commit < index, "three of four members hold it, one voter");
  net.heal();
  net.tickAll(2);
  assertEquals(net.node(lead).hardState().commit, index);
});

Deno.test("§4.2.1 a learner never campaigns", () => {
  const net = new Network({ size: 3, learners: ["n2", "n3"] });
  net.tickAll(1);
  const term = net.node("n1").state().term;
  net.isolate("n1");
  net.sent = [];
  net.tickAll(100);
  for (const id of ["n2", "n3"]) {
    assertEquals(net.node(id).state().role, "follower");
    assertEquals(net.node(id).state().term, term);
  }
  assertEquals(net.count((m) => m.type === "preVote" || m.type === "vote"), 0);
});

Deno.test("§4.2.1 a learner's vote does not count", () => {
  const net = new Network({ size: 3, learners: ["n3"] });
  net.isolate("n2");
  net.campaign("n1");
  assertEquals(net.sent.filter((m) => m.type === "vote").map((m) => m.to), ["n2"]);
  // A learner may still answer (its view of the membership can be stale), but
  // the candidate counts only its voters: one of two is no majority.
  const term = net.node("n1").state().term;
  net.inject(message("voteResp", "n3", "n1", term));
  assertEquals(net.node("n1").state().role, "candidate");
  net.heal();
  net.tickAll(40);
  assertTrue(net.leader() === "n1" || net.leader() === "n2", "a voter leads once both voters talk");
});

Deno.test("§4.2.1 a new node joins as a learner, catches up, is promoted and then counts", () => {
  const net = new Network({ size: 1 });
  net.tickAll(1);
  assertTrue(net.propose("n1", "before").ok);
  net.addNode("n2");
  assertEquals(code(net.node("n1").proposeConfChange(change("addLearner", "n2"))), "ok");
  net.tickAll(2);
  assertEquals(net.appliedData("n2"), ["before"]);
  assertEquals(members(net, "n2"), ["n1", "n2(learner)"]);
  assertEquals(code(net.node("n1").proposeConfChange(change("promote", "n2"))), "ok");
  net.tickAll(2);
  assertEquals(members(net, "n2"), ["n1", "n2"]);
  // Two voters now: n1 alone no longer commits.
  net.isolate("n2");
  assertTrue(net.propose("n1", "after").ok);
  assertEquals(net.appliedData("n1"), ["before"]);
  net.heal();
  net.tickAll(2);
  assertEquals(net.appliedData("n1"), ["before", "after"]);
  // And it can lead.
  assertEquals(net.node("n1").transferLeader("n2"), null);
  net.deliverAll();
  assertEquals(net.leader(), "n2");
});

Deno.test("§4.2.2 a leader that removes itself steps down once the change commits", () => {
  const { net, lead, term } = electedCluster();
  const removal = net.node(lead).proposeConfChange(change("remove", lead));
  assertTrue(removal.ok);
  net.deliverAll();
  assertEquals(net.node(lead).state().role, "follower");
  assertTrue(net.node(lead).hardState().commit >= removal.index);
  net.sent = [];
  net.tickAll(60);
  const next = net.leader();
  assertTrue(next !== undefined && next !== lead, "the remaining voters elected a leader");
  assertTrue(net.node(next).state().term > term);
  assertEquals(net.count((m) => m.from === lead && (m.type === "preVote" || m.type === "vote")), 0);
  for (const id of net.ids.filter((id) => id !== lead)) {
    assertTrue(!members(net, id).includes(lead), `"${id}" dropped the old leader`);
  }
  assertTrue(net.propose(next, "go on").ok);
});

Deno.test("§4.2.3 a removed node that missed its removal does not disrupt the cluster", () => {
  const { net, lead, f1, f2, term } = electedCluster();
  net.isolate(f2);
  assertTrue(net.node(lead).proposeConfChange(change("remove", f2)).ok);
  net.deliverAll();
  assertEquals(members(net, f1).includes(f2), false);
  assertEquals(members(net, f2).includes(f2), true, "it never heard of its removal");
  net.heal();
  net.sent = [];
  net.tickAll(80);
  assertTrue(net.count((m) => m.from === f2 && m.type === "preVote") > 0, "it keeps trying");
  assertEquals(net.leader(), lead);
  assertEquals(net.node(lead).state().term, term);
  assertEquals(net.node(f1).state().term, term);
});

Deno.test("§4.2.3 a removed node without PreVote raises its term but still does not disrupt", () => {
  const net = new Network({ size: 3, nodeConfig: { n3: { preVote: false } } });
  net.campaign("n1");
  net.tickAll(1);
  const term = net.node("n1").state().term;
  net.isolate("n3");
  assertTrue(net.node("n1").proposeConfChange(change("remove", "n3")).ok);
  net.deliverAll();
  net.heal();
  net.sent = [];
  net.tickAll(80);
  assertTrue(net.count((m) => m.from === "n3" && m.type === "vote") > 0, "it keeps trying");
  assertTrue(net.node("n3").state().term > term);
  assertEquals(net.leader(), "n1");
  assertEquals(net.node("n1").state().term, term);
  assertEquals(net.node("n2").state().term, term);
});
