// A node's own background snapshot against one installed from the leader: the older one,
// if storage is already writing it, is written first, so storage never meets an older
// snapshot after a newer one (which it refuses, and which stopped the node).
import { assertEquals, assertTrue } from "../assert.ts";
import { encodePut } from "../../src/kv/command.ts";
import { KvStateMachine } from "../../src/kv/state_machine.ts";
import { Snapshotter } from "../../src/node/snapshots.ts";
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
