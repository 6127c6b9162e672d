import { assertEquals, assertTrue } from "../assert.ts";
import type { OpRecord } from "./history.ts";
import type { SeenEvent, WatchLog } from "./watcher.ts";
import { watchersAgree, watchVerdict } from "./watch_verdict.ts";

function put(key: string, value: string, index: number, node = "n1"): SeenEvent {
  return { index, node, changes: [{ type: "put", key, value }] };
}

function del(key: string, index: number, node = "n1"): SeenEvent {
  return { index, node, changes: [{ type: "delete", key }] };
}

function watchLog(events: SeenEvent[], compacted: string | null = null): WatchLog {
  const streams = [...new Set(events.map((e) => e.node))].map((node) => ({
    node,
    resumedAfter: null,
    ended: "",
  }));
  const through = events.reduce((max, e) => Math.max(max, e.index), 0);
  return {
    name: "watch-1",
    prefix: "k",
    fromIndex: 1,
    events,
    streams,
    through,
    refused: 0,
    compacted,
  };
}

function write(
  kind: OpRecord["kind"],
  key: string,
  value: string | null,
  index: number,
  more: Partial<OpRecord> = {},
): OpRecord {
  return {
    worker: 0,
    kind,
    key,
    value,
    expected: null,
    level: null,
    call: index,
    ret: index + 1,
    outcome: "ok",
    read: null,
    deleted: kind === "delete",
    swapped: kind === "cas",
    index,
    node: "n1",
    status: 200,
    note: "",
    anomaly: false,
    ...more,
  };
}

const reached = { index: 9, reached: true };

Deno.test("a watcher that saw every committed change in order passes", () => {
  const events = [
    put("k0", "a", 3),
    put("k1", "b", 4, "n2"),
    del("k0", 6, "n3"),
    put("k1", "c", 8),
  ];
  const records = [
    write("put", "k0", "a", 3),
    write("put", "k1", "b", 4),
    // A swap that did not apply and a delete of nothing make no event.
    write("cas", "k1", "x", 5, { swapped: false }),
    write("delete", "k0", null, 6),
    write("delete", "k2", null, 7, { deleted: false }),
    write("cas", "k1", "c", 8),
  ];
  const finals = new Map([["k0", null], ["k1", "c"], ["k2", null]]);
  const verdict = watchVerdict(watchLog(events), records, finals, reached);
  assertTrue(verdict.ok, verdict.detail);
  assertTrue(verdict.detail.includes("4 events over 3 streams on 3 nodes"), verdict.detail);
  assertTrue(verdict.detail.includes("4 acknowledged writes among them"), verdict.detail);
});

Deno.test("a repeated or reordered event across a resume is a violation", () => {
  const finals = new Map([["k0", "b"]]);
  const repeat = watchLog([put("k0", "a", 3), put("k0", "a", 3, "n2"), put("k0", "b", 5, "n2")]);
  const verdict = watchVerdict(repeat, [], finals, reached);
  assertEquals(verdict.ok, false);
  assertTrue(verdict.detail.includes("event at index 3 (from n2) came after index 3"));
  const back = watchLog([put("k0", "a", 3), put("k0", "b", 5), put("k0", "a", 4, "n2")]);
  assertEquals(watchVerdict(back, [], finals, reached).ok, false);
  // Order is checked even when the watch ended on a 410.
  assertEquals(
    watchVerdict({ ...repeat, compacted: "n1 answered 410" }, [], finals, reached).ok,
    false,
  );
});

Deno.test("a last event that differs from the converged value is a violation", () => {
  const log = watchLog([put("k0", "a", 3), put("k0", "b", 5)]);
  const verdict = watchVerdict(log, [], new Map([["k0", "a"], ["k1", null]]), reached);
  assertEquals(verdict.ok, false);
  assertTrue(verdict.detail.includes('"k0": the last event says "b", every node holds "a"'));
  const unseen = watchVerdict(log, [], new Map([["k0", "b"], ["k1", "z"]]), reached);
  assertTrue(unseen.detail.includes('"k1": the last event says null'), unseen.detail);
});

Deno.test("an acknowledged write missing from the events at its index is reported", () => {
  const log = watchLog([put("k0", "a", 3), put("k0", "c", 7)]);
  const records = [
    write("put", "k0", "a", 3),
    write("cas", "k0", "b", 5),
    write("put", "k0", "c", 6),
    write("put", "k0", "d", 8, { outcome: "indeterminate" }),
  ];
  const verdict = watchVerdict(log, records, new Map([["k0", "c"]]), reached);
  assertEquals(verdict.ok, false);
  assertTrue(verdict.detail.includes("2 acknowledged writes missing"), verdict.detail);
  assertTrue(verdict.detail.includes('cas "k0" = "b" at 5; put "k0" = "c" at 6'), verdict.detail);
});

Deno.test("a watch every node refused with 410 ends with a note, one that fell behind fails", () => {
  const log = watchLog([put("k0", "a", 3)], "n2 answered 410 {}");
  const verdict = watchVerdict(log, [write("put", "k0", "b", 5)], new Map([["k0", "b"]]), reached);
  assertTrue(verdict.ok, verdict.detail);
  assertTrue(verdict.detail.includes("ended early, order only: n2 answered 410"), verdict.detail);
  const behind = watchVerdict(watchLog([put("k0", "a", 3)]), [], new Map([["k0", "a"]]), {
    index: 9,
    reached: false,
  });
  assertEquals(behind.ok, false);
  assertTrue(behind.detail.includes("it saw through index 3, the cluster is at 9"), behind.detail);
});

Deno.test("an event of a value no live write wrote is a violation", () => {
  const log = watchLog([put("k0", "a", 3), put("k0", "b", 5)]);
  const records = [write("put", "k0", "a", 3), write("put", "k0", "b", 5, { outcome: "failed" })];
  const verdict = watchVerdict(log, records, new Map([["k0", "b"]]), reached);
  assertEquals(verdict.ok, false);
  assertTrue(
    verdict.detail.includes('events of writes nobody made: "k0" = "b" at 5'),
    verdict.detail,
  );
  const open = [
    write("put", "k0", "a", 3),
    write("put", "k0", "b", 5, { outcome: "indeterminate" }),
  ];
  assertTrue(watchVerdict(log, open, new Map([["k0", "b"]]), reached).ok);
});

Deno.test("two watchers must agree event for event as far as both saw", () => {
  const one = watchLog([put("k0", "a", 3), put("k1", "b", 4), del("k0", 6)]);
  const two = { ...watchLog([put("k0", "a", 3), put("k1", "b", 4, "n2")]), name: "watch-2" };
  const agree = watchersAgree([one, { ...two, through: 5 }]);
  assertEquals(agree?.ok, true, agree?.detail);
  assertEquals(agree?.detail, "2 events each through index 5");
  // A change of a write whose answer was lost, seen by one watcher only.
  const lost = watchersAgree([one, { ...two, through: 6 }]);
  assertEquals(lost?.ok, false);
  assertEquals(lost?.detail, 'event 2: watch-1 saw @6 [delete "k0"], watch-2 saw nothing');
  const other = { ...two, events: [put("k0", "a", 3), put("k1", "c", 4)] };
  assertEquals(watchersAgree([one, other])?.ok, false);
  // A watch that ended on a 410 is not compared.
  assertEquals(watchersAgree([one, { ...two, compacted: "410" }]), null);
});
