/**
 * Elections and step-downs read out of successive core states: each
 * transition the driver can report, with its reason.
 */

import { assertEquals } from "../assert.ts";
import type { CoreState } from "../../src/node/driver_options.ts";
import { campaignStarted, stepDownReason } from "../../src/node/role_changes.ts";

const state = (role: CoreState["role"], term: number, lead = ""): CoreState => ({
  role,
  term,
  lead,
});
const quiet = { transferAsked: false, removed: false };

Deno.test("role changes: a campaign is reported once, asking for the term it campaigns for", () => {
  const follower = state("follower", 4, "n2");
  assertEquals(campaignStarted(state("preCandidate", 4), follower, quiet), {
    term: 5,
    reason: "election timeout",
  });
  // PreVote won: the same campaign goes on.
  assertEquals(campaignStarted(state("candidate", 5), state("preCandidate", 4), quiet), null);
  assertEquals(campaignStarted(state("leader", 5, "n1"), state("candidate", 5), quiet), null);
  // A split vote: the next attempt is a new campaign.
  assertEquals(campaignStarted(state("preCandidate", 5), state("candidate", 5), quiet), {
    term: 6,
    reason: "election timeout",
  });
  assertEquals(campaignStarted(state("candidate", 6), state("candidate", 5), quiet), {
    term: 6,
    reason: "election timeout",
  });
  assertEquals(campaignStarted(state("follower", 6, "n3"), state("candidate", 6), quiet), null);
});

Deno.test("role changes: a transfer's campaign and a lone voter's leadership say why", () => {
  const transfer = { transferAsked: true, removed: false };
  assertEquals(campaignStarted(state("candidate", 3), state("follower", 2, "n2"), transfer), {
    term: 3,
    reason: "leadership transfer",
  });
  assertEquals(campaignStarted(state("leader", 2, "n1"), state("follower", 0), quiet), {
    term: 2,
    reason: "only voter",
  });
});

Deno.test("role changes: a leader steps down for a higher term, its removal, or a lost quorum", () => {
  const leader = state("leader", 3, "n1");
  assertEquals(stepDownReason(state("follower", 4, "n2"), leader, quiet), "higher term");
  assertEquals(stepDownReason(state("follower", 3), leader, quiet), "lost quorum");
  assertEquals(stepDownReason(state("preCandidate", 3), leader, quiet), "lost quorum");
  assertEquals(
    stepDownReason(state("follower", 3), leader, { transferAsked: false, removed: true }),
    "removed from the cluster",
  );
  assertEquals(stepDownReason(state("follower", 4), state("candidate", 4), quiet), null);
  assertEquals(stepDownReason(leader, state("candidate", 3), quiet), null);
});
