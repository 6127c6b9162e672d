import { assertEquals, assertTrue } from "../assert.ts";
import type { Message, NodeId } from "../../src/raft/mod.ts";
import { bytes, makeEntries, message, Network, type NetworkOptions } from "./network.ts";

function electedCluster(options: NetworkOptions = {}) {
  const net = new Network({ size: 3, ...options });
  const lead = net.tickUntilLeader();
  const [f1, f2] = net.ids.filter((id) => id !== lead) as [NodeId, NodeId];
  return { net, lead, f1, f2 };
}

function appsTo(msgs: Message[], to: NodeId): Message[] {
  return msgs.filter((m) => m.type === "app" && m.to === to && m.entries.length > 0);
}

function logOf(net: Network, id: NodeId): [number, number][] {
  return net.node(id).log.entries.map((e) => [e.index, e.term]);
}

function progressOf(net: Network, lead: NodeId, id: NodeId) {
  const pr = net.node(lead).progress().find((p) => p.id === id);
  if (pr === undefined) throw new Error(`No progress for "${id}"`);
  return pr;
}

Deno.test("§3.5 entries replicate to every node and commit in order", () => {
  const { net, lead } = electedCluster();
  for (let i = 0; i < 5; i++) assertTrue(net.propose(lead, `e${i}`).ok);
  for (const id of net.ids) {
    assertEquals(net.appliedData(id), ["e0", "e1", "e2", "e3", "e4"]);
    assertEquals(net.node(id).hardState().commit, net.node(lead).log.lastIndex());
    assertEquals(logOf(net, id), logOf(net, lead));
  }
  net.checkApplied();
});

Deno.test("§3.5 a follower refuses proposals", () => {
  const { net, f1 } = electedCluster();
  const result = net.node(f1).propose(bytes("x"));
  assertEquals(result.ok ? "" : result.code, "notLeader");
});

Deno.test("batching: proposals made before one ready() share messages of at most entriesPerMsgMax", () => {
  const { net, lead, f1 } = electedCluster({ config: { entriesPerMsgMax: 30 } });
  for (let i = 0; i < 100; i++) net.node(lead).propose(bytes(`b${i}`));
  const msgs = net.collect();
  assertEquals(appsTo(msgs, f1).map((m) => m.entries.length), [30, 30, 30, 10]);
  net.deliver(msgs);
  net.deliverAll();
  assertEquals(net.appliedData(f1).length, 100);
});

Deno.test("batching: a message carries at most bytesPerMsgMax of entries, but always one", () => {
  // Each entry counts 100 data bytes plus 24 of header: 8 fit in 1000 bytes.
  const { net, lead, f1 } = electedCluster({ config: { bytesPerMsgMax: 1000 } });
  for (let i = 0; i < 100; i++) net.node(lead).propose(new Uint8Array(100).fill(65 + (i % 26)));
  const sizes = appsTo(net.collect(), f1).map((m) => m.entries.length);
  assertEquals(sizes, [...Array(12).fill(8), 4]);
  net.deliverAll();
  for (let i = 0; i < 3; i++) net.node(lead).propose(new Uint8Array(5000));
  assertEquals(appsTo(net.collect(), f1).map((m) => m.entries.length), [1, 1, 1]);
  net.deliverAll();
  assertEquals(net.appliedIndex(f1), net.appliedIndex(lead));
});

Deno.test("pipelining: several appends are in flight at once, at most inflightMsgsMax", () => {
  const { net, lead, f1, f2 } = electedCluster({ config: { inflightMsgsMax: 4 } });
  // f1's acknowledgements are lost, so nothing it received frees the window.
  net.drop(f1, lead);
  net.sent = [];
  for (let i = 0; i < 10; i++) assertTrue(net.propose(lead, `p${i}`).ok);
  assertEquals(appsTo(net.sent, f1).length, 4);
  assertEquals(appsTo(net.sent, f2).length, 10);
  assertEquals(net.appliedData(lead).length, 10, "f2 alone completes the quorum");
  net.heal();
  net.tickAll(5);
  assertEquals(net.appliedData(f1).length, 10);
});

Deno.test("flow control: after a rejection the leader probes with one message at a time", () => {
  const { net, lead, f1, f2 } = electedCluster();
  net.isolate(f2);
  for (let i = 0; i < 5; i++) assertTrue(net.propose(lead, `a${i}`).ok);
  net.heal();
  net.node(lead).propose(bytes("b0"));
  // The optimistic append lands beyond f2's log and is rejected.
  net.deliver(net.collect());
  const replies = net.collect();
  const reject = replies.find((m) => m.type === "appResp" && m.from === f2);
  assertTrue(reject?.reject === true, "f2 rejected");
  net.deliver(replies);
  assertEquals(progressOf(net, lead, f2).state, "probe");
  net.node(lead).propose(bytes("b1"));
  net.node(lead).propose(bytes("b2"));
  const next = net.collect();
  assertEquals(appsTo(next, f2).length, 1, "one probe, no pipelining");
  assertEquals(appsTo(next, f1).flatMap((m) => m.entries).length, 2, "f1 is sent both at once");
  net.deliver(next);
  net.deliverAll();
  assertEquals(progressOf(net, lead, f2).state, "replicate");
  assertEquals(net.appliedData(f2), ["a0", "a1", "a2", "a3", "a4", "b0", "b1", "b2"]);
});

