import { assertEquals, assertTrue } from "../assert.ts";
import { encodeSnapshotPieces } from "../../src/kv/snapshot.ts";
import { joinPieces } from "../../src/storage/snapshot_pieces.ts";
import { KvStateMachine } from "../../src/kv/state_machine.ts";
import { changesOf, Feeder } from "./helpers.ts";

/**
 * A snapshot written by rafter before leases (format version 1): member n1,
 * keys "zeta", "alpha" (overwritten), "clé 🦀", U+FF5E and U+1F980, and a
 * deleted key, applied up to index 9.
 */
const VERSION_1_SNAPSHOT =
  "UktWUwEJAQJuMQEOMTI3LjAuMC4xOjcwMDEOMTI3LjAuMC4xOjgwMDEFemV0YWxhc3RhbHBoYWF" +
  "nYWluY2zDqSDwn6aAdsOkbHVl772eZnVsbHdpZHRoIHRpbGRl8J+mgGNyYWIEBAICBQUDBwkGBAQDDwUFBAQGBhQAAAAAAAAAbyey8g==";

const everything = { prefix: "", after: "", limit: 100, keysOnly: false };

Deno.test("a version 1 snapshot still restores, and scans in UTF-8 byte order", () => {
  const machine = new KvStateMachine();
  machine.restore(Uint8Array.fromBase64(VERSION_1_SNAPSHOT));
  assertEquals(machine.appliedIndex, 9);
  assertEquals(machine.membership.map((m) => m.id), ["n1"]);
  assertEquals(machine.get("alpha"), { key: "alpha", value: "again", createIndex: 3, modIndex: 7 });
  assertEquals(machine.get("clé 🦀")?.value, "välue");
  assertEquals(machine.scan({ ...everything, keysOnly: true }).records.map((r) => r.key), [
    "alpha",
    "clé 🦀",
    "zeta",
    "\uFF5E",
    "\u{1F980}",
  ]);
  // alpha+again, clé 🦀+välue, zeta+last, U+FF5E+"fullwidth tilde", U+1F980+crab
  assertEquals(machine.dataBytes, 10 + 15 + 8 + 18 + 8);
  // It goes on in the new format.
  const copy = new KvStateMachine();
  copy.restore(machine.snapshot());
  assertEquals(copy.scan(everything), machine.scan(everything));
});

Deno.test("leases and their keys survive a snapshot and restore", () => {
  const feeder = new Feeder();
  feeder.apply({ kind: "leaseGrant", ttlMs: 4000 });
  feeder.put("svc/a", "10.0.0.1", { lease: 1 });
  feeder.put("svc/b", "10.0.0.2", { lease: 1 });
  feeder.put("lock", "me", { ttlMs: 9000 });
  feeder.put("plain", "x");
  const restored = new Feeder();
  restored.machine.restore(feeder.machine.snapshot());
  assertEquals(restored.machine.leases(), [{ id: 1, ttlMs: 4000 }, { id: 4, ttlMs: 9000 }]);
  assertEquals(restored.machine.lease(1, 10)?.keys, ["svc/a", "svc/b"]);
  assertEquals(restored.machine.get("lock")?.lease, 4);
  // After the restore the lease still deletes exactly its keys.
  const revoke = restored.apply({ kind: "leaseRevoke", id: 1 });
  assertEquals(changesOf(revoke).map((c) => c.key), ["svc/a", "svc/b"]);
  assertEquals(restored.machine.scan({ ...everything, keysOnly: true }).records.map((r) => r.key), [
    "lock",
    "plain",
  ]);
  // A lease granted later keeps its id across another round.
  restored.apply({ kind: "leaseGrant", ttlMs: 1 });
  const again = new KvStateMachine();
  again.restore(restored.machine.snapshot());
  assertEquals(again.leases(), [{ id: 4, ttlMs: 9000 }, { id: 7, ttlMs: 1 }]);
});

Deno.test("binary values survive snapshots, also while still undecoded in the snapshot", () => {
  const feeder = new Feeder();
  const bytes = new Uint8Array([0, 0xff, 0x80, 0x41]);
  feeder.put("bin", bytes);
  feeder.put("text", "ünï");
  const once = new KvStateMachine();
  once.restore(feeder.machine.snapshot());
  const twice = new KvStateMachine();
  twice.restore(once.snapshot());
  assertEquals(twice.read("bin")?.value, bytes);
  assertEquals(twice.get("text")?.value, "ünï");
  assertEquals(twice.dataBytes, feeder.machine.dataBytes);
});

Deno.test("a snapshot taken while writes go on holds the state at its freeze, leases included", async () => {
  const feeder = new Feeder();
  feeder.apply({ kind: "leaseGrant", ttlMs: 1000 });
  for (let i = 0; i < 3000; i++) feeder.put(`k${i}`, `v${i}`, { lease: i % 10 === 0 ? 1 : 0 });
  const expected = feeder.machine.snapshot();
  const writing = joinPieces(
    encodeSnapshotPieces(
      feeder.machine.freeze(),
      { pieceBytes: 1 << 20, pieceRecords: 500 },
      () => Promise.resolve(),
    ),
  );
  feeder.apply({ kind: "leaseRevoke", id: 1 });
  feeder.apply({ kind: "deletePrefix", prefix: "k1" });
  feeder.put("new", "key");
  const bytes = await writing;
  assertEquals(bytes, expected);
  const restored = new KvStateMachine();
  restored.restore(bytes);
  assertEquals(restored.size, 3000);
  assertEquals(restored.lease(1, 1000)?.keys.length, 300);
  assertTrue(feeder.machine.size < 3000);
});

Deno.test("scans page in key order with after and limit, and say when more follow", () => {
  const feeder = new Feeder();
  for (let i = 0; i < 250; i++) feeder.put(`p/${String(i).padStart(3, "0")}`, `${i}`);
  feeder.put("p0", "outside");
  feeder.put("o", "outside");
  const seen: string[] = [];
  let after = "";
  for (let page = 0; page < 10; page++) {
    const result = feeder.machine.scan({ prefix: "p/", after, limit: 100, keysOnly: false });
    seen.push(...result.records.map((r) => r.key));
    assertEquals(result.index, 252);
    if (!result.more) break;
    after = result.records[result.records.length - 1]!.key;
  }
  assertEquals(seen.length, 250);
  assertEquals(new Set(seen).size, 250);
  assertEquals(seen[0], "p/000");
  const exact = feeder.machine.scan({ prefix: "p/", after: "", limit: 250, keysOnly: true });
  assertEquals(exact.more, false);
  assertEquals(exact.records[0]?.value, null);
  const before = feeder.machine.scan({ prefix: "p/", after: "a", limit: 1, keysOnly: true });
  assertEquals(before.records.map((r) => r.key), ["p/000"]);
  const past = feeder.machine.scan({ prefix: "p/", after: "q", limit: 1, keysOnly: true });
  assertEquals(past, { records: [], more: false, index: 252 });
});
