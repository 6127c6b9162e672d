import { assertEquals } from "../assert.ts";
import { ConfHistory } from "../../src/raft/conf_history.ts";
import {
  isSoleVoter,
  majorityValue,
  quorumActive,
  quorumSize,
  voteResult,
} from "../../src/raft/quorum.ts";
import { ReadOnly } from "../../src/raft/read_only.ts";
import type { Membership } from "../../src/raft/types.ts";

const five = ["n1", "n2", "n3", "n4", "n5"];

function members(spec: string): Membership {
  // "n1 n2 l:n3": voters, and learners prefixed "l:"
  return spec.split(" ").map((word) => {
    const learner = word.startsWith("l:");
    const id = learner ? word.slice(2) : word;
    return { id, voter: !learner, raftAddr: `${id}:7000`, httpAddr: "" };
  });
}

Deno.test("quorum: a majority of 1..6 voters", () => {
  assertEquals([1, 2, 3, 4, 5, 6].map(quorumSize), [1, 2, 2, 3, 3, 4]);
});

Deno.test("§3.6 quorum: the commit index is the highest index a majority stores", () => {
  const match = new Map([["n1", 10], ["n2", 8], ["n3", 8], ["n4", 3], ["n5", 0]]);
  assertEquals(majorityValue(five, (id) => match.get(id) ?? 0), 8);
  // Four voters need three: the third highest.
  assertEquals(majorityValue(["n1", "n2", "n4", "n5"], (id) => match.get(id) ?? 0), 3);
  assertEquals(majorityValue([], () => 7), 0);
});

Deno.test("§4.2.1 quorum: only voters' votes count, and a tie in an even cluster decides nothing", () => {
  const votes = new Map([["n1", true], ["n2", true], ["learner", true]]);
  assertEquals(voteResult(["n1", "n2", "n3", "n4"], votes), "pending");
  votes.set("n3", true);
  assertEquals(voteResult(["n1", "n2", "n3", "n4"], votes), "won");
  const rejections = new Map([["n2", false], ["n3", false], ["n4", true]]);
  assertEquals(voteResult(["n1", "n2", "n3"], rejections), "lost");
});

Deno.test("§6.2 quorum: CheckQuorum counts active voters against a majority", () => {
  const active = new Set(["n1", "n2"]);
  assertEquals(quorumActive(five, (id) => active.has(id)), false);
  active.add("n5");
  assertEquals(quorumActive(five, (id) => active.has(id)), true);
  assertEquals([isSoleVoter(["n1"], "n1"), isSoleVoter(["n2"], "n1"), isSoleVoter([], "n1")], [
    true,
    false,
    false,
  ]);
});

Deno.test("§4.1 conf history: the membership at an index, rolled back and compacted", () => {
  const base = members("n1");
  const history = new ConfHistory(base);
  const two = members("n1 l:n2");
  const three = members("n1 n2");
  history.append(4, two);
  history.append(9, three);
  assertEquals([history.at(3), history.at(4), history.at(8), history.at(9)], [
    base,
    two,
    two,
    three,
  ]);
  assertEquals(history.voters(), ["n1", "n2"]);
  // Entries from 9 were replaced: the change at 9 goes, and the voters follow.
  assertEquals(history.rollBack(10), false);
  assertEquals(history.rollBack(9), true);
  assertEquals([history.latest(), history.voters()], [two, ["n1"]]);
  // Compaction up to 6 folds the change at 4 into the base.
  history.compact(6);
  assertEquals([history.size(), history.at(6), history.latest()], [0, two, two]);
  history.restore(three);
  assertEquals([history.latest(), history.voters(), history.lastChangeIndex()], [
    three,
    ["n1", "n2"],
    0,
  ]);
});

Deno.test("§6.4 read-only: reads wait for their round, oldest first, and a confirmed round starts the lease", () => {
  const reads = new ReadOnly();
  reads.add({ ctx: 1, from: "n1" }, 10);
  reads.add({ ctx: 2, from: "n2" }, 10);
  assertEquals(reads.takeRoundWanted(), true);
  assertEquals(reads.takeRoundWanted(), false);
  const first = reads.startRound(50);
  reads.add({ ctx: 3, from: "n1" }, 12);
  const second = reads.startRound(53);
  // A quorum acknowledged only the first round: the reads queued before it are confirmed.
  assertEquals(reads.release(first).map((r) => r.ctx), [1, 2]);
  assertEquals([reads.leaseHolds(57, 8), reads.leaseHolds(58, 8)], [true, false]);
  assertEquals(reads.release(second).map((r) => r.ctx), [3]);
  assertEquals([reads.pendingCount(), reads.leaseHolds(60, 8)], [0, true]);
  reads.reset();
  assertEquals(reads.leaseHolds(60, 8), false);
});
