import { assertEquals, assertTrue } from "../assert.ts";
import { createRng, type NodeId } from "../../src/raft/mod.ts";
import { makeEntries, message, Network } from "./network.ts";

function followers(net: Network, lead: NodeId): NodeId[] {
  return net.ids.filter((id) => id !== lead);
}

function voteReplies(net: Network, from: NodeId, to: NodeId): boolean[] {
  return net.sent.filter((m) => m.type === "voteResp" && m.from === from && m.to === to)
    .map((m) => !m.reject);
}

Deno.test("§3.4 a leader is elected and every node follows it", () => {
  const net = new Network({ size: 3 });
  const lead = net.tickUntilLeader();
  const term = net.node(lead).state().term;
  assertTrue(term > 1, "the election raised the term");
  for (const id of net.ids) {
    assertEquals(net.node(id).state().lead, lead);
    assertEquals(net.node(id).state().term, term);
  }
  assertEquals(net.leadersByTerm.get(term), new Set([lead]));
});

Deno.test("§3.4 a single-member cluster elects itself", () => {
  const net = new Network({ size: 1 });
  net.tickAll(1);
  assertEquals(net.node("n1").state().role, "leader");
  assertTrue(net.propose("n1", "alone").ok);
  assertEquals(net.appliedData("n1"), ["alone"]);
});

function randomFault(net: Network, pick: (n: number) => number): void {
  const id = net.ids[pick(net.ids.length)]!;
  const other = net.ids[pick(net.ids.length)]!;
  const roll = pick(10);
  if (roll < 3) net.heal();
  else if (roll < 5) net.isolate(id);
  else if (roll < 7 && id !== other) net.cut(id, other);
  else if (net.isUp(id)) net.crash(id);
  else net.restart(id);
}

function runChaos(seed: number): Network {
  const net = new Network({
    size: 5,
    seed,
    config: { inflightMsgsMax: 4, snapshotTimeoutTicks: 20 },
  });
  const rng = createRng(seed * 31 + 7);
  const pick = (n: number) => rng.int(n);
  net.recording = false;
  net.dropRate = 0.1;
  net.delayRate = 0.1;
  net.duplicateRate = 0.05;
  for (let step = 0; step < 300; step++) {
    if (pick(100) < 10) randomFault(net, pick);
    const snapper = net.ids[pick(net.ids.length)]!;
    if (pick(100) < 3 && net.isUp(snapper)) net.takeSnapshot(snapper);
    const lead = net.leader();
    if (lead !== undefined && pick(100) < 30) {
      net.node(lead).propose(new TextEncoder().encode(`s${step}`));
    }
    net.tickAll(1);
  }
  return net;
}

Deno.test("§3.6.3 election safety and state machine safety across seeded runs with faults", () => {
  let elections = 0;
  for (let seed = 1; seed <= 20; seed++) {
    const net = runChaos(seed);
    elections += net.leadersByTerm.size;
    for (const [term, leaders] of net.leadersByTerm) {
      assertEquals(leaders.size, 1, `seed ${seed}: term ${term} had leaders ${[...leaders]}`);
    }
    net.checkApplied();
    // After the faults end the cluster recovers and agrees on everything.
    net.heal();
    net.dropRate = 0;
    net.delayRate = 0;
    net.duplicateRate = 0;
    for (const id of net.ids) if (!net.isUp(id)) net.restart(id);
    const lead = net.tickUntilLeader(400);
    assertTrue(net.propose(lead, "final").ok, `seed ${seed}: the leader accepts`);
    // Long enough for a lost snapshot to be sent again.
    net.tickAll(30);
    for (const id of net.ids) {
      assertEquals(net.appliedData(id).at(-1), "final", `seed ${seed}: "${id}" caught up`);
    }
    net.checkApplied();
  }
  // The faults must have forced elections for the check to mean anything.
  assertTrue(elections > 30, `only ${elections} terms had a leader`);
});

Deno.test("§3.6.1 a candidate whose log is shorter gets no vote", () => {
  const net = new Network({ size: 3 });
  const lead = net.tickUntilLeader();
  const [up, behind] = followers(net, lead) as [NodeId, NodeId];
  net.isolate(behind);
  for (let i = 0; i < 3; i++) assertTrue(net.propose(lead, `x${i}`).ok);
  net.crash(lead);
  net.heal();
  net.campaign(behind);
  assertEquals(voteReplies(net, up, behind), [false]);
  assertTrue(net.node(behind).state().role !== "leader");
  // Only the node holding the committed entries can win.
  assertEquals(net.tickUntilLeader(), up);
  assertEquals(net.appliedData(up), ["x0", "x1", "x2"]);
});

Deno.test("§3.6.1 a longer log whose last term is older loses to a shorter, newer one", () => {
  const net = new Network({
    size: 3,
    extraEntries: {
      n1: makeEntries(4, 1, 10, "old"),
      n2: makeEntries(4, 2, 3, "new"),
      n3: makeEntries(4, 2, 3, "new"),
    },
  });
  net.campaign("n1");
  assertEquals(voteReplies(net, "n2", "n1"), [false]);
  assertEquals(voteReplies(net, "n3", "n1"), [false]);
  assertEquals(net.node("n1").state().role, "follower");
  net.campaign("n2");
  assertEquals(voteReplies(net, "n1", "n2"), [true]);
  assertEquals(net.node("n2").state().role, "leader");
  // The winner's log replaces the older suffix (§3.5).
  net.tickAll(2);
  assertEquals(net.node("n1").log.lastIndex(), 7);
});

Deno.test("§3.4 a node votes at most once per term, and the vote survives a restart (§3.8)", () => {
  const net = new Network({ size: 3 });
  net.isolate("n1");
  // A node that just started refuses votes for one election timeout.
  net.tick("n1", 10);
  const request = (from: NodeId) => message("vote", from, "n1", 5, { index: 3, logTerm: 1 });
  net.inject(request("n2"));
  net.inject(request("n3"));
  net.inject(request("n2"));
  assertEquals(voteReplies(net, "n1", "n2"), [true, true]);
  assertEquals(voteReplies(net, "n1", "n3"), [false]);
  assertEquals(net.disk("n1").hardState.vote, "n2");
  net.crash("n1");
  net.restart("n1");
  net.tick("n1", 10);
  net.inject(request("n3"));
  assertEquals(voteReplies(net, "n1", "n3"), [false, false]);
  assertEquals(net.node("n1").hardState(), { term: 5, vote: "n2", commit: 3 });
});
