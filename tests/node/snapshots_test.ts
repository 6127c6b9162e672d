// A node's own background snapshot against one installed from the leader: the older one,
// if storage is already writing it, is written first, so storage never meets an older
// snapshot after a newer one (which it refuses, and which stopped the node).
import { assertEquals, assertTrue } from "../assert.ts";
import { encodePut } from "../../src/kv/command.ts";
import { KvStateMachine } from "../../src/kv/state_machine.ts";
import { SNAPSHOT_CATCH_UP_BYTES, Snapshotter } from "../../src/node/snapshots.ts";
import { RaftLog } from "../../src/raft/raft_log.ts";
import type { RaftNode } from "../../src/raft/raft.ts";
import type { Snapshot } from "../../src/raft/types.ts";
import { MemoryStorage } from "../../src/storage/memory_storage.ts";
import { outcome } from "./harness.ts";

const APPLIED = 70;

/** Lets a turn of promise callbacks run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

Deno.test("node: a snapshot from the leader waits for the older one storage is writing", async () => {
  const storage = new MemoryStorage();
  const saves: number[] = [];
  const release = Promise.withResolvers<void>();
  const write = storage.writeSnapshot.bind(storage);
  const save = storage.saveSnapshot.bind(storage);
  // The node's own snapshot is held in storage until the test releases it.
  storage.writeSnapshot = async (meta, pieces) => {
    saves.push(meta.index);
    if (meta.index === APPLIED) await release.promise;
    return await write(meta, pieces);
  };
  storage.saveSnapshot = async (snapshot: Snapshot) => {
    saves.push(snapshot.meta.index);
    return await save(snapshot);
  };
  const failures: Error[] = [];
  const snapshots = new Snapshotter({
    id: "n2",
    snapshotEntries: 10,
    storage,
    clock: { nowMs: () => 0, pause: () => Promise.resolve() } as never,
    onSaved() {},
    onFatal: (error) => failures.push(error),
  });
  const machine = new KvStateMachine();
  for (let i = 1; i <= APPLIED; i++) {
    machine.apply({ index: i, term: 1, type: "normal", data: encodePut(`k${i}`, "v") });
  }
  const core = {
    snapshot: () => null,
    log: { applied: APPLIED, stableIndex: APPLIED, lastIndex: () => APPLIED, term: () => 1 },
  } as unknown as RaftNode;

  snapshots.maybeStart(core, machine);
  for (let i = 0; i < 10 && saves.length === 0; i++) await settle();
  assertEquals(saves, [APPLIED], "storage is writing the node's own snapshot");

  const ready = outcome(snapshots.cancel());
  await settle();
  assertTrue(!ready.done, "the leader's snapshot waits while the older one is written");
  release.resolve();
  await snapshots.settled();
  await settle();
  assertTrue(ready.done && ready.error === undefined, String(ready.error));
  const newer = { meta: { index: 156, term: 2, membership: [] }, data: machine.snapshot() };
  await storage.saveSnapshot(newer);
  assertEquals(saves, [APPLIED, 156], "the older snapshot is written first");
  assertEquals(failures, [], "no storage error stops the node");
  assertEquals((await storage.loadSnapshot())?.meta.index, 156);
});

/** A log of `count` applied entries of `dataBytes` bytes each, after `offset`. */
function appliedLog(offset: number, count: number, dataBytes: number): RaftLog {
  const entries = Array.from({ length: count }, (_, i) => ({
    index: offset + 1 + i,
    term: 1,
    type: "normal" as const,
    data: new Uint8Array(dataBytes),
  }));
  const log = new RaftLog(offset, offset === 0 ? 0 : 1, entries, offset + count);
  log.appliedTo(offset + count);
  return log;
}

/** Applies puts to `machine` up to `index`. */
function applyTo(machine: KvStateMachine, index: number): void {
  for (let i = machine.appliedIndex + 1; i <= index; i++) {
    machine.apply({ index: i, term: 1, type: "normal", data: encodePut(`k${i}`, "v") });
  }
}

/** A snapshotter that records the points its snapshots start at. */
function recordingSnapshotter(logBytes: number, catchUpEntries = 0) {
  const started: number[] = [];
  const snapshots = new Snapshotter({
    id: "n1",
    snapshotEntries: 1000,
    catchUpEntries,
    logBytes,
    storage: new MemoryStorage(),
    clock: { nowMs: () => 0, pause: () => Promise.resolve() } as never,
    onStarted: (meta) => started.push(meta.index),
    onSaved() {},
    onFatal: (error) => {
      throw error;
    },
  });
  return { snapshots, started };
}

Deno.test("node: large entries start a snapshot by their bytes, long before their count", async () => {
  const { snapshots, started } = recordingSnapshotter(64 * 1024);
  const machine = new KvStateMachine();
  const log = appliedLog(0, 10, 4096);
  applyTo(machine, 10);
  const core = { snapshot: () => null, log } as unknown as RaftNode;
  snapshots.maybeStart(core, machine);
  assertEquals(started, [], "10 entries of 4 KiB are under the 64 KiB of bytes");

  log.append(appliedLog(10, 10, 4096).entries);
  log.stableTo(20, 1);
  log.commitTo(20);
  log.appliedTo(20);
  applyTo(machine, 20);
  snapshots.maybeStart(core, machine);
  assertEquals(started, [20], "20 entries of 4 KiB pass them, far below 1000 entries");
  await snapshots.settled();
});

Deno.test("node: small entries still wait for their count", async () => {
  const { snapshots, started } = recordingSnapshotter(64 * 1024);
  const machine = new KvStateMachine();
  const log = appliedLog(0, 999, 10);
  applyTo(machine, 999);
  const core = { snapshot: () => null, log } as unknown as RaftNode;
  snapshots.maybeStart(core, machine);
  assertEquals(started, [], "999 entries of 34 bytes are under both bounds");
  await snapshots.settled();
});

Deno.test("node: the log behind a snapshot keeps its catch-up entries only up to a byte bound", () => {
  const { snapshots } = recordingSnapshotter(64 * 1024, 100);
  const small = appliedLog(0, 500, 10);
  assertEquals(snapshots.compactionPoint(small, 500), 400, "100 small entries stay");
  const large = appliedLog(0, 500, 1024 * 1024);
  const kept = 500 - snapshots.compactionPoint(large, 500);
  assertEquals(kept, Math.floor(SNAPSHOT_CATCH_UP_BYTES / (1024 * 1024 + 24)));
  assertTrue(kept < 100, "entries of 1 MiB stay only up to the byte bound");
  assertEquals(
    snapshots.compactionPoint(appliedLog(450, 50, 10), 500),
    450,
    "never below the offset",
  );
});
