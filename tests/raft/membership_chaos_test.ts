import { assertEquals, assertTrue } from "../assert.ts";
import { type ConfChange, createRng, type NodeId, type Rng } from "../../src/raft/mod.ts";
import { Network } from "./network.ts";

const flow = { inflightMsgsMax: 4, entriesPerMsgMax: 3, snapshotTimeoutTicks: 20 };

/** A change that fits `target`'s place in the leader's membership. */
function changeFor(net: Network, lead: NodeId, target: NodeId, rng: Rng): ConfChange {
  const member = net.node(lead).currentMembership().find((m) => m.id === target);
  const op: ConfChange["op"] = member === undefined
    ? "addLearner"
    : !member.voter && rng.int(2) === 0
    ? "promote"
    : "remove";
  return { op, id: target, raftAddr: "", httpAddr: "" };
}

function randomFault(net: Network, id: NodeId, roll: number): void {
  if (roll < 3) net.heal();
  else if (roll < 5) net.isolate(id);
  else if (roll < 7) {
    if (net.isUp(id)) net.crash(id);
    else net.restart(id);
  } else if (roll < 9 && net.isUp(id) && net.appliedIndex(id) > 0) net.takeSnapshot(id);
}

function leaderAction(net: Network, lead: NodeId, step: number, rng: Rng): void {
  const roll = rng.int(100);
  const target = net.ids[rng.int(net.ids.length)]!;
  if (roll < 30) net.node(lead).propose(new TextEncoder().encode(`s${step}`));
  else if (roll < 36) net.node(lead).proposeConfChange(changeFor(net, lead, target, rng));
  else if (roll < 38) net.node(lead).transferLeader(target);
}

/** Runs one seeded history; returns how many reads were answered. */
function churn(seed: number): number {
  const net = new Network({ size: 3, seed, config: flow });
  net.addNode("n4", flow);
  net.addNode("n5", flow);
  const rng = createRng(seed * 31 + 7);
  net.recording = false;
  net.dropRate = 0.05;
  net.delayRate = 0.1;
  net.duplicateRate = 0.05;
  const issuedAt = new Map<number, number>();
  let answered = 0;
  for (let step = 0; step < 400; step++) {
    const id = net.ids[rng.int(5)]!;
    randomFault(net, id, rng.int(100));
    const lead = net.leader();
    if (lead !== undefined) leaderAction(net, lead, step, rng);
    if (net.isUp(id) && rng.int(3) === 0 && net.node(id).readIndex(step + 1)) {
      issuedAt.set(step + 1, net.commitFloor());
    }
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
  for (const [term, leaders] of net.leadersByTerm) {
    assertEquals(leaders.size, 1, `seed ${seed}: term ${term} had leaders ${[...leaders]}`);
  }
  net.checkApplied();
  recover(net, seed);
  return answered;
}

/** Once the faults stop, a leader emerges and every member of its membership catches up. */
function recover(net: Network, seed: number): void {
  net.heal();
  net.dropRate = 0;
  net.delayRate = 0;
  net.duplicateRate = 0;
  for (const id of net.ids) if (!net.isUp(id)) net.restart(id);
  const lead = net.tickUntilLeader(400);
  let accepted = false;
  // A transfer in progress refuses proposals for up to an election timeout.
  for (let i = 0; i < 30 && !accepted; i++) {
    accepted = net.propose(lead, "final").ok;
    net.tickAll(1);
  }
  assertTrue(accepted, `seed ${seed}: the leader accepts`);
  net.tickAll(40);
  for (const member of net.node(lead).currentMembership()) {
    assertEquals(net.appliedData(member.id).at(-1), "final", `seed ${seed}: "${member.id}"`);
  }
  net.checkApplied();
}

Deno.test("§3.6.3/§4.2/§6.4 safety and recovery under faults with membership changes and transfers", () => {
  let answered = 0;
  for (let seed = 1; seed <= 25; seed++) answered += churn(seed);
  assertTrue(answered > 200, `only ${answered} reads were answered`);
});
