import { assertEquals, assertMatch, assertTrue } from "../assert.ts";
import { createRng, encodeConfChange } from "../../src/raft/mod.ts";
import { corrupt } from "../sim/corrupt.ts";
import { bytes, message, Network } from "./network.ts";

/** The vote request that once moved a whole cluster to a term it could never leave. */
function absurdVote(from: string, to: string) {
  return message("vote", from, to, 2 ** 53 - 1, {
    index: 1e15,
    logTerm: 2 ** 53 - 1,
    ctx: 1,
  });
}

function follower(net: Network, lead: string): string {
  return net.ids.find((id) => id !== lead)!;
}

Deno.test("§3.3 a vote with a term beyond TERM_MAX is dropped, whoever sends it", () => {
  const net = new Network({ size: 3 });
  const lead = net.tickUntilLeader();
  const f = follower(net, lead);
  const term = net.node(f).state().term;
  for (const from of ["evil", lead, f === "n2" ? "n3" : "n2"]) {
    assertMatch(net.inject(absurdVote(from, f)) ?? "", /term "9007199254740991" is outside/);
  }
  assertEquals(net.node(f).state().term, term);
  assertEquals(net.node(f).hardState().term, term, "nothing new to persist");
  assertTrue(net.propose(lead, "still writing").ok);
  assertEquals(net.appliedData(f).at(-1), "still writing");
});

Deno.test("§3.10/§4.2.3 the transfer flag overrides a lease only from a voter, one term ahead", () => {
  const net = new Network({ size: 3 });
  const lead = net.tickUntilLeader();
  const f = follower(net, lead);
  const other = net.ids.find((id) => id !== lead && id !== f)!;
  const term = net.node(f).state().term;
  const vote = (from: string, ahead: number) =>
    message("vote", from, f, term + ahead, { index: 1e12, logTerm: term + ahead, ctx: 1 });
  // A stranger, even one claiming a longer log, and a voter too far ahead: ignored in the lease.
  net.crash(other);
  assertEquals(net.inject(vote("evil", 1)), null);
  assertEquals(net.node(f).state().term, term, "a stranger's transfer is not honoured");
  assertEquals(net.inject(vote(other, 5)), null);
  assertEquals(net.node(f).state().term, term, "a transfer skips exactly one term");
  // A voter one term ahead with the flag: the transfer goes through (§3.10).
  assertEquals(net.inject(vote(other, 1)), null);
  assertEquals(net.node(f).state().term, term + 1);
});

Deno.test("§4.2.3 a vote request from a node outside the configuration raises no term", () => {
  const net = new Network({ size: 3, config: { checkQuorum: false } });
  const lead = net.tickUntilLeader();
  const f = follower(net, lead);
  const term = net.node(f).state().term;
  const last = net.node(f).log.lastIndex();
  // Without leases nothing else protects the term: only the configuration does.
  net.inject(message("vote", "evil", f, term + 7, { index: last, logTerm: term }));
  assertEquals(net.node(f).state().term, term, "a stranger whose log is not ahead");
  net.inject(message("vote", "evil", f, term + 7, { index: last + 1, logTerm: term }));
  assertEquals(
    net.node(f).state().term,
    term + 7,
    "a candidate whose log is ahead may be a new voter",
  );
});

