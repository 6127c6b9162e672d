import { assertEquals, assertThrows, assertTrue } from "../assert.ts";
import { encodeDelete, encodePut } from "../../src/kv/command.ts";
import { KvStateMachine } from "../../src/kv/state_machine.ts";
import type { Entry, Membership } from "../../src/raft/types.ts";
import { changesOf } from "./helpers.ts";

function normal(index: number, data: Uint8Array): Entry {
  return { index, term: 1, type: "normal", data };
}

const membership: Membership = [
  { id: "n1", voter: true, raftAddr: "127.0.0.1:7001", httpAddr: "127.0.0.1:8001" },
  { id: "n2", voter: false, raftAddr: "127.0.0.1:7002", httpAddr: "" },
];

Deno.test("a put records the entry index as create and mod index", () => {
  const machine = new KvStateMachine();
  assertEquals(machine.apply(normal(1, encodePut("a", "1"))), {
    kind: "put",
    grantedLease: null,
    index: 1,
    changes: [
      { type: "put", key: "a", value: "1", createIndex: 1, modIndex: 1, lease: 0, prev: null },
    ],
  });
  assertEquals(machine.get("a"), { key: "a", value: "1", createIndex: 1, modIndex: 1 });
  assertEquals(machine.size, 1);
  assertEquals(machine.appliedIndex, 1);
});

Deno.test("an overwrite keeps the create index and moves the mod index", () => {
  const machine = new KvStateMachine();
  machine.apply(normal(1, encodePut("a", "1")));
  machine.apply(normal(2, encodePut("b", "x")));
  const result = machine.apply(normal(3, encodePut("a", "2")));
  assertEquals(result.kind, "put");
  assertEquals(changesOf(result)[0]?.prev, {
    key: "a",
    value: "1",
    createIndex: 1,
    modIndex: 1,
    lease: 0,
  });
  assertEquals(machine.get("a"), { key: "a", value: "2", createIndex: 1, modIndex: 3 });
  assertEquals(machine.get("b"), { key: "b", value: "x", createIndex: 2, modIndex: 2 });
});

Deno.test("a delete removes the key; a re-created key gets a new create index", () => {
  const machine = new KvStateMachine();
  machine.apply(normal(1, encodePut("a", "1")));
  assertEquals(machine.apply(normal(2, encodeDelete("a"))), {
    kind: "delete",
    deleted: true,
    index: 2,
    changes: [{
      type: "delete",
      key: "a",
      value: null,
      createIndex: 1,
      modIndex: 2,
      lease: 0,
      prev: { key: "a", value: "1", createIndex: 1, modIndex: 1, lease: 0 },
    }],
  });
  assertEquals(machine.get("a"), null);
  assertEquals(machine.size, 0);
  machine.apply(normal(3, encodePut("a", "again")));
  assertEquals(machine.get("a"), { key: "a", value: "again", createIndex: 3, modIndex: 3 });
});

Deno.test("deleting a missing key reports deleted false and still advances", () => {
  const machine = new KvStateMachine();
  assertEquals(machine.apply(normal(1, encodeDelete("ghost"))), {
    kind: "delete",
    deleted: false,
    index: 1,
    changes: [],
  });
  assertEquals(machine.appliedIndex, 1);
});

Deno.test("an empty entry is a no-op that only advances the applied index", () => {
  const machine = new KvStateMachine();
  machine.apply(normal(1, encodePut("a", "1")));
  assertEquals(machine.apply(normal(2, new Uint8Array())), { kind: "noop", index: 2, changes: [] });
  assertEquals(machine.appliedIndex, 2);
  assertEquals(machine.get("a"), { key: "a", value: "1", createIndex: 1, modIndex: 1 });
});

