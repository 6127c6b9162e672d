/**
 * Group commit in front of a {@link Storage}: batches handed over while a
 * sync is running wait, then go down together as one merged batch (one
 * write, one sync), however many there are.
 *
 * @module
 */

import type { SaveBatch, Storage } from "./types.ts";
import { mergeBatches } from "./batch.ts";

interface Waiter {
  batch: SaveBatch;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Queues batches and saves them in merged groups.
 *
 * @example
 * ```ts
 * import { GroupCommit } from "./group_commit.ts";
 * import { MemoryStorage } from "./memory_storage.ts";
 * const storage = new MemoryStorage();
 * const group = new GroupCommit(storage);
 * const entry = (index: number) => ({ index, term: 1, type: "normal" as const, data: new Uint8Array() });
 * await Promise.all([1, 2, 3].map((i) => group.save({ hardState: null, entries: [entry(i)] })));
 * if (storage.syncs !== 2) throw new Error("expected the first save alone, then one for the rest");
 * ```
 */
export class GroupCommit {
  readonly #storage: Pick<Storage, "save">;
  readonly #batchesPerSaveMax: number;
  #waiting: Waiter[] = [];
  #running = false;

  /** @param options.batchesPerSaveMax most batches merged into one save (default 4096) */
  constructor(storage: Pick<Storage, "save">, options: { batchesPerSaveMax?: number } = {}) {
    this.#storage = storage;
    this.#batchesPerSaveMax = options.batchesPerSaveMax ?? 4096;
  }

  /** Batches waiting for the running sync to finish. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Resolves once `batch` (and everything handed over before it) is durable. */
  save(batch: SaveBatch): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ batch, resolve, reject });
      if (!this.#running) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#running = true;
    while (this.#waiting.length > 0) {
      const group = this.#waiting.splice(0, this.#batchesPerSaveMax);
      try {
        await this.#storage.save(mergeBatches(group.map((waiter) => waiter.batch)));
        for (const waiter of group) waiter.resolve();
      } catch (error) {
        for (const waiter of group) waiter.reject(error);
      }
    }
    this.#running = false;
  }
}