Deno.test("§3.5 a leader drops an acknowledgement beyond its log and keeps leading", () => {
  const net = new Network({ size: 3 });
  const lead = net.tickUntilLeader();
  const f = follower(net, lead);
  const { term } = net.node(lead).state();
  const last = net.node(lead).log.lastIndex();
  const ack = message("appResp", f, lead, term, { index: last + 1 });
  assertMatch(net.inject(ack) ?? "", /answers for index \d+, beyond the log's last \d+/);
  const hb = message("hbResp", f, lead, term, { seq: 1e9 });
  assertMatch(net.inject(hb) ?? "", /heartbeat round 1000000000, above the last sent/);
  const reject = message("appResp", f, lead, term, { reject: true, index: last + 50, hint: 1e6 });
  assertMatch(net.inject(reject) ?? "", /beyond the log's last/);
  assertEquals(net.node(lead).state().role, "leader");
  assertTrue(net.propose(lead, "after").ok);
  for (const id of net.ids) assertEquals(net.appliedData(id).at(-1), "after");
});

Deno.test("§3.5 a forged append to a follower does not stop the leader that hears its ack", () => {
  const net = new Network({ size: 3 });
  const lead = net.tickUntilLeader();
  const f = follower(net, lead);
  const { term } = net.node(lead).state();
  const last = net.node(f).log.lastIndex();
  // A frame that claims to come from the leader, one entry beyond the real log, committing it.
  const forged = message("app", lead, f, term, {
    index: last,
    logTerm: net.node(f).log.lastTerm(),
    entries: [{ index: last + 1, term, type: "normal", data: bytes("forged") }],
    commit: last + 1,
  });
  net.dropsExpected = true;
  net.inject(forged);
  assertEquals(net.appliedData(f).at(-1), "forged", "a liar with a member's id is believed");
  assertEquals(net.drops.length, 1);
  assertMatch(net.drops[0]!, /answers for index \d+, beyond the log's last/);
  assertEquals(net.node(lead).state().role, "leader");
  assertTrue(net.propose(lead, "real").ok);
  assertEquals(net.appliedData(lead).at(-1), "real");
});

Deno.test("§5.1 entries that do not continue the append's index are refused whole", () => {
  const net = new Network({ size: 3 });
  const lead = net.tickUntilLeader();
  const f = follower(net, lead);
  const { term } = net.node(f).state();
  const last = net.node(f).log.lastIndex();
  const gap = message("app", lead, f, term, {
    index: last,
    logTerm: net.node(f).log.lastTerm(),
    entries: [{ index: last + 2, term, type: "normal", data: bytes("x") }],
  });
  assertMatch(net.inject(gap) ?? "", /entry 0 has index "\d+", not \d+/);
  const conf = message("app", lead, f, term, {
    index: last,
    logTerm: net.node(f).log.lastTerm(),
    entries: [{ index: last + 1, term, type: "conf", data: bytes("{nonsense") }],
  });
  assertMatch(net.inject(conf) ?? "", /is not a membership change/);
  const newer = message("app", lead, f, term, {
    index: last,
    logTerm: net.node(f).log.lastTerm(),
    entries: [{ index: last + 1, term: term + 1, type: "normal", data: bytes("x") }],
  });
  assertMatch(net.inject(newer) ?? "", /has term "\d+" outside/);
  assertEquals(net.node(f).log.lastIndex(), last);
  assertTrue(net.propose(lead, "fine").ok);
});

Deno.test("§3.10 only the leader can make a follower campaign at once", () => {
  const net = new Network({ size: 3 });
  const lead = net.tickUntilLeader();
  const f = follower(net, lead);
  const other = net.ids.find((id) => id !== lead && id !== f)!;
  const { term } = net.node(f).state();
  assertMatch(
    net.inject(message("timeoutNow", other, f, term)) ?? "",
    /timeoutNow from "n\d", who is not the leader/,
  );
  assertEquals(net.node(f).state().term, term);
  assertEquals(net.leader(), lead);
});

Deno.test("corrupted copies of real messages are dropped or harmless, and the cluster serves", () => {
  const net = new Network({ size: 3, seed: 5 });
  net.tickUntilLeader();
  const rng = createRng(77);
  let dropped = 0;
  for (let round = 0; round < 40; round++) {
    net.propose(net.leader()!, `w${round}`);
    net.tickAll(1);
    for (const m of net.sent.slice(-30)) {
      const bad = corrupt(m, rng);
      if (bad === null || !net.isUp(m.to)) continue;
      const verdict = net.node(m.to).step(bad.message);
      if (bad.mustDrop) {
        assertTrue(verdict !== null, `${bad.change} was not dropped`);
        dropped++;
      }
    }
    net.deliverAll();
  }
  assertTrue(dropped > 100, `only ${dropped} corrupted messages were tried`);
  const lead = net.tickUntilLeader();
  assertTrue(net.propose(lead, "end").ok);
  for (const id of net.ids) assertEquals(net.appliedData(id).at(-1), "end");
  net.checkApplied();
  for (const id of net.ids) assertTrue(net.node(id).state().term < 50, "terms stay small");
});

Deno.test("a configuration change that names no node cannot be appended", () => {
  const data = encodeConfChange({ op: "addLearner", id: "", raftAddr: "a:1", httpAddr: "" });
  const net = new Network({ size: 3 });
  const lead = net.tickUntilLeader();
  const f = follower(net, lead);
  const { term } = net.node(f).state();
  const last = net.node(f).log.lastIndex();
  const m = message("app", lead, f, term, {
    index: last,
    logTerm: net.node(f).log.lastTerm(),
    entries: [{ index: last + 1, term, type: "conf", data }],
  });
  assertMatch(net.inject(m) ?? "", /member id "" is not/);
});