Deno.test("entries out of order, conf entries and malformed commands are refused", () => {
  const machine = new KvStateMachine();
  machine.apply(normal(1, encodePut("a", "1")));
  assertThrows(() => machine.apply(normal(3, encodePut("a", "2"))), /entry "3" applied after "1"/);
  assertThrows(() => machine.apply(normal(1, encodePut("a", "2"))), /entry "1" applied after "1"/);
  assertThrows(
    () => machine.apply({ index: 2, term: 1, type: "conf", data: new Uint8Array([1]) }),
    /of type "conf"/,
  );
  assertThrows(() => machine.apply(normal(2, new Uint8Array([0x7f]))), /tag "127" is unknown/);
  assertThrows(() => machine.apply(normal(2, new Uint8Array([1, 9]))), /truncated/);
  // Nothing above changed the state.
  assertEquals(machine.appliedIndex, 1);
  assertEquals(machine.get("a")?.value, "1");
});

Deno.test("setMembership applies a conf entry in order and keeps a copy", () => {
  const machine = new KvStateMachine();
  machine.apply(normal(1, new Uint8Array()));
  const members = membership.map((member) => ({ ...member }));
  machine.setMembership(members, 2);
  members[0]!.id = "changed";
  assertEquals(machine.membership, membership);
  assertEquals(machine.appliedIndex, 2);
  assertThrows(() => machine.setMembership(membership, 4), /entry "4" applied after "2"/);
});

function populated(): KvStateMachine {
  const machine = new KvStateMachine();
  machine.apply(normal(1, new Uint8Array()));
  machine.setMembership(membership, 2);
  machine.apply(normal(3, encodePut("a", "1")));
  machine.apply(normal(4, encodePut("ünï 🦀", "")));
  machine.apply(normal(5, encodePut("a", "2")));
  machine.apply(normal(6, encodePut("gone", "x")));
  machine.apply(normal(7, encodeDelete("gone")));
  machine.apply(normal(8, encodePut("\uFEFFbom", "v".repeat(300))));
  return machine;
}

Deno.test("restore of a snapshot gives an equal machine, membership included", () => {
  const source = populated();
  const copy = new KvStateMachine();
  copy.apply(normal(1, encodePut("stale", "replaced by the restore")));
  copy.restore(source.snapshot());
  assertEquals(copy.appliedIndex, 8);
  assertEquals(copy.membership, membership);
  assertEquals(copy.size, 3);
  assertEquals(copy.get("stale"), null);
  assertEquals(copy.get("gone"), null);
  for (const key of ["a", "ünï 🦀", "\uFEFFbom"]) assertEquals(copy.get(key), source.get(key));
  assertEquals(copy.get("a"), { key: "a", value: "2", createIndex: 3, modIndex: 5 });
  // The restored machine keeps applying from the snapshot's index.
  assertEquals(changesOf(copy.apply(normal(9, encodePut("a", "3"))))[0]?.createIndex, 3);
  assertEquals(copy.snapshot().length > 0, true);
});

Deno.test("an empty machine snapshots and restores", () => {
  const copy = new KvStateMachine();
  copy.restore(new KvStateMachine().snapshot());
  assertEquals(copy.appliedIndex, 0);
  assertEquals(copy.membership, []);
  assertEquals(copy.size, 0);
});

Deno.test("a snapshot is deterministic for the same applied entries", () => {
  assertEquals(populated().snapshot(), populated().snapshot());
});

Deno.test("every flipped byte and every truncation of a snapshot is refused", () => {
  const bytes = populated().snapshot();
  const target = populated();
  const before = target.snapshot();
  for (let at = 0; at < bytes.length; at++) {
    const corrupt = bytes.slice();
    corrupt[at] = corrupt[at]! ^ 0x5a;
    assertThrows(() => target.restore(corrupt), /^Error: Cannot restore snapshot: /);
    assertThrows(() => target.restore(bytes.subarray(0, at)), /^Error: Cannot restore snapshot: /);
  }
  // A refused restore leaves the state untouched.
  assertEquals(target.snapshot(), before);
});

