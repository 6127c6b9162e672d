/**
 * Randomized model test: thousands of appends, truncations, hard-state
 * changes, snapshots and compactions against a plain in-memory model, with
 * reopens (some after a torn write) at random points. What reopens must equal
 * what was synced. Seeded: a failure prints its seed; replay one with
 * `STORAGE_MODEL_SEED=<seed> deno test -A tests/storage/model_test.ts`.
 */

import { assertEquals } from "../assert.ts";
import type { Entry, HardState, Snapshot } from "../../src/raft/types.ts";
import type { RecoveredState, SaveBatch } from "../../src/storage/types.ts";
import { FileStorage } from "../../src/storage/file_storage.ts";
import { MemoryStorage } from "../../src/storage/memory_storage.ts";
import { RecordEncoder } from "../../src/storage/wal_encoder.ts";
import { silentLogger } from "../../src/log.ts";
import { Random, segmentPaths, withTempDir } from "./helpers.ts";

/** The reference: what a correct storage holds after the same operations. */
class Model {
  hardState: HardState = { term: 0, vote: "", commit: 0 };
  snapshot: Snapshot | null = null;
  entries: Entry[] = [];

  get snapshotIndex(): number {
    return this.snapshot?.meta.index ?? 0;
  }

  get lastIndex(): number {
    return this.snapshotIndex + this.entries.length;
  }

  termAt(index: number): number | undefined {
    if (index === this.snapshotIndex) return this.snapshot?.meta.term ?? 0;
    return this.entries[index - this.snapshotIndex - 1]?.term;
  }

  save(batch: SaveBatch, keepEntries = batch.entries.length, withHardState = true): void {
    const first = batch.entries[0];
    if (first !== undefined && keepEntries > 0) {
      this.entries = this.entries.slice(0, first.index - this.snapshotIndex - 1);
      for (const entry of batch.entries.slice(0, keepEntries)) this.entries.push(copy(entry));
    }
    if (withHardState && batch.hardState !== null) this.hardState = { ...batch.hardState };
  }

  saveSnapshot(snapshot: Snapshot): void {
    const matches = this.termAt(snapshot.meta.index) === snapshot.meta.term;
    this.entries = matches ? this.entries.slice(snapshot.meta.index - this.snapshotIndex) : [];
    this.snapshot = snapshot;
  }

  state(): RecoveredState {
    return { hardState: { ...this.hardState }, snapshot: this.snapshot, entries: this.entries };
  }
}

function copy(entry: Entry): Entry {
  return { ...entry, data: entry.data.slice() };
}

/** What the test drives: the storage under test plus its way to crash and come back. */
interface Subject {
  storage: FileStorage | MemoryStorage;
  /** Crash and restart; `torn` leaves a half-written record behind (file storage) or tears a save. */
  restart(random: Random, model: Model): Promise<void>;
  /** Models a crash in the middle of `batch`, or returns false when the subject cannot. */
  tear(batch: SaveBatch, random: Random, model: Model): Promise<boolean>;
  close(): Promise<void>;
}

function randomData(random: Random): Uint8Array {
  const data = new Uint8Array(random.chance(0.1) ? 0 : random.int(1, 300));
  for (let i = 0; i < data.length; i++) data[i] = random.int(0, 255);
  return data;
}

function makeEntries(random: Random, from: number, count: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let i = 0; i < count; i++) {
    out.push({
      index: from + i,
      term,
      type: random.chance(0.1) ? "conf" : "normal",
      data: randomData(random),
    });
  }
  return out;
}

function entryTerm(model: Model): number {
  return Math.max(1, model.hardState.term, model.termAt(model.lastIndex) ?? 0);
}

function bumpTerm(model: Model, random: Random): HardState {
  return {
    term: model.hardState.term + 1,
    vote: random.chance(0.5) ? "" : "n2",
    commit: model.hardState.commit,
  };
}

/** A random valid batch: append, replace a suffix, change the hard state, or several at once. */
function randomBatch(model: Model, random: Random): SaveBatch {
  const roll = random.next();
  const floor = Math.max(model.hardState.commit, model.snapshotIndex);
  if (roll < 0.15 && model.lastIndex > floor) {
    const hardState = bumpTerm(model, random);
    const from = random.int(floor + 1, model.lastIndex);
    const term = Math.max(hardState.term, entryTerm(model));
    return { hardState, entries: makeEntries(random, from, random.int(1, 8), term) };
  }
  const entries = roll < 0.8
    ? makeEntries(random, model.lastIndex + 1, random.int(1, 20), entryTerm(model))
    : [];
  if (random.chance(0.5)) return { hardState: null, entries };
  const last = entries[entries.length - 1]?.index ?? model.lastIndex;
  const hardState = random.chance(0.2) ? bumpTerm(model, random) : { ...model.hardState };
  if (hardState.vote === "" && random.chance(0.3)) hardState.vote = "n1";
  hardState.commit = random.int(hardState.commit, last);
  return { hardState, entries };
}

