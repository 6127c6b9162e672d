/**
 * Keep-alives of the simulated clients' leases: each kept lease gets a
 * keeper that sends a keep-alive every third of the TTL, to the leader
 * mostly (a follower answers that it is not the leader, and the keeper
 * tries again at the next tick), and stops after a number of rounds drawn
 * at the start, or never until the faults heal: a client that dies, or one
 * that lives. A lease the leader no longer knows ends its keeper.
 *
 * @module
 */

import type { Rng } from "../../src/raft/rng.ts";
import { pickNode, type SimCalls } from "./dm_calls.ts";
import type { Machine } from "./sim_cluster.ts";

/** Keep-alives a lease gets per TTL. */
const KEEPALIVES_PER_TTL = 3;
/** Most rounds a keeper that stops early sends. */
const ROUNDS_MAX = 12;

interface Keeper {
  id: number;
  ttlMs: number;
  nextAtMs: number;
  /** Keep-alives left to send; Infinity for a keeper that runs until told to stop. */
  roundsLeft: number;
  sending: boolean;
}

/**
 * The keepers of a run.
 *
 * @example
 * ```ts ignore
 * const keepers = new LeaseKeepers(rng, calls, 10);
 * keepers.start(7, 300, clock.nowMs);
 * keepers.tick(cluster.alive(), clock.nowMs);
 * ```
 */
export class LeaseKeepers {
  readonly #rng: Rng;
  readonly #calls: SimCalls;
  readonly #retryMs: number;
  #keepers: Keeper[] = [];
  /** Keep-alives acknowledged, for the report. */
  acknowledged = 0;

  /**
   * @param rng the run's generator
   * @param calls where keep-alives are sent and recorded
   * @param retryMs how soon a keep-alive that found no leader is sent again
   */
  constructor(rng: Rng, calls: SimCalls, retryMs: number) {
    this.#rng = rng;
    this.#calls = calls;
    this.#retryMs = retryMs;
  }

  /** How many keepers run. */
  get running(): number {
    return this.#keepers.length;
  }

  /** Lease `id` was granted at `nowMs`: most leases get a keeper. */
  start(id: number, ttlMs: number, nowMs: number): void {
    if (this.#rng.int(10) < 2) return;
    const roundsLeft = this.#rng.int(3) === 0 ? Infinity : 1 + this.#rng.int(ROUNDS_MAX);
    const nextAtMs = nowMs + ttlMs / KEEPALIVES_PER_TTL;
    this.#keepers.push({ id, ttlMs, nextAtMs, roundsLeft, sending: false });
  }

  /** Sends the keep-alives due at `nowMs`. */
  tick(alive: Machine[], nowMs: number): void {
    this.#keepers = this.#keepers.filter((k) => k.roundsLeft > 0 || k.sending);
    for (const keeper of this.#keepers) {
      if (keeper.sending || keeper.roundsLeft <= 0 || keeper.nextAtMs > nowMs) continue;
      keeper.sending = true;
      const machine = pickNode(this.#rng, alive, true);
      this.#calls.send(
        `k${keeper.id}`,
        { kind: "keepAlive", id: keeper.id },
        { machine, nowMs },
        (node) => node.leaseKeepAlive(keeper.id),
        (output) => {
          keeper.sending = false;
          if (output.status === "ok") {
            this.acknowledged++;
            keeper.roundsLeft--;
            keeper.nextAtMs = nowMs + keeper.ttlMs / KEEPALIVES_PER_TTL;
          } else if (output.status === "leaseNotFound") keeper.roundsLeft = 0;
          else keeper.nextAtMs = nowMs + this.#retryMs;
        },
      );
    }
  }

  /** Every keeper stops: the leases are left to expire. */
  stopAll(): void {
    this.#keepers = [];
  }
}
