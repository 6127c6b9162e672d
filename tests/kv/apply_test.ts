import { assertEquals, assertThrows, assertTrue } from "../assert.ts";
import { encodePut } from "../../src/kv/command.ts";
import { changesOf, Feeder } from "./helpers.ts";

Deno.test("a put with prevIndex 0 creates only a missing key, decided when it applies", () => {
  const feeder = new Feeder();
  // Two clients both read "missing" and propose a create-only put: the log orders them.
  const first = feeder.put("lock", "a", { prevIndex: 0 });
  const second = feeder.put("lock", "b", { prevIndex: 0 });
  assertEquals(first.kind, "put");
  assertEquals(second, {
    kind: "refused",
    refusal: {
      reason: "precondition",
      key: "lock",
      current: { key: "lock", value: "a", createIndex: 1, modIndex: 1, lease: 0 },
    },
    index: 2,
    changes: [],
  });
  assertEquals(feeder.machine.get("lock")?.value, "a");
  assertEquals(feeder.machine.appliedIndex, 2);
});

Deno.test("a put with prevIndex N succeeds only while the key's modIndex is N", () => {
  const feeder = new Feeder();
  feeder.put("k", "1");
  assertEquals(feeder.put("k", "2", { prevIndex: 1 }).kind, "put");
  const stale = feeder.put("k", "3", { prevIndex: 1 });
  assertEquals(stale.kind === "refused" && stale.refusal.reason, "precondition");
  assertEquals(feeder.machine.get("k"), { key: "k", value: "2", createIndex: 1, modIndex: 2 });
  const missing = feeder.put("nope", "x", { prevIndex: 2 });
  assertEquals(missing.kind === "refused" && missing.refusal, {
    reason: "precondition",
    key: "nope",
    current: null,
  });
});

Deno.test("a delete with prevIndex deletes only the version it names", () => {
  const feeder = new Feeder();
  feeder.put("k", "1");
  const wrong = feeder.apply({ kind: "delete", key: "k", prevIndex: 7 });
  assertEquals(wrong.kind, "refused");
  assertTrue(feeder.machine.get("k") !== null);
  const right = feeder.apply({ kind: "delete", key: "k", prevIndex: 1 });
  assertEquals(right.kind === "delete" && right.deleted, true);
  assertEquals(feeder.machine.get("k"), null);
});

Deno.test("a prefix delete removes every key with the prefix in one entry, in key order", () => {
  const feeder = new Feeder();
  for (const key of ["svc/b", "svc/a", "svc0", "sv", "svc/é", "other"]) feeder.put(key, key);
  const result = feeder.apply({ kind: "deletePrefix", prefix: "svc/" });
  assertEquals(result.kind === "deletePrefix" && result.deleted, 3);
  assertEquals(result.index, 7);
  assertEquals(changesOf(result).map((c) => [c.type, c.key, c.modIndex]), [
    ["delete", "svc/a", 7],
    ["delete", "svc/b", 7],
    ["delete", "svc/é", 7],
  ]);
  assertEquals(changesOf(result)[0]?.prev?.value, "svc/a");
  assertEquals(feeder.machine.size, 3);
  const all = feeder.apply({ kind: "deletePrefix", prefix: "" });
  assertEquals(all.kind === "deletePrefix" && all.deleted, 3);
  assertEquals(feeder.machine.size, 0);
});

Deno.test("values are bytes: binary values are stored exactly and shown as base64", () => {
  const feeder = new Feeder();
  const bytes = new Uint8Array([0xff, 0x00, 0xc3]);
  feeder.put("bin", bytes);
  assertEquals(feeder.machine.read("bin")?.value, bytes);
  assertEquals(feeder.machine.get("bin"), {
    key: "bin",
    value: "/wDD",
    encoding: "base64",
    createIndex: 1,
    modIndex: 1,
  });
  feeder.put("text", new TextEncoder().encode("héllo"));
  assertEquals(feeder.machine.get("text")?.value, "héllo");
  assertEquals(feeder.machine.dataBytes, 3 + 3 + 4 + 6);
});

Deno.test("the quota refuses a write that would grow keys plus values past it, not one that shrinks", () => {
  const feeder = new Feeder();
  const quotaBytes = 20;
  assertEquals(feeder.put("a", "123456789", { quotaBytes }).kind, "put"); // 10 bytes
  const over = feeder.put("b", "1234567890", { quotaBytes }); // would be 21
  assertEquals(over.kind === "refused" && over.refusal, {
    reason: "quota",
    dataBytes: 10,
    quotaBytes,
  });
  assertEquals(feeder.machine.get("b"), null);
  assertEquals(feeder.put("b", "123456789", { quotaBytes }).kind, "put"); // exactly 20
  // Over the quota already (it was lowered): shrinking and deleting still work.
  assertEquals(feeder.put("a", "1", { quotaBytes: 5 }).kind, "put");
  assertEquals(feeder.put("a", "12", { quotaBytes: 5 }).kind, "refused");
  assertEquals(feeder.apply({ kind: "delete", key: "b", prevIndex: -1 }).kind, "delete");
  assertEquals(feeder.machine.dataBytes, 2);
});