Deno.test("a snapshot with a valid checksum but inconsistent content is refused", async () => {
  const { encodeSnapshot } = await import("../../src/kv/snapshot.ts");
  const { TreeBuilder } = await import("../../src/kv/btree_nodes.ts");
  const { crc32 } = await import("node:zlib");
  const machine = new KvStateMachine();
  const state = (
    appliedIndex: number,
    records: [string, number, number, number][],
    leases: { id: number; ttlMs: number }[] = [],
  ) => {
    const builder = new TreeBuilder(1);
    for (const [key, createIndex, modIndex, lease] of records) {
      builder.push(key, "v", createIndex, modIndex, lease);
    }
    const tree = builder.finish();
    const frozen = { ...tree, source: null, dataBytes: 0 };
    return encodeSnapshot({ appliedIndex, membership: [], records: frozen, leases });
  };
  assertThrows(
    () => machine.restore(state(3, [["k", 2, 4, 0]])),
    /key "k" has mod index "4" past "3"/,
  );
  assertThrows(() => machine.restore(state(5, [["k", 4, 3, 0]])), /create index "4" after "3"/);
  assertThrows(
    () => machine.restore(state(5, [["b", 1, 1, 0], ["a", 1, 1, 0]])),
    /key "a" does not sort after "b"/,
  );
  assertThrows(
    () => machine.restore(state(5, [["k", 1, 1, 4]])),
    /key "k" is attached to lease "4", which the snapshot lacks/,
  );
  assertThrows(
    () => machine.restore(state(5, [], [{ id: 4, ttlMs: 1 }, { id: 2, ttlMs: 1 }])),
    /lease "2" is out of order/,
  );
  const renamed = state(5, [["k", 1, 1, 0]]);
  renamed[0] = 0x58;
  const view = new DataView(renamed.buffer, renamed.byteOffset);
  view.setUint32(renamed.length - 4, crc32(renamed.subarray(0, renamed.length - 4)), true);
  assertThrows(() => machine.restore(renamed), /does not start with the snapshot magic/);
  assertEquals(machine.appliedIndex, 0);
});

Deno.test("restored values are read from the snapshot, survive a second snapshot and can be overwritten", () => {
  const first = new KvStateMachine();
  first.setMembership([], 1);
  first.apply({ index: 2, term: 1, type: "normal", data: encodePut("a", "ünï 🦀") });
  first.apply({ index: 3, term: 1, type: "normal", data: encodePut("b", "") });
  const second = new KvStateMachine();
  second.restore(first.snapshot());
  // A snapshot of a restored machine copies the undecoded bytes as they are.
  const third = new KvStateMachine();
  third.restore(second.snapshot());
  assertEquals(third.get("a")?.value, "ünï 🦀");
  assertEquals(third.get("b")?.value, "");
  third.apply({ index: 4, term: 1, type: "normal", data: encodePut("a", "new") });
  assertEquals(third.get("a"), { key: "a", value: "new", createIndex: 2, modIndex: 4 });
  const fourth = new KvStateMachine();
  fourth.restore(third.snapshot());
  assertEquals(fourth.get("a")?.value, "new");
  assertEquals(fourth.get("b")?.value, "");
});

Deno.test("a frozen state encodes in slices to the same bytes while the machine moves on", async () => {
  const { encodeSnapshotPieces } = await import("../../src/kv/snapshot.ts");
  const { joinPieces } = await import("../../src/storage/snapshot_pieces.ts");
  const machine = new KvStateMachine();
  machine.setMembership([], 1);
  for (let i = 0; i < 500; i++) {
    machine.apply({ index: i + 2, term: 1, type: "normal", data: encodePut(`k${i}`, `v${i}`) });
  }
  const expected = machine.snapshot();
  const frozen = machine.freeze();
  let pauses = 0;
  const sliced = joinPieces(
    encodeSnapshotPieces(frozen, { pieceBytes: 1 << 20, pieceRecords: 100 }, () => {
      pauses++;
      return Promise.resolve();
    }),
  );
  // Overwrites and deletes after the freeze do not reach the frozen state.
  machine.apply({ index: 502, term: 1, type: "normal", data: encodePut("k0", "changed") });
  machine.apply({ index: 503, term: 1, type: "normal", data: encodeDelete("k1") });
  machine.apply({ index: 504, term: 1, type: "normal", data: encodePut("k00", "new") });
  assertEquals(await sliced, expected);
  assertTrue(pauses >= 3, `only ${pauses} pauses`);
  assertEquals(machine.get("k0")?.value, "changed");
});
