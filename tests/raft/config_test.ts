import { assertEquals, assertTrue } from "../assert.ts";
import { createRng, defaultConfig, type RaftConfig, validateConfig } from "../../src/raft/mod.ts";

function refusal(change: Partial<Record<keyof RaftConfig, unknown>>): string {
  try {
    validateConfig({ ...defaultConfig(), ...change } as RaftConfig);
  } catch (error) {
    assertTrue(error instanceof RangeError, `a RangeError, got ${error}`);
    return error.message;
  }
  return "accepted";
}

Deno.test("config: the defaults are valid and keep the documented timings", () => {
  const config = defaultConfig();
  assertEquals(validateConfig(config), config);
  assertEquals([config.electionTicks, config.heartbeatTicks, config.leaseTicks], [10, 1, 8]);
  assertTrue(config.preVote && config.checkQuorum, "PreVote and CheckQuorum are on by default");
});

Deno.test("config: §6.4.1 a lease as long as the election timeout is refused", () => {
  assertEquals(
    refusal({ leaseTicks: 10 }),
    'Config "leaseTicks" (10) must be shorter than "electionTicks" (10)',
  );
  assertTrue(refusal({ leaseTicks: 11 }).includes("leaseTicks"));
  assertEquals(refusal({ leaseTicks: 9 }), "accepted");
});

Deno.test("config: §3.4 an election timeout not above the heartbeat interval is refused", () => {
  assertEquals(
    refusal({ electionTicks: 5, heartbeatTicks: 5, leaseTicks: 2 }),
    'Config "electionTicks" (5) must be greater than "heartbeatTicks" (5)',
  );
  assertTrue(
    refusal({ electionTicks: 5, heartbeatTicks: 6, leaseTicks: 2 }).includes("electionTicks"),
  );
});

Deno.test("config: zero, negative, fractional and non-numeric settings are refused", () => {
  const fields: (keyof RaftConfig)[] = [
    "heartbeatTicks",
    "electionTicks",
    "leaseTicks",
    "entriesPerMsgMax",
    "bytesPerMsgMax",
    "inflightMsgsMax",
    "snapshotTimeoutTicks",
  ];
  for (const field of fields) {
    for (const bad of [0, -1, 1.5, Number.NaN, Infinity, "3"]) {
      assertEquals(
        refusal({ [field]: bad }),
        `Config "${field}" must be a positive integer, got "${bad}"`,
        `${field} = ${String(bad)}`,
      );
    }
  }
});

Deno.test("rng: the same seed gives the same numbers, each within its bound", () => {
  const a = createRng(42);
  const b = createRng(42);
  const draws = Array.from({ length: 1000 }, () => a.int(10));
  assertEquals(draws, Array.from({ length: 1000 }, () => b.int(10)));
  assertTrue(draws.every((n) => Number.isInteger(n) && n >= 0 && n < 10));
  assertEquals(new Set(draws).size, 10, "every value shows up");
  let refused = "";
  try {
    a.int(0);
  } catch (error) {
    refused = error instanceof RangeError ? error.message : "";
  }
  assertEquals(refused, 'Random bound must be a positive integer, got "0"');
});
