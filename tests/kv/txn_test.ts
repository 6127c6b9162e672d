import { assertEquals } from "../assert.ts";
import { changesOf, Feeder, txn } from "./helpers.ts";

Deno.test("a transaction whose comparisons hold runs success, as one entry", () => {
  const feeder = new Feeder();
  feeder.put("config/a", "1");
  feeder.put("config/b", "2");
  const result = feeder.apply(txn({
    compare: [
      { key: "config/a", target: "modIndex", modIndex: 1 },
      { key: "config/b", target: "value", value: "2" },
      { key: "config/c", target: "exists", exists: false },
    ],
    success: [
      { op: "put", key: "config/c", value: "3", lease: 0 },
      { op: "delete", key: "config/a" },
      { op: "get", key: "config/c" },
      { op: "deletePrefix", prefix: "config/b" },
    ],
    failure: [{ op: "put", key: "failed", value: "yes", lease: 0 }],
  }));
  assertEquals(result.kind === "txn" && result.succeeded, true);
  assertEquals(result.kind === "txn" && result.results, [
    { op: "put", key: "config/c" },
    { op: "delete", key: "config/a", deleted: true },
    {
      op: "get",
      key: "config/c",
      record: { key: "config/c", value: "3", createIndex: 3, modIndex: 3, lease: 0 },
    },
    { op: "deletePrefix", prefix: "config/b", deleted: 1 },
  ]);
  assertEquals(changesOf(result).map((c) => `${c.type} ${c.key} ${c.modIndex}`), [
    "put config/c 3",
    "delete config/a 3",
    "delete config/b 3",
  ]);
  assertEquals(feeder.machine.get("failed"), null);
  assertEquals(feeder.machine.size, 1);
});

Deno.test("a transaction whose comparison fails runs failure instead", () => {
  const feeder = new Feeder();
  feeder.put("k", "v");
  const result = feeder.apply(txn({
    compare: [{ key: "k", target: "value", value: "other" }],
    success: [{ op: "delete", key: "k" }],
    failure: [{ op: "get", key: "k" }],
  }));
  assertEquals(result.kind === "txn" && result.succeeded, false);
  assertEquals(result.kind === "txn" && result.results[0], {
    op: "get",
    key: "k",
    record: { key: "k", value: "v", createIndex: 1, modIndex: 1, lease: 0 },
  });
  assertEquals(changesOf(result), []);
});

Deno.test("an empty compare succeeds; a missing key compares as modIndex 0 and never equal in value", () => {
  const feeder = new Feeder();
  const empty = feeder.apply(txn({ success: [{ op: "put", key: "a", value: "1", lease: 0 }] }));
  assertEquals(empty.kind === "txn" && empty.succeeded, true);
  const missing = feeder.apply(txn({
    compare: [{ key: "ghost", target: "modIndex", modIndex: 0 }],
  }));
  assertEquals(missing.kind === "txn" && missing.succeeded, true);
  const value = feeder.apply(txn({ compare: [{ key: "ghost", target: "value", value: "" }] }));
  assertEquals(value.kind === "txn" && value.succeeded, false);
});

Deno.test("a transaction is atomic: a missing lease in its last op takes back every change", () => {
  const feeder = new Feeder();
  feeder.apply({ kind: "leaseGrant", ttlMs: 1000 });
  feeder.put("a", "old", { lease: 1 });
  feeder.put("b", "old");
  const everything = { prefix: "", after: "", limit: 100, keysOnly: false };
  const before = feeder.machine.scan(everything).records;
  const result = feeder.apply(txn({
    success: [
      { op: "put", key: "a", value: "new", lease: 0 },
      { op: "delete", key: "b" },
      { op: "put", key: "c", value: "new", lease: 1 },
      { op: "deletePrefix", prefix: "" },
      { op: "put", key: "d", value: "new", lease: 42 },
    ],
  }));
  assertEquals(result.kind === "refused" && result.refusal, { reason: "leaseNotFound", lease: 42 });
  assertEquals(changesOf(result), []);
  assertEquals(feeder.machine.get("a"), {
    key: "a",
    value: "old",
    createIndex: 2,
    modIndex: 2,
    lease: 1,
  });
  assertEquals(feeder.machine.scan(everything).records, before);
  assertEquals(feeder.machine.lease(1, 10)?.keys, ["a"]);
  assertEquals(feeder.machine.dataBytes, 8);
  // The lease's key list was restored too: revoking it deletes "a" and only "a".
  const revoke = feeder.apply({ kind: "leaseRevoke", id: 1 });
  assertEquals(changesOf(revoke).map((c) => c.key), ["a"]);
});

Deno.test("a transaction that would pass the quota is refused whole", () => {
  const feeder = new Feeder();
  feeder.put("a", "12345");
  const result = feeder.apply(txn({
    success: [
      { op: "delete", key: "a" },
      { op: "put", key: "b", value: "1234567890", lease: 0 },
    ],
    quotaBytes: 8,
  }));
  assertEquals(result.kind === "refused" && result.refusal, {
    reason: "quota",
    dataBytes: 6,
    quotaBytes: 8,
  });
  assertEquals(feeder.machine.get("a")?.value, "12345");
  assertEquals(feeder.machine.get("b"), null);
  const shrink = feeder.apply(txn({
    success: [{ op: "put", key: "a", value: "1", lease: 0 }],
    quotaBytes: 1,
  }));
  assertEquals(shrink.kind, "txn");
});

Deno.test("operations on the same key run in order and report each step", () => {
  const feeder = new Feeder();
  const result = feeder.apply(txn({
    success: [
      { op: "put", key: "k", value: "1", lease: 0 },
      { op: "put", key: "k", value: "2", lease: 0 },
      { op: "get", key: "k" },
      { op: "delete", key: "k" },
      { op: "get", key: "k" },
    ],
  }));
  assertEquals(result.kind === "txn" && result.results.map((r) => r.op === "get" && r.record), [
    false,
    false,
    { key: "k", value: "2", createIndex: 1, modIndex: 1, lease: 0 },
    false,
    null,
  ]);
  assertEquals(changesOf(result).map((c) => c.type), ["put", "put", "delete"]);
  assertEquals(feeder.machine.get("k"), null);
});