Deno.test("every node decides the same: the same entries give the same state and results", () => {
  const a = new Feeder();
  const b = new Feeder();
  for (const feeder of [a, b]) {
    feeder.put("x", "1", { quotaBytes: 8 });
    feeder.put("y", "22222222", { quotaBytes: 8 });
    feeder.put("x", "3", { prevIndex: 1 });
    feeder.put("x", "4", { prevIndex: 1 });
  }
  assertEquals(a.machine.snapshot(), b.machine.snapshot());
});

Deno.test("a lease grant takes the entry's index as id; keys attach and detach", () => {
  const feeder = new Feeder();
  feeder.put("before", "x");
  const grant = feeder.apply({ kind: "leaseGrant", ttlMs: 3000 });
  assertEquals(grant, { kind: "leaseGrant", id: 2, ttlMs: 3000, index: 2, changes: [] });
  feeder.put("a", "1", { lease: 2 });
  feeder.put("b", "1", { lease: 2 });
  assertEquals(feeder.machine.get("a")?.lease, 2);
  // A put without a lease detaches the key, as in etcd.
  feeder.put("b", "2");
  assertEquals(feeder.machine.get("b")?.lease, undefined);
  assertEquals(feeder.machine.lease(2, 10), { id: 2, ttlMs: 3000, keys: ["a"], more: false });
  assertEquals(feeder.machine.leases(), [{ id: 2, ttlMs: 3000 }]);
});

Deno.test("a put on a missing lease is refused and changes nothing", () => {
  const feeder = new Feeder();
  const result = feeder.put("a", "1", { lease: 99 });
  assertEquals(result.kind === "refused" && result.refusal, { reason: "leaseNotFound", lease: 99 });
  assertEquals(feeder.machine.size, 0);
});

Deno.test("revoking a lease deletes every attached key in one entry", () => {
  const feeder = new Feeder();
  feeder.apply({ kind: "leaseGrant", ttlMs: 3000 });
  for (const key of ["s/c", "s/a", "s/b"]) feeder.put(key, "up", { lease: 1 });
  feeder.put("keep", "x");
  const revoke = feeder.apply({ kind: "leaseRevoke", id: 1 });
  assertEquals(revoke.kind === "leaseRevoke" && revoke.deleted, 3);
  assertEquals(changesOf(revoke).map((c) => `${c.type} ${c.key} ${c.modIndex}`), [
    "delete s/a 6",
    "delete s/b 6",
    "delete s/c 6",
  ]);
  assertEquals(feeder.machine.size, 1);
  assertEquals(feeder.machine.lease(1, 10), null);
  const again = feeder.apply({ kind: "leaseRevoke", id: 1 });
  assertEquals(again.kind === "refused" && again.refusal.reason, "leaseNotFound");
});

Deno.test("ttlMs grants a lease for the key alone in the same entry", () => {
  const feeder = new Feeder();
  const result = feeder.put("session", "me", { ttlMs: 2000 });
  assertEquals(result.kind === "put" && result.grantedLease, { id: 1, ttlMs: 2000 });
  assertEquals(feeder.machine.get("session")?.lease, 1);
  assertEquals(feeder.machine.lease(1, 10)?.keys, ["session"]);
  feeder.apply({ kind: "leaseRevoke", id: 1 });
  assertEquals(feeder.machine.get("session"), null);
});

Deno.test("a change list carries the new record and the one before it", () => {
  const feeder = new Feeder();
  feeder.apply({ kind: "leaseGrant", ttlMs: 1000 });
  feeder.put("k", "v1");
  const result = feeder.put("k", "v2", { lease: 1 });
  assertEquals(changesOf(result), [{
    type: "put",
    key: "k",
    value: "v2",
    createIndex: 2,
    modIndex: 3,
    lease: 1,
    prev: { key: "k", value: "v1", createIndex: 2, modIndex: 2, lease: 0 },
  }]);
});

Deno.test("an unknown command stops apply before anything changes", () => {
  const feeder = new Feeder();
  feeder.put("k", "v");
  const entry = { index: 2, term: 1, type: "normal" as const, data: new Uint8Array([0x55]) };
  assertThrows(() => feeder.machine.apply(entry), /tag "85" is unknown to this node/);
  assertEquals(feeder.machine.appliedIndex, 1);
  feeder.machine.apply({ index: 2, term: 1, type: "normal", data: encodePut("k", "w") });
  assertEquals(feeder.machine.get("k")?.value, "w");
});
