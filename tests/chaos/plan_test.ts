import { assertEquals, assertThrows, assertTrue } from "../assert.ts";
import { parseChaosOptions } from "./options.ts";
import { NEMESES, planRun } from "./plan.ts";
import {
  availability,
  failoverTimes,
  formatTallies,
  kindCounts,
  medianMax,
  recoveryTimes,
  type RunResult,
} from "./report.ts";
import type { OpRecord } from "./history.ts";
import type { TimelineEvent } from "./nemesis.ts";

Deno.test("a seed always draws the same plan, another seed another one", () => {
  for (const nemesis of NEMESES) {
    assertEquals(planRun(nemesis, 7, 60), planRun(nemesis, 7, 60), nemesis);
  }
  assertTrue(JSON.stringify(planRun("mixed", 7, 60)) !== JSON.stringify(planRun("mixed", 8, 60)));
});

Deno.test("a plan fills the run with faults of its nemesis, mixed draws every kind", () => {
  for (const nemesis of NEMESES.filter((n) => n !== "mixed")) {
    const plan = planRun(nemesis, 3, 120);
    assertTrue(plan.every((e) => e.spec.kind === nemesis && e.during === null), nemesis);
    const total = plan.reduce((sum, e) => sum + e.quietMs + e.faultMs, 0);
    assertTrue(total >= 120_000 && total < 120_000 + 10_000, `${nemesis}: ${total} ms`);
  }
  const kinds = new Set(planRun("mixed", 3, 600).map((e) => e.spec.kind));
  assertEquals(kinds.size, 5);
  assertTrue(planRun("mixed", 3, 600).some((e) => e.during !== null));
  assertEquals(planRun("kill", 3, 1).length, 1, "at least one fault");
  assertThrows(() => planRun("kill", -1, 10), /"-1"/);
});

Deno.test("chaos options: defaults, bounds and a random seed only when none is given", () => {
  const options = parseChaosOptions([], () => 99);
  assertEquals([options.runs, options.seconds, options.nemesis, options.nodes], [
    1,
    30,
    "mixed",
    3,
  ]);
  assertEquals(options.seed, 99);
  assertEquals(parseChaosOptions(["--seed", "0"], () => 99).seed, 0);
  assertThrows(() => parseChaosOptions(["--nodes", "4"], () => 1), /"4"/);
  assertThrows(() => parseChaosOptions(["--nemesis", "flood"], () => 1), /"flood"/);
  assertThrows(() => parseChaosOptions(["--seconds", "2"], () => 1), /"2"/);
});

function write(node: string, call: number, ret: number, outcome: OpRecord["outcome"] = "ok") {
  return {
    worker: 0,
    kind: "put",
    key: "k",
    value: `v${call}`,
    level: null,
    call,
    ret,
    outcome,
    expected: null,
    read: null,
    deleted: false,
    swapped: false,
    index: null,
    node,
    status: 200,
    note: "",
    anomaly: false,
  } satisfies OpRecord;
}

function event(fields: Partial<TimelineEvent>): TimelineEvent {
  return {
    kind: "kill",
    detail: "",
    start: 0,
    end: 0,
    leader: "n1",
    leaderDown: true,
    notes: [],
    ...fields,
  };
}

Deno.test("availability counts ok operations in fault windows and outside them", () => {
  const run = {
    records: [write("n1", 0, 500), write("n1", 600, 1500), write("n2", 1600, 2500, "failed")],
    timeline: [event({ start: 1000, end: 2000 })],
  } as RunResult;
  const figures = availability(run);
  assertEquals(figures.get("kill"), { okOps: 1, ops: 1, indeterminate: 0, ms: 1000 });
  assertEquals(figures.get("healthy"), { okOps: 1, ops: 2, indeterminate: 0, ms: 1501 });
});

Deno.test("failover times come from the probes of leader kills and pauses", () => {
  const run = {
    records: [],
    timeline: [
      event({ failoverMs: 700 }),
      event({ kind: "pause", failoverMs: null }),
      event({ kind: "partition" }),
      event({ kind: "pause", failoverMs: 1200 }),
    ],
  } as unknown as RunResult;
  assertEquals(failoverTimes(run), [700, 1200]);
  assertEquals(medianMax([3, 1, 2, 10]), { median: 2.5, max: 10 });
  assertEquals(medianMax([]), null);
});

Deno.test("recovery is timed from a fault's heal to the next acknowledged write", () => {
  const run = {
    records: [write("n2", 100, 900), write("n2", 2100, 2300, "failed"), write("n3", 2200, 2600)],
    timeline: [event({ kind: "partition", start: 1000, end: 2000 })],
  } as RunResult;
  assertEquals(recoveryTimes(run), [{ kind: "partition", ms: 600 }]);
});

Deno.test("the tallies count compare-and-swaps and watch events", () => {
  const cas = { ...write("n1", 0, 500), kind: "cas" as const, swapped: true };
  const event = { index: 3, node: "n1", changes: [] };
  const watch = { events: [event, { ...event, index: 4 }], streams: [], through: 4 };
  const run = {
    nemesis: "kill",
    records: [write("n1", 0, 400), cas, { ...cas, swapped: false }],
    watches: [watch, { ...watch, events: [event] }],
    timeline: [],
    verdicts: [],
  } as unknown as RunResult;
  const row = formatTallies([run]).split("\n").find((line) => line.startsWith("kill "));
  assertEquals(row?.split(/ +/), ["kill", "1", "3", "0", "0", "2", "3"]);
  assertEquals(kindCounts(run.records), "put 1, delete 0, cas 2 (swapped 1), get 0");
});
