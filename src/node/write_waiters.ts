/**
 * The writes waiting for their entries to apply, by log index. A leader
 * proposes in index order and entries apply in index order, so the waiters
 * form a queue: each write joins at the back and normally leaves from the
 * front, in two parallel arrays that keep their size from write to write
 * (a map keyed by index would rehash its table as writes come and go). A
 * waiter that leaves out of turn (its deadline passed) leaves a hole that
 * the front skips; an index that arrives out of order (which a node's own
 * proposals never do) waits in a small map beside the queue.
 *
 * @module
 */

/** What the queue reads of a write: when it stops waiting. */
export interface QueuedWrite {
  deadline: number;
}

/**
 * Waiters of type `W` by index.
 *
 * @example
 * ```ts
 * import { WriteWaiters } from "./write_waiters.ts";
 * const waiters = new WriteWaiters<{ term: number; deadline: number }>();
 * waiters.add(7, { term: 2, deadline: 100 });
 * waiters.add(8, { term: 2, deadline: 50 });
 * if (waiters.take(6) !== undefined || waiters.size !== 2) throw new Error("none at 6");
 * if (waiters.takeExpired(60).length !== 1) throw new Error("8 expired");
 * if (waiters.take(7)?.term !== 2 || waiters.take(8) !== undefined) throw new Error("7 waits");
 * ```
 */
export class WriteWaiters<W extends QueuedWrite> {
  #indexes: number[] = [];
  #waiters: (W | null)[] = [];
  /** The first slot still in the queue, and the slot after its last. */
  #head = 0;
  #tail = 0;
  /** Waiters in the queue and beside it. */
  #size = 0;
  /** Waiters whose index came below the queue's last one. */
  readonly #stray = new Map<number, W>();

  /** How many writes wait. */
  get size(): number {
    return this.#size;
  }

  /** Adds the waiter of the entry at `index`. */
  add(index: number, waiter: W): void {
    if (this.#tail > this.#head && index <= this.#indexes[this.#tail - 1]!) {
      this.#stray.set(index, waiter);
    } else {
      this.#indexes[this.#tail] = index;
      this.#waiters[this.#tail] = waiter;
      this.#tail++;
    }
    this.#size++;
  }

  /** Removes and answers the waiter of the entry at `index`, if one waits. */
  take(index: number): W | undefined {
    if (this.#stray.size > 0) {
      const stray = this.#stray.get(index);
      if (stray !== undefined) {
        this.#stray.delete(index);
        this.#size--;
        return stray;
      }
    }
    this.#skipHoles();
    const slot = this.#head < this.#tail && this.#indexes[this.#head] === index
      ? this.#head
      : this.#find(index);
    if (slot < 0) return undefined;
    const waiter = this.#waiters[slot]!;
    this.#waiters[slot] = null;
    this.#size--;
    this.#skipHoles();
    return waiter;
  }

  /** Removes and answers every waiter whose deadline is at or before `now`. */
  takeExpired(now: number): W[] {
    const expired: W[] = [];
    for (let slot = this.#head; slot < this.#tail; slot++) {
      const waiter = this.#waiters[slot]!;
      if (waiter === null || waiter.deadline > now) continue;
      this.#waiters[slot] = null;
      expired.push(waiter);
    }
    for (const [index, waiter] of this.#stray) {
      if (waiter.deadline > now) continue;
      this.#stray.delete(index);
      expired.push(waiter);
    }
    this.#size -= expired.length;
    this.#skipHoles();
    return expired;
  }

  /** Removes and answers every waiter. */
  takeAll(): W[] {
    const all: W[] = [];
    for (let slot = this.#head; slot < this.#tail; slot++) {
      const waiter = this.#waiters[slot]!;
      if (waiter !== null) all.push(waiter);
      this.#waiters[slot] = null;
    }
    all.push(...this.#stray.values());
    this.#stray.clear();
    this.#head = 0;
    this.#tail = 0;
    this.#size = 0;
    return all;
  }

  /** Slot of `index` in the queue by binary search (indexes there only grow), or -1. */
  #find(index: number): number {
    let low = this.#head;
    let high = this.#tail;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.#indexes[middle]! < index) low = middle + 1;
      else high = middle;
    }
    return low < this.#tail && this.#indexes[low] === index &&
        this.#waiters[low] !== null
      ? low
      : -1;
  }

  /**
   * Moves the front past holes. The arrays never shrink: an empty queue
   * starts again at slot 0, and a long one moves down once its front has
   * passed half of it.
   */
  #skipHoles(): void {
    while (this.#head < this.#tail && this.#waiters[this.#head] === null) this.#head++;
    if (this.#head === this.#tail) {
      this.#head = 0;
      this.#tail = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#tail) {
      const kept = this.#tail - this.#head;
      this.#indexes.copyWithin(0, this.#head, this.#tail);
      this.#waiters.copyWithin(0, this.#head, this.#tail);
      this.#waiters.fill(null, kept, this.#tail);
      this.#head = 0;
      this.#tail = kept;
    }
  }
}
