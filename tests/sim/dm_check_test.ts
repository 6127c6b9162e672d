import { assertEquals, assertMatch } from "../assert.ts";
import { encodeCommand } from "../../src/kv/command.ts";
import type { Command } from "../../src/kv/command_types.ts";
import type { Change } from "../../src/kv/results.ts";
import { KvStateMachine } from "../../src/kv/state_machine.ts";
import { checkDataModel } from "./dm_check.ts";
import { AppliedLog, DmHistory, type DmInput, type DmOutput } from "./dm_history.ts";
import type { WatchRecord } from "./watch_check.ts";

const put = (key: string, value: string, prevIndex = -1): Command => ({
  kind: "put",
  key,
  value,
  prevIndex,
  lease: 0,
  ttlMs: 0,
  quotaBytes: 0,
});

/** The log the state machine applies `commands` to, one entry each from index 1, in term 1. */
function logOf(commands: Command[]): AppliedLog {
  const machine = new KvStateMachine();
  const log = new AppliedLog();
  commands.forEach((command, i) => {
    const entry = { index: i + 1, term: 1, type: "normal" as const, data: encodeCommand(command) };
    log.note("n1", entry, machine.apply(entry));
  });
  return log;
}

/** A history of operations that run one after another, each with its output. */
function sequential(ops: [DmInput, DmOutput, number][], atMs = 0): DmHistory {
  const history = new DmHistory();
  for (const [input, output, appliedMax] of ops) {
    history.settle(history.call("c1", input, atMs), output, appliedMax);
  }
  return history;
}

function verdict(log: AppliedLog, history: DmHistory, watches: WatchRecord[] = []): string {
  return checkDataModel({ log, ops: history.ops, watches, proposedAtMs: () => 0 }) ?? "ok";
}

const ok = (result: unknown): DmOutput => ({ status: "ok", result } as DmOutput);
const record = (key: string, value: string, createIndex: number, modIndex: number) => ({
  key,
  value,
  createIndex,
  modIndex,
});

Deno.test("data-model checker: a history the log explains passes", () => {
  const log = logOf([put("k", "a"), put("k", "b", 1), { kind: "delete", key: "k", prevIndex: 1 }]);
  const history = sequential([
    [{ kind: "put", key: "k", value: "a", options: {} }, ok({ index: 1, created: true }), 1],
    [{ kind: "get", key: "k", level: "consistent" }, ok({ record: record("k", "a", 1, 1) }), 1],
    [
      { kind: "put", key: "k", value: "b", options: { prevIndex: 1 } },
      ok({ index: 2, created: false }),
      2,
    ],
    [
      { kind: "delete", key: "k", prevIndex: 1 },
      { status: "precondition", current: record("k", "b", 1, 2) },
      3,
    ],
    [{ kind: "get", key: "k", level: "default" }, ok({ record: record("k", "b", 1, 2) }), 3],
  ]);
  assertEquals(verdict(log, history), "ok");
});

Deno.test("data-model checker: a CAS that succeeded must have seen the modIndex it compared", () => {
  // The put compared modIndex 1, but another write had moved the key to 2 first.
  const log = logOf([put("k", "a"), put("k", "b"), put("k", "c")]);
  const history = sequential([
    [
      { kind: "put", key: "k", value: "c", options: { prevIndex: 1 } },
      ok({ index: 3, created: false }),
      3,
    ],
  ]);
  assertMatch(verdict(log, history), /CAS: the put succeeded at index 3 with prevIndex 1/);
});

Deno.test("data-model checker: a CAS refused without an entry of it in the log was decided early", () => {
  const log = logOf([put("k", "a")]);
  const history = sequential([
    [
      { kind: "put", key: "k", value: "z", options: { prevIndex: 0 } },
      { status: "precondition", current: record("k", "a", 1, 1) },
      1,
    ],
  ]);
  assertMatch(verdict(log, history), /the condition was not decided when an entry applied/);
});

Deno.test("data-model checker: a read older than a write that finished before it is caught", () => {
  const log = logOf([put("k", "a"), put("k", "b")]);
  const history = sequential([
    [{ kind: "put", key: "k", value: "b", options: {} }, ok({ index: 2 }), 2],
    [{ kind: "get", key: "k", level: "consistent" }, ok({ record: record("k", "a", 1, 1) }), 2],
  ]);
  assertMatch(
    verdict(log, history),
    /Read: it returned "k"="a" c1 m1 l0, which the key never held from index 2/,
  );
  // The same read at the stale level may see an older state.
  const stale = sequential([
    [{ kind: "put", key: "k", value: "b", options: {} }, ok({ index: 2 }), 2],
    [{ kind: "get", key: "k", level: "stale" }, ok({ record: record("k", "a", 1, 1) }), 2],
  ]);
  assertEquals(verdict(log, stale), "ok");
});

