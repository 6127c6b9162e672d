import { assertEquals, assertTrue } from "../assert.ts";
import { createRng, type Message, type NodeId } from "../../src/raft/mod.ts";
import { message, Network, type NetworkOptions } from "./network.ts";

function electedCluster(options: NetworkOptions = {}) {
  const net = new Network({ size: 3, ...options });
  const lead = net.tickUntilLeader();
  const [f1, f2] = net.ids.filter((id) => id !== lead) as [NodeId, NodeId];
  return { net, lead, f1, f2 };
}

function dropAppsFrom(from: NodeId): (m: Message) => Message | null {
  return (m) => (m.type === "app" && m.from === from ? null : m);
}

Deno.test("§6.4 a read waits until the new leader's no-op has committed", () => {
  const net = new Network({ size: 3 });
  net.intercept = dropAppsFrom("n1");
  net.campaign("n1");
  assertEquals(net.node("n1").state().role, "leader");
  assertTrue(net.node("n1").readIndex(1), "the leader takes the read");
  net.tick("n1", 3);
  assertEquals(net.reads.get("n1"), [], "no answer while the no-op is uncommitted");
  net.intercept = null;
  net.tickAll(2);
  assertEquals(net.node("n1").hardState().commit, 4);
  assertEquals(net.reads.get("n1"), [{ ctx: 1, index: 4 }]);
});

Deno.test("§6.4 concurrent reads share one heartbeat round", () => {
  const { net, lead } = electedCluster();
  assertTrue(net.propose(lead, "v").ok);
  const commit = net.node(lead).hardState().commit;
  net.sent = [];
  for (let ctx = 1; ctx <= 10; ctx++) net.node(lead).readIndex(ctx);
  net.deliverAll();
  assertEquals(net.count((m) => m.type === "hb" && m.from === lead), 2);
  assertEquals(
    net.reads.get(lead),
    Array.from({ length: 10 }, (_, i) => ({ ctx: i + 1, index: commit })),
  );
});

Deno.test("§6.4 a follower's read is forwarded to the leader and answered", () => {
  const { net, lead, f1 } = electedCluster();
  assertTrue(net.propose(lead, "v").ok);
  const commit = net.node(lead).hardState().commit;
  net.sent = [];
  assertTrue(net.node(f1).readIndex(42), "the follower knows its leader");
  net.deliverAll();
  assertEquals(net.count((m) => m.type === "readIndex" && m.from === f1 && m.to === lead), 1);
  assertEquals(net.reads.get(f1), [{ ctx: 42, index: commit }]);
  assertEquals(net.reads.get(lead), []);
});

Deno.test("§6.4 a node that knows no leader refuses a read", () => {
  const net = new Network({ size: 3 });
  assertEquals(net.node("n2").readIndex(1), false);
});

Deno.test("§6.4 a single voter answers a read at once", () => {
  const net = new Network({ size: 1 });
  net.tickAll(1);
  net.node("n1").readIndex(9);
  net.deliverAll();
  assertEquals(net.reads.get("n1"), [{ ctx: 9, index: 2 }]);
});

Deno.test("§6.4 a leader partitioned from the majority never answers a read", () => {
  const { net, lead } = electedCluster();
  net.isolate(lead);
  net.node(lead).readIndex(1);
  for (let i = 0; i < 30; i++) {
    net.tick(lead, 1);
    assertEquals(net.reads.get(lead), [], `no answer after ${i + 1} ticks`);
  }
  assertEquals(net.node(lead).state().role, "follower");
  net.heal();
  net.tickAll(30);
  assertEquals(net.reads.get(lead), []);
});

Deno.test("§6.4.1 the lease holds once a quorum acknowledged a heartbeat", () => {
  const net = new Network({ size: 3 });
  net.campaign("n1");
  assertTrue(net.node("n1").hasCommittedInTerm());
  assertEquals(net.node("n1").leaseRead(), -1, "no heartbeat round was acknowledged yet");
  net.tick("n1", 1);
  assertEquals(net.node("n1").leaseRead(), net.node("n1").hardState().commit);
});

