import { assertEquals, assertTrue } from "../assert.ts";
import type { NodeId } from "../../src/raft/mod.ts";
import { message, Network } from "./network.ts";

function electedCluster(config: ConstructorParameters<typeof Network>[0] = {}) {
  const net = new Network({ size: 3, ...config });
  const lead = net.tickUntilLeader();
  const [f1, f2] = net.ids.filter((id) => id !== lead) as [NodeId, NodeId];
  return { net, lead, f1, f2, term: net.node(lead).state().term };
}

function leadAndTerm(net: Network, id: NodeId): [NodeId, number] {
  const s = net.node(id).state();
  return [s.lead, s.term];
}

Deno.test("§9.6 PreVote: a partitioned node keeps ticking but does not raise its term", () => {
  const { net, lead, f2, term } = electedCluster();
  const ticksBefore = net.node(f2).state().ticks;
  net.isolate(f2);
  net.sent = [];
  net.tickAll(100);
  assertEquals(net.node(f2).state().ticks, ticksBefore + 100);
  assertEquals(net.node(f2).state().term, term);
  assertTrue(net.count((m) => m.type === "preVote" && m.from === f2) > 0, "it asked for pre-votes");
  assertEquals(net.count((m) => m.type === "vote" && m.from === f2), 0);
  net.heal();
  net.tickAll(5);
  for (const id of net.ids) assertEquals(leadAndTerm(net, id), [lead, term]);
  assertEquals(net.leader(), lead);
});

Deno.test("§9.6 without PreVote the same partition raises the node's term", () => {
  const { net, f2, term } = electedCluster({ config: { preVote: false } });
  net.isolate(f2);
  net.tickAll(100);
  assertTrue(net.node(f2).state().term > term + 1, "each timeout started a real election");
});

Deno.test("§6.2 CheckQuorum: a leader cut off from the majority steps down within an election timeout", () => {
  const { net, lead, term } = electedCluster();
  net.isolate(lead);
  let ticks = 0;
  while (net.node(lead).state().role === "leader" && ticks < 100) {
    net.tick(lead, 1);
    ticks++;
  }
  // The check runs once per election timeout; activity seen just before the cut
  // can carry the leader through one check, never two.
  assertTrue(ticks <= 2 * 10, `stepped down after ${ticks} ticks`);
  assertEquals(net.node(lead).state().term, term);
  // The majority side elects a new leader of a later term.
  const others = net.ids.filter((id) => id !== lead);
  net.tickAll(40);
  const next = net.leader();
  assertTrue(next !== undefined && others.includes(next), "the majority elected a leader");
  assertTrue(net.node(next).state().term > term);
});

Deno.test("§6.2 without CheckQuorum a cut-off leader stays leader", () => {
  const { net, lead } = electedCluster({ config: { checkQuorum: false } });
  net.isolate(lead);
  net.tick(lead, 100);
  assertEquals(net.node(lead).state().role, "leader");
});

Deno.test("§4.2.3 a follower that hears from its leader ignores a vote request of a higher term", () => {
  const { net, lead, f1, f2, term } = electedCluster();
  net.sent = [];
  const last = net.node(f1).log.lastIndex();
  net.inject(message("vote", f2, f1, term + 3, { index: last, logTerm: term }));
  assertEquals(net.count((m) => m.type === "voteResp"), 0);
  assertEquals(leadAndTerm(net, f1), [lead, term]);
  assertTrue(net.node(f1).hardState().vote !== f2, "no vote was given");
});

Deno.test("§4.2.3 a node cut off from the leader alone cannot depose it, even without PreVote", () => {
  const { net, lead, f1, f2, term } = electedCluster({ config: { preVote: false } });
  // f2 hears nobody from the leader but still reaches f1, and keeps starting elections.
  net.cut(lead, f2);
  net.tickAll(60);
  assertTrue(net.count((m) => m.type === "vote" && m.from === f2 && m.to === f1) > 0);
  assertTrue(net.node(f2).state().term > term, "the disruptive node raised its own term");
  assertEquals(net.leader(), lead);
  assertEquals(net.node(lead).state().term, term);
  assertEquals(leadAndTerm(net, f1), [lead, term]);
});