Deno.test("data-model checker: a transaction is one step, its answer the model's at its index", () => {
  const txn = {
    compare: [{ key: "k", target: "modIndex" as const, modIndex: 1 }],
    success: [{ op: "put" as const, key: "j", value: "x", lease: 0 }],
    failure: [{ op: "get" as const, key: "k" }],
  };
  const log = logOf([put("k", "a"), { kind: "txn", ...txn, quotaBytes: 0 }]);
  const right = ok({ succeeded: true, results: [{ put: { key: "j" } }], index: 2 });
  assertEquals(verdict(log, sequential([[{ kind: "txn", request: txn }, right, 2]])), "ok");
  const wrong = ok({ succeeded: false, results: [{ get: { key: "k", record: null } }], index: 2 });
  assertMatch(
    verdict(log, sequential([[{ kind: "txn", request: txn }, wrong, 2]])),
    /Transaction: it answered succeeded=false, but its comparisons give true/,
  );
});

Deno.test("data-model checker: a scan page must be the cut at the index it reports", () => {
  const log = logOf([put("p/a", "1"), put("p/b", "2"), {
    kind: "delete",
    key: "p/a",
    prevIndex: -1,
  }]);
  const request = { prefix: "p/", after: "", limit: 10, keysOnly: false };
  const scan = { kind: "scan" as const, request, level: "consistent" as const, listing: 1 };
  const page = (index: number, items: unknown[]) =>
    ok({
      items,
      more: false,
      next: (items.at(-1) as { key: string } | undefined)?.key ?? "",
      index,
    });
  const cut = page(2, [record("p/a", "1", 1, 1), record("p/b", "2", 2, 2)]);
  assertEquals(verdict(log, sequential([[scan, cut, 3]])), "ok");
  // Keys from two different indexes: p/a gone (index 3) beside nothing at index 2.
  const torn = page(2, [record("p/b", "2", 2, 2)]);
  assertMatch(verdict(log, sequential([[scan, torn, 3]])), /Scan: not the cut at index 2/);
});

Deno.test("data-model checker: an outcome the model does not compute is caught", () => {
  const log = new AppliedLog();
  const entry = {
    index: 1,
    term: 1,
    type: "normal" as const,
    data: encodeCommand(put("k", "a", 5)),
  };
  log.note("n1", entry, { kind: "put", grantedLease: null, index: 1, changes: [] });
  assertMatch(verdict(log, new DmHistory()), /State machine: entry 1 .* applied as/s);
});

Deno.test("data-model checker: a watch must see every change to its keys, whole, across a resume", () => {
  const log = logOf([put("k", "a"), put("j", "x"), put("k", "b"), put("k", "c")]);
  const changes = (index: number): readonly Change[] => log.entries.get(index)!.result!.changes!;
  const segment = (from: number, indexes: number[], confirmed: number) => ({
    node: "n1",
    from,
    events: indexes.map((index) => ({ index, changes: changes(index) })),
    confirmed,
    ended: "",
  });
  const watch = (segments: ReturnType<typeof segment>[]): WatchRecord[] => [
    { name: "w", target: { key: "k" }, segments },
  ];
  const history = new DmHistory();
  assertEquals(verdict(log, history, watch([segment(1, [1], 2), segment(3, [3, 4], 4)])), "ok");
  // The resumed stream lost index 3.
  assertMatch(
    verdict(log, history, watch([segment(1, [1], 2), segment(3, [4], 4)])),
    /Watch: watcher w .* event 0 is\n {2}@4/,
  );
});

Deno.test("data-model checker: expiry must not cut short an acknowledged keep-alive", () => {
  const log = logOf([{ kind: "leaseGrant", ttlMs: 300 }, { kind: "leaseRevoke", id: 1 }]);
  const history = new DmHistory();
  const grant = history.call("c1", { kind: "leaseGrant", ttlMs: 300 }, 0);
  history.settle(grant, ok({ id: 1, ttlMs: 300 }), 1);
  const kept = history.call("k1", { kind: "keepAlive", id: 1 }, 100);
  history.settle(kept, ok({ id: 1, ttlMs: 300 }), 1);
  const check = (revokedAtMs: number) =>
    checkDataModel({ log, ops: history.ops, watches: [], proposedAtMs: () => revokedAtMs });
  assertEquals(check(400), null);
  assertMatch(
    check(399) ?? "",
    /Lease: lease 1 .* a keep-alive acknowledged at 100 ms keeps it until 400 ms/,
  );
  // A revocation a client asked for before it was proposed is no expiry.
  const revoke = history.call("c1", { kind: "leaseRevoke", id: 1 }, 350);
  history.settle(revoke, ok({ id: 1, deleted: 0, index: 2 }), 2);
  assertEquals(check(360), null);
});
