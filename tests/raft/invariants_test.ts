import { assertThrows } from "../assert.ts";
import {
  createRng,
  defaultConfig,
  encodeConfChange,
  type Entry,
  RaftNode,
} from "../../src/raft/mod.ts";
import { makeEntries, membershipEntries, Network } from "./network.ts";

/** A three-node cluster with a leader elected and its no-op applied everywhere. */
function elected(): { net: Network; lead: string; follower: string } {
  const net = new Network({ size: 3 });
  const lead = net.tickUntilLeader();
  const follower = net.ids.find((id) => id !== lead)!;
  return { net, lead, follower };
}

Deno.test("invariants: every node holds them through an election, replication and a snapshot", () => {
  const { net, lead } = elected();
  for (let i = 0; i < 20; i++) net.propose(lead, `v${i}`);
  net.takeSnapshot(lead, net.appliedIndex(lead) - 5);
  net.tickAll(5);
  for (const id of net.ids) net.node(id).checkInvariants();
});

Deno.test("invariants: a log whose entries skip an index is caught", () => {
  const { net, follower } = elected();
  const log = net.node(follower).log;
  log.entries.push(...makeEntries(log.lastIndex() + 2, 1, 1, "gap"));
  assertThrows(() => net.node(follower).checkInvariants(), /Invariant broken: entry \d+ sits at/);
});

Deno.test("invariants: entry terms that fall are caught", () => {
  const { net, lead } = elected();
  const log = net.node(lead).log;
  log.entries.push(...makeEntries(log.lastIndex() + 1, 1, 1, "old"));
  assertThrows(() => net.node(lead).checkInvariants(), /term 1 is below 2/);
});

Deno.test("invariants: commit beyond the log, applied beyond commit, stable beyond the log are caught", () => {
  const { net, follower } = elected();
  const log = net.node(follower).log;
  const last = log.lastIndex();
  log.committed = last + 1;
  assertThrows(() => net.node(follower).checkInvariants(), /commit \d+ is within the log/);
  log.committed = last - 1;
  assertThrows(() => net.node(follower).checkInvariants(), /applied \d+ is committed/);
  log.committed = last;
  log.stableIndex = last + 1;
  assertThrows(() => net.node(follower).checkInvariants(), /stable \d+ is within the log/);
});

Deno.test("invariants: a term below the log's last entry's is caught", () => {
  const entries: Entry[] = [...membershipEntries(["n1"], []), ...makeEntries(2, 3, 1, "x")];
  const node = new RaftNode({
    id: "n1",
    config: defaultConfig(),
    rng: createRng(1),
    hardState: { term: 1, vote: "", commit: 1 },
    snapshot: null,
    entries,
  });
  assertThrows(() => node.checkInvariants(), /term 1 is at least every entry's \(3\)/);
});

Deno.test("invariants: a membership change in the log that the history does not hold is caught", () => {
  const { net, follower } = elected();
  const log = net.node(follower).log;
  const change = { op: "addLearner" as const, id: "n9", raftAddr: "127.0.0.1:7009", httpAddr: "" };
  const index = log.lastIndex() + 1;
  log.entries.push({ index, term: 2, type: "conf", data: encodeConfChange(change) });
  assertThrows(() => net.node(follower).checkInvariants(), /history holds 3 of 4 changes/);
});

Deno.test("invariants: a leader whose own progress is not its stable index is caught", () => {
  const { net, lead } = elected();
  net.node(lead).log.stableIndex--;
  assertThrows(() => net.node(lead).checkInvariants(), /own match \d+ is stable \d+/);
});

Deno.test("invariants: a leader whose commit falls back to an earlier term's entry is caught", () => {
  const { net, lead } = elected();
  const log = net.node(lead).log;
  log.committed = 3;
  log.applied = 3;
  assertThrows(() => net.node(lead).checkInvariants(), /committed in term when the commit is/);
});

Deno.test("invariants: a log compacted behind the configuration history's back is caught", () => {
  const { net, follower } = elected();
  net.node(follower).log.compact(2);
  assertThrows(() => net.node(follower).checkInvariants(), /change at 1 is above 2/);
});