function randomSnapshot(
  model: Model,
  random: Random,
): { snapshot: Snapshot; hardState: HardState | null } | null {
  const membership = [{
    id: "n1",
    voter: true,
    raftAddr: "127.0.0.1:7001",
    httpAddr: `h${random.int(0, 9)}`,
  }];
  const data = randomData(random);
  if (random.chance(0.8)) {
    // A local snapshot of committed state.
    if (model.hardState.commit < Math.max(1, model.snapshotIndex)) return null;
    const index = random.int(Math.max(1, model.snapshotIndex), model.hardState.commit);
    return {
      snapshot: { meta: { index, term: model.termAt(index)!, membership }, data },
      hardState: null,
    };
  }
  // A leader's snapshot from a newer term: the log is replaced.
  const index = random.int(
    Math.max(1, model.hardState.commit, model.snapshotIndex),
    model.lastIndex + 5,
  );
  const term = model.hardState.term + 1;
  return {
    snapshot: { meta: { index, term, membership }, data },
    hardState: { term, vote: "", commit: index },
  };
}

async function step(subject: Subject, model: Model, random: Random): Promise<string> {
  const roll = random.next();
  if (roll < 0.75) {
    const batch = randomBatch(model, random);
    if (random.chance(0.03) && await subject.tear(batch, random, model)) return "tear";
    await subject.storage.save(batch);
    model.save(batch);
    return "save";
  }
  if (roll < 0.84) {
    const chosen = randomSnapshot(model, random);
    if (chosen === null) return "skip";
    await subject.storage.saveSnapshot(chosen.snapshot);
    model.saveSnapshot(chosen.snapshot);
    if (chosen.hardState !== null) {
      await subject.storage.save({ hardState: chosen.hardState, entries: [] });
      model.save({ hardState: chosen.hardState, entries: [] });
    }
    return "snapshot";
  }
  if (roll < 0.93) {
    await subject.storage.compact(random.int(0, model.lastIndex + 2));
    return "compact";
  }
  await subject.restart(random, model);
  return "restart";
}

async function runModel(seed: number, steps: number, subject: Subject): Promise<void> {
  const random = new Random(seed);
  const model = new Model();
  const trail: string[] = [];
  try {
    for (let i = 0; i < steps; i++) {
      trail.push(await step(subject, model, random));
      if (trail[trail.length - 1] === "restart" || i % 16 === 0 || i === steps - 1) {
        assertEquals(subject.storage.recovered(), model.state(), `state after step ${i}`);
      }
    }
  } catch (error) {
    const recent = trail.slice(-8).join(", ");
    throw new Error(
      `Model test failed with seed ${seed} (last steps: ${recent}): ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}

async function fileSubject(dir: string, random: Random): Promise<Subject> {
  const open = () =>
    FileStorage.open(dir, {
      nodeId: "n1",
      logger: silentLogger,
      segmentBytesMax: random.int(200, 3000),
    });
  const subject: Subject = {
    storage: await open(),
    async restart(random, model) {
      await subject.storage.close();
      const crash = random.next();
      if (crash < 0.3) await appendTornRecord(dir, random);
      else if (crash < 0.5) await startTornSegment(dir, random, model.lastIndex + 1);
      subject.storage = await open();
    },
    tear: () => Promise.resolve(false),
    close: () => subject.storage.close(),
  };
  return subject;
}

/** Appends the first bytes of a record that never finished writing. */
async function appendTornRecord(dir: string, random: Random): Promise<void> {
  const paths = await segmentPaths(dir);
  const encoder = new RecordEncoder();
  encoder.entry({ index: 1, term: 1, type: "normal", data: randomData(random) });
  const record = encoder.bytes();
  const file = await Deno.open(paths[paths.length - 1]!, { append: true });
  await file.write(record.subarray(0, random.int(1, record.length - 1)));
  file.close();
}

/** Models a crash right after a segment roll: the new segment exists but its first batch did not land. */
async function startTornSegment(dir: string, random: Random, firstIndex: number): Promise<void> {
  const paths = await segmentPaths(dir);
  const lastName = paths[paths.length - 1]!.split("/").pop()!;
  if (firstIndex <= Number(lastName.slice(0, 16))) return;
  await Deno.writeFile(
    `${dir}/wal/${String(firstIndex).padStart(16, "0")}.wal`,
    new Uint8Array(random.int(0, 20)),
  );
}

function memorySubject(): Subject {
  const storage = new MemoryStorage();
  return {
    storage,
    restart() {
      storage.crash();
      return Promise.resolve();
    },
    tear(batch, random, model) {
      const keep = random.int(0, batch.entries.length);
      storage.tornSave(batch, keep);
      model.save(batch, keep, false);
      return Promise.resolve(true);
    },
    close: () => storage.close(),
  };
}

function seeds(): number[] {
  const fixed = Deno.env.get("STORAGE_MODEL_SEED");
  if (fixed !== undefined) return [Number(fixed)];
  return [1, 2, 3, (Date.now() % 1_000_000) + 4];
}

Deno.test("file storage matches the model through random operations and restarts", async () => {
  for (const seed of seeds()) {
    await withTempDir(async (dir) => {
      const subject = await fileSubject(dir, new Random(seed ^ 0x5eed));
      try {
        await runModel(seed, 700, subject);
      } finally {
        await subject.close();
      }
    });
  }
});

Deno.test("memory storage matches the model through random operations, crashes and torn saves", async () => {
  for (const seed of seeds()) {
    const subject = memorySubject();
    await runModel(seed, 3000, subject);
    await subject.close();
  }
});
