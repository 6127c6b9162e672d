import { assertEquals, assertTrue } from "../assert.ts";
import { bytes, Network, type NetworkOptions } from "./network.ts";
import type { NodeId, ProposeResult } from "../../src/raft/mod.ts";

function electedCluster(options: NetworkOptions = {}) {
  const net = new Network({ size: 3, ...options });
  const lead = net.tickUntilLeader();
  const [f1, f2] = net.ids.filter((id) => id !== lead) as [NodeId, NodeId];
  return { net, lead, f1, f2, term: net.node(lead).state().term };
}

function code(result: ProposeResult): string {
  return result.ok ? "ok" : result.code;
}

Deno.test("§3.10 a transfer to an up-to-date follower makes it leader at once", () => {
  const { net, lead, f1, term } = electedCluster();
  net.sent = [];
  assertEquals(net.node(lead).transferLeader(f1), null);
  net.deliverAll();
  assertEquals(net.count((m) => m.type === "timeoutNow" && m.from === lead && m.to === f1), 1);
  assertEquals(net.leader(), f1);
  assertEquals(net.node(f1).state().term, term + 1);
  assertEquals(net.node(lead).state().role, "follower");
  assertEquals(net.node(lead).state().lead, f1);
  assertTrue(net.propose(f1, "after").ok);
  assertEquals(net.appliedData(lead), ["after"]);
});

Deno.test("§3.10 a lagging target first catches up, then is told to campaign", () => {
  const { net, lead, f2 } = electedCluster();
  net.isolate(f2);
  for (let i = 0; i < 5; i++) assertTrue(net.propose(lead, `e${i}`).ok);
  net.heal();
  assertEquals(net.node(lead).transferLeader(f2), null);
  const first = net.collect();
  assertEquals(first.filter((m) => m.type === "timeoutNow").length, 0, "not before it caught up");
  assertTrue(first.some((m) => m.type === "app" && m.to === f2), "the leader sends what it lacks");
  net.deliver(first);
  net.deliverAll();
  assertEquals(net.leader(), f2);
  assertEquals(net.appliedData(f2), ["e0", "e1", "e2", "e3", "e4"]);
});

Deno.test("§3.10 proposals are refused while a transfer is in progress", () => {
  const { net, lead, f2 } = electedCluster();
  net.isolate(f2);
  assertTrue(net.propose(lead, "x").ok);
  assertEquals(net.node(lead).transferLeader(f2), null);
  assertEquals(code(net.node(lead).propose(bytes("y"))), "transferring");
  assertEquals(
    code(
      net.node(lead).proposeConfChange({
        op: "addLearner",
        id: "n9",
        raftAddr: "",
        httpAddr: "",
      }),
    ),
    "transferring",
  );
});

Deno.test("§3.10 a transfer to an unreachable target is abandoned after an election timeout", () => {
  const { net, lead, f2, term } = electedCluster();
  net.isolate(f2);
  assertEquals(net.node(lead).transferLeader(f2), null);
  net.tickAll(9);
  assertEquals(code(net.node(lead).propose(bytes("early"))), "transferring");
  net.tickAll(1);
  assertEquals(code(net.propose(lead, "late")), "ok");
  assertEquals(net.node(lead).state().role, "leader");
  assertEquals(net.node(lead).state().term, term);
});

Deno.test("§3.10 only a leader transfers, and only to a voter", () => {
  const { net, lead, f1 } = electedCluster();
  assertEquals(net.node(f1).transferLeader(lead), "Not the leader");
  assertEquals(net.node(lead).transferLeader("n9"), 'Node id "n9" is not a voter');
  assertEquals(net.node(lead).transferLeader(lead), null);
  assertEquals(code(net.node(lead).propose(bytes("still leading"))), "ok");
  const learners = new Network({ size: 2, learners: ["n2"] });
  learners.tickAll(1);
  assertEquals(learners.node("n1").transferLeader("n2"), 'Node id "n2" is not a voter');
});

Deno.test("§3.10 a follower that restarted campaigns on the leader's timeoutNow before any heartbeat", () => {
  const { net, lead, f1, term } = electedCluster();
  net.crash(f1);
  net.restart(f1);
  assertEquals(net.node(f1).state().lead, "", "a restarted follower knows no leader yet");
  // Only the leader of a term sends timeoutNow in it: the sender is that leader.
  assertEquals(net.node(lead).transferLeader(f1), null);
  net.deliverAll();
  assertEquals(net.leader(), f1);
  assertEquals(net.node(f1).state().term, term + 1);
});
