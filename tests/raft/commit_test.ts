import { assertEquals, assertMatch, assertThrows, assertTrue } from "../assert.ts";
import type { Message, NodeId } from "../../src/raft/mod.ts";
import { Network } from "./network.ts";

Deno.test("§3.6.2/§6.4 a new leader appends a no-op of its term, which every node applies", () => {
  const net = new Network({ size: 3 });
  const lead = net.tickUntilLeader();
  const term = net.node(lead).state().term;
  const last = net.node(lead).log.entries.at(-1)!;
  assertEquals([last.index, last.term, last.type, last.data.length], [4, term, "normal", 0]);
  for (const id of net.ids) {
    assertEquals(net.applied(id).at(-1), { index: 4, term, type: "normal", data: "" });
  }
  assertTrue(net.node(lead).hasCommittedInTerm());
});

/** Drops every app message from `from`; lets everything else through. */
function dropAppsFrom(from: NodeId): (m: Message) => Message | null {
  return (m) => (m.type === "app" && m.from === from ? null : m);
}

/** Lets `from`'s app messages through without their entries of `term` (a shorter batch). */
function withholdTerm(from: NodeId, term: number): (m: Message) => Message | null {
  return (m) => {
    if (m.type === "app" && m.from === from) m.entries = m.entries.filter((e) => e.term < term);
    return m;
  };
}

/**
 * Figure 8 (a) to (d) on five nodes: n1 ends as leader of term 4 with index
 * 6 of term 2 on a majority and its own no-op at 7 held back; n5, down, holds
 * a rival index 6 of term 3. Answers the nodes holding index 6 of term 2.
 */
function figure8(net: Network): NodeId[] {
  // (a) n1 leads term 2; its no-op at index 6 reaches only n2.
  net.intercept = (m) => (m.type === "app" && m.from === "n1" && m.to !== "n2" ? null : m);
  net.campaign("n1");
  assertEquals(net.node("n1").state(), { role: "leader", term: 2, lead: "n1", ticks: 0 });
  assertEquals(net.node("n2").log.term(6), 2);
  // (b) n1 crashes; n5 wins term 3 with n3 and n4 and writes index 6 only on itself.
  net.crash("n1");
  net.intercept = dropAppsFrom("n5");
  net.campaign("n5");
  assertEquals(net.node("n5").state().role, "leader");
  assertEquals(net.node("n5").log.term(6), 3);
  // (c) n1 restarts and hears of term 3; n5 crashes; n1 wins term 4 with n2, n3, n4.
  net.restart("n1");
  net.tick("n5", 1);
  assertEquals(net.node("n1").state().term, 3);
  net.crash("n5");
  // n1 replicates index 6 (term 2) to a majority, but not its own no-op at 7.
  net.intercept = withholdTerm("n1", 4);
  net.campaign("n1");
  assertEquals(net.node("n1").state(), { role: "leader", term: 4, lead: "n1", ticks: 0 });
  const holders = ["n1", "n2", "n3", "n4"].filter((id) => net.node(id).log.term(6) === 2);
  assertEquals(holders.length, 4, "index 6 of term 2 is on a majority");
  return holders;
}

Deno.test("§3.6.2 Figure 8: an entry of an earlier term commits only with one of the current term", () => {
  const net = new Network({ size: 5 });
  const holders = figure8(net);
  assertEquals(
    net.node("n1").hardState().commit,
    5,
    "counting replicas does not commit an old term",
  );
  for (const id of holders) assertEquals(net.appliedIndex(id), 5);
  // (e) once the entry of the current term reaches a majority, both commit.
  net.intercept = null;
  net.tickAll(3);
  assertEquals(net.node("n1").hardState().commit, 7);
  for (const id of holders) {
    assertEquals(net.applied(id)[5], { index: 6, term: 2, type: "normal", data: "" });
  }
  // n5's rival entry at index 6 is replaced when it comes back (§3.5).
  net.restart("n5");
  net.tickAll(3);
  assertEquals(net.node("n5").log.term(6), 2);
  assertEquals(net.appliedIndex("n5"), 7);
  net.checkApplied();
});

Deno.test("teeth: a leader that commits an earlier term's entry by counting replicas breaks safety in Figure 8", () => {
  const net = new Network({ size: 5, breaks: { commitByCounting: true } });
  figure8(net);
  assertEquals(net.node("n1").hardState().commit, 6, "the break commits index 6 of term 2");
  net.tickAll(1); // the heartbeat carries the commit index to the followers
  for (const id of ["n2", "n3", "n4"]) assertEquals(net.appliedIndex(id), 6);
  // (d) of the figure: n1 crashes before its no-op spreads; n5 returns and wins
  // with its rival index 6 of term 3, which is more up to date than term 2.
  // Only n5 campaigns (it times out first), as in the figure.
  net.crash("n1");
  net.restart("n5");
  const campaigning = new Set(["preVote", "vote"]);
  net.intercept = (m) => (campaigning.has(m.type) && m.from !== "n5" ? null : m);
  try {
    net.tickUntilLeader();
    net.tickAll(3);
  } catch (error) {
    // The followers can never take n5's entries over the one they committed.
    assertMatch(String(error), /did not settle/);
  }
  assertEquals(net.node("n5").state().role, "leader");
  // n5 counts their acknowledgements up to 6 and applies its own rival entry there.
  assertThrows(() => net.checkApplied(), /applied different entries at 6/);
});