function rejectionsFrom(net: Network, id: NodeId): number {
  return net.count((m) => m.type === "appResp" && m.from === id && m.reject);
}

Deno.test("§3.5 fast backtracking: a long divergent suffix of a term the leader lacks costs two rejections", () => {
  const net = new Network({
    size: 3,
    extraEntries: {
      n1: makeEntries(4, 3, 57, "a"),
      n2: makeEntries(4, 3, 57, "a"),
      n3: makeEntries(4, 2, 50, "b"),
    },
  });
  net.campaign("n1");
  assertEquals(net.node("n1").state().role, "leader");
  // One step back per rejection would take 58 round trips.
  assertEquals(rejectionsFrom(net, "n3"), 2);
  assertEquals(logOf(net, "n3"), logOf(net, "n1"));
  assertEquals(net.appliedIndex("n3"), 61);
});

Deno.test("§3.5 fast backtracking: the leader skips to the end of the conflicting term it also holds", () => {
  const shared = makeEntries(4, 2, 17, "b");
  const leaderLog = [...shared, ...makeEntries(21, 3, 40, "a")];
  const net = new Network({
    size: 3,
    extraEntries: { n1: leaderLog, n2: leaderLog, n3: makeEntries(4, 2, 50, "b") },
  });
  net.campaign("n1");
  assertEquals(rejectionsFrom(net, "n3"), 2);
  const accepted = net.sent.filter((m) => m.type === "app" && m.to === "n3").at(-1);
  assertEquals(
    accepted?.index,
    20,
    "the append that matched resumed after the shared term-2 entries",
  );
  assertEquals(logOf(net, "n3"), logOf(net, "n1"));
});

Deno.test("§3.5 a follower's uncommitted entries of an old term are overwritten", () => {
  const { net, lead } = electedCluster();
  net.isolate(lead);
  for (let i = 0; i < 3; i++) assertTrue(net.node(lead).propose(bytes(`lost${i}`)).ok);
  net.deliverAll();
  const oldTerm = net.node(lead).state().term;
  assertTrue(net.node(lead).log.lastIndex() > net.node(lead).hardState().commit);
  net.tickAll(40);
  const next = net.leader();
  assertTrue(next !== undefined && next !== lead, "the majority elected a new leader");
  assertTrue(net.propose(next, "kept").ok);
  net.heal();
  net.tickAll(3);
  assertEquals(logOf(net, lead), logOf(net, next));
  assertTrue(net.node(lead).log.entries.every((e) => e.term !== oldTerm || e.data.length === 0));
  assertEquals(net.disk(lead).entries.map((e) => e.index), logOf(net, next).map(([i]) => i));
  assertEquals(net.appliedData(lead), ["kept"]);
  net.checkApplied();
});

Deno.test("§3.5/§10.2.1 an acknowledgement is withdrawn when a later append of the same batch replaces its entries", () => {
  const { net, lead, f1, f2 } = electedCluster();
  const node = net.node(f1);
  const { term } = node.state();
  const last = node.log.lastIndex();
  const logTerm = node.log.lastTerm();
  // Before anything is written: the leader's append of three entries, then a newer
  // leader's that replaces them. Only the second survives to be written.
  const old = makeEntries(last + 1, term, 3, "old");
  node.step(message("app", lead, f1, term, { index: last, logTerm, entries: old }));
  const replacing = makeEntries(last + 1, term + 1, 1, "new");
  node.step(message("app", f2, f1, term + 1, { index: last, logTerm, entries: replacing }));
  const rd = node.ready();
  assertEquals(rd.entries.map((e) => [e.index, e.term]), [[last + 1, term + 1]]);
  const acks = rd.messagesAfterSync.filter((m) => m.type === "appResp" && !m.reject);
  assertEquals(acks.map((m) => [m.to, m.term, m.index]), [[f2, term + 1, last + 1]]);
});

Deno.test("ch. 5/§10.2.1 an acknowledgement is withdrawn when a snapshot of the same batch replaces its entries", () => {
  const { net, lead, f1, f2 } = electedCluster();
  const node = net.node(f1);
  const { term } = node.state();
  const last = node.log.lastIndex();
  const logTerm = node.log.lastTerm();
  node.step(message("app", lead, f1, term, {
    index: last,
    logTerm,
    entries: makeEntries(last + 1, term, 3, "old"),
  }));
  // A newer leader's snapshot ends at an entry of its own term: the log restarts there.
  const meta = { index: last + 1, term: term + 1, membership: node.currentMembership() };
  const snapshot = { meta, data: new Uint8Array(0) };
  node.step(message("snap", f2, f1, term + 1, { snapshot }));
  const acks = node.ready().messagesAfterSync.filter((m) => m.type === "appResp" && !m.reject);
  assertEquals(acks.map((m) => [m.to, m.term, m.index]), [[f2, term + 1, last + 1]]);
});