Deno.test("§6.4.1 the lease lapses leaseTicks after the last acknowledged heartbeat was sent", () => {
  const { net, lead } = electedCluster({ config: { electionTicks: 20, leaseTicks: 8 } });
  net.tickAll(1);
  net.isolate(lead);
  net.tick(lead, 7);
  assertTrue(net.node(lead).leaseRead() >= 0, "still within the lease");
  net.tick(lead, 1);
  assertEquals(net.node(lead).leaseRead(), -1);
  assertEquals(net.node(lead).state().role, "leader", "the lease lapsed before CheckQuorum acted");
  net.heal();
  net.tick(lead, 1);
  assertTrue(net.node(lead).leaseRead() >= 0, "a new acknowledged round renews it");
});

Deno.test("§6.4.1/§3.10 no lease once a leadership transfer was attempted", () => {
  const { net, lead, f1 } = electedCluster();
  net.tickAll(1);
  assertTrue(net.node(lead).leaseRead() >= 0);
  net.drop(lead, f1);
  assertEquals(net.node(lead).transferLeader(f1), null);
  assertEquals(net.node(lead).leaseRead(), -1);
  net.tickAll(3);
  assertEquals(net.node(lead).state().role, "leader", "the transfer did not happen");
  assertEquals(net.node(lead).leaseRead(), -1);
});

Deno.test("§6.4.1 a restarted node ignores vote requests for one election timeout", () => {
  const { net, lead, f1, f2 } = electedCluster();
  const term = net.node(lead).state().term;
  net.crash(f1);
  net.restart(f1);
  net.isolate(f1);
  net.sent = [];
  const vote = () => message("vote", f2, f1, term + 1, { index: 100, logTerm: term });
  net.tick(f1, 9);
  net.inject(vote());
  assertEquals(net.count((m) => m.type === "voteResp"), 0);
  assertEquals(net.node(f1).state().term, term);
  net.tick(f1, 1);
  net.inject(vote());
  assertEquals(net.sent.filter((m) => m.type === "voteResp").map((m) => m.reject), [false]);
});

function readChaos(seed: number): number {
  const net = new Network({ size: 5, seed, config: { inflightMsgsMax: 4 } });
  const rng = createRng(seed * 131 + 3);
  net.recording = false;
  net.dropRate = 0.1;
  net.delayRate = 0.1;
  const issuedAt = new Map<number, number>();
  let answered = 0;
  for (let step = 0; step < 300; step++) {
    const id = net.ids[rng.int(5)]!;
    const roll = rng.int(100);
    if (roll < 3) net.heal();
    else if (roll < 6) net.isolate(id);
    else if (roll < 8 && net.isUp(id)) net.crash(id);
    else if (roll < 10 && !net.isUp(id)) net.restart(id);
    const lead = net.leader();
    if (lead !== undefined && rng.int(100) < 40) net.node(lead).propose(new Uint8Array([step]));
    if (net.isUp(id) && net.node(id).readIndex(step + 1)) issuedAt.set(step + 1, net.commitFloor());
    net.tickAll(1);
    net.checkLeases(net.commitFloor());
    for (const [reader, states] of net.reads) {
      for (const rs of states.splice(0)) {
        const began = issuedAt.get(rs.ctx)!;
        assertTrue(
          rs.index >= began,
          `seed ${seed}: read ${rs.ctx} on "${reader}" missed ${began}`,
        );
        answered++;
      }
    }
  }
  return answered;
}

Deno.test("§6.4/§6.4.1 under faults no read sees less than what committed before it began", () => {
  let answered = 0;
  for (let seed = 1; seed <= 10; seed++) answered += readChaos(seed);
  assertTrue(answered > 500, `only ${answered} reads were answered`);
});
