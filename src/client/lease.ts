/**
 * A lease that keeps itself alive: keep-alives every third of its TTL until `revoke()` or
 * disposal (`await using`), and a signal that aborts when the lease is lost.
 *
 * @module
 */

import { NotFoundError, RafterError } from "./errors.ts";
import type { CallOptions, LeaseGrant, LeaseInfo } from "./types.ts";

/** The lease calls a {@link Lease} needs; a `RafterClient` provides them. */
export interface LeaseCalls {
  keepAliveLease(id: number, options?: CallOptions): Promise<LeaseGrant>;
  leaseInfo(id: number, options?: CallOptions): Promise<LeaseInfo>;
  revokeLease(id: number, options?: CallOptions): Promise<unknown>;
}

/** Keep-alives sent per TTL, so that two may fail before the lease lapses. */
const KEEPALIVES_PER_TTL = 3;
/** Shortest wait between keep-alives, in milliseconds. */
const KEEPALIVE_INTERVAL_MS_MIN = 10;

/**
 * Why a lease was lost: it expired on the server, or was revoked; the reason of
 * `Lease.signal`.
 *
 * @example
 * ```ts
 * import { LeaseLostError, RafterClient } from "./mod.ts";
 * import { FakeCluster } from "../../tests/client/fake_cluster.ts";
 * // An in-memory stand-in for a cluster; pass your nodes' addresses instead.
 * const fake = new FakeCluster();
 * using client = new RafterClient({ endpoints: ["http://127.0.0.1:8001"], fetch: fake.fetch });
 * const lease = await client.lease(3_000);
 * await lease.revoke();
 * if (!(lease.signal.reason instanceof LeaseLostError)) throw new Error();
 * ```
 */
export class LeaseLostError extends RafterError {
  /** The lease's id. */
  readonly id: number;
  /** @param id the lease @param message why it was lost */
  constructor(id: number, message: string) {
    super(message, 0);
    this.name = "LeaseLostError";
    this.id = id;
  }
}

/**
 * A granted lease, kept alive from the moment it is created. Keys written with
 * `{ lease: lease.id }` vanish when it ends. `signal` aborts when the lease is lost: it
 * expired (no keep-alive got through within its TTL) or was revoked.
 *
 * @example
 * ```ts
 * import { RafterClient } from "./client.ts";
 * import { FakeCluster } from "../../tests/client/fake_cluster.ts";
 * // An in-memory stand-in for a cluster; pass your nodes' addresses instead.
 * const fake = new FakeCluster();
 * using client = new RafterClient({ endpoints: ["http://127.0.0.1:8001"], fetch: fake.fetch });
 * {
 *   await using lease = await client.lease(3_000);
 *   await client.put("service/web-1", "10.0.0.7:80", { lease: lease.id });
 * } // revoked here: the key is gone
 * await client.get("service/web-1").then(() => { throw new Error(); }, () => {});
 * ```
 */
export class Lease implements AsyncDisposable {
  /** The lease's id (the index of the entry that granted it). */
  readonly id: number;
  /** The TTL it was granted with, in milliseconds. */
  readonly ttlMs: number;
  readonly #calls: LeaseCalls;
  readonly #lost = new AbortController();
  readonly #stop = new AbortController();
  #timer: ReturnType<typeof setTimeout> | null = null;
  #renewedAtMs: number;
  #revoking: Promise<void> | null = null;

  /** @param calls the client @param grant the granted lease */
  constructor(calls: LeaseCalls, grant: LeaseGrant) {
    this.#calls = calls;
    this.id = grant.id;
    this.ttlMs = grant.ttlMs;
    this.#renewedAtMs = Date.now();
    this.#schedule(this.#intervalMs());
  }

  /** Aborts, with a {@link LeaseLostError}, once the lease is lost or revoked. */
  get signal(): AbortSignal {
    return this.#lost.signal;
  }

  /** Sends one keep-alive now; answers the time left. */
  async keepAlive(options: CallOptions = {}): Promise<LeaseGrant> {
    const grant = await this.#calls.keepAliveLease(this.id, options);
    this.#renewedAtMs = Date.now();
    return grant;
  }

  /** The lease's time left and attached keys, as the leader sees them. */
  info(options: CallOptions = {}): Promise<LeaseInfo> {
    return this.#calls.leaseInfo(this.id, options);
  }

  /**
   * Stops the keep-alives and revokes the lease, deleting its keys. A lease that is
   * already gone counts as revoked; calling it again is a no-op.
   */
  revoke(options: CallOptions = {}): Promise<void> {
    this.#revoking ??= (async () => {
      this.#end(`Lease "${this.id}" was revoked`);
      try {
        await this.#calls.revokeLease(this.id, options);
      } catch (error) {
        if (!(error instanceof NotFoundError)) {
          this.#revoking = null;
          throw error;
        }
      }
    })();
    return this.#revoking;
  }

  /**
   * Stops the keep-alives without revoking: the lease lapses on the server after its TTL,
   * unless someone else keeps it alive.
   */
  stopKeepAlives(): void {
    this.#end(`Lease "${this.id}" is no longer kept alive by this client`);
  }

  /** Revokes the lease; if that fails, it lapses within its TTL since keep-alives stopped. */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      await this.revoke();
    } catch {
      // Keep-alives have stopped: the server expires the lease within its TTL.
    }
  }

  #intervalMs(): number {
    return Math.max(KEEPALIVE_INTERVAL_MS_MIN, Math.floor(this.ttlMs / KEEPALIVES_PER_TTL));
  }

  #schedule(delayMs: number): void {
    if (this.#stop.signal.aborted) return;
    this.#timer = setTimeout(() => this.#tick(), delayMs);
  }

  async #tick(): Promise<void> {
    this.#timer = null;
    // A keep-alive is worth waiting for only while the lease can still be saved.
    const leftMs = Math.max(1, this.ttlMs - (Date.now() - this.#renewedAtMs));
    const signal = AbortSignal.any([this.#stop.signal, AbortSignal.timeout(leftMs)]);
    try {
      await this.keepAlive({ signal });
      this.#schedule(this.#intervalMs());
    } catch (error) {
      if (this.#stop.signal.aborted) return;
      if (error instanceof NotFoundError) {
        this.#end(`Lease "${this.id}" expired on the server`);
      } else if (Date.now() - this.#renewedAtMs >= this.ttlMs) {
        this.#end(`Lease "${this.id}" lapsed: no keep-alive got through within ${this.ttlMs} ms`);
      } else {
        this.#schedule(KEEPALIVE_INTERVAL_MS_MIN);
      }
    }
  }

  #end(message: string): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#stop.abort();
    if (!this.#lost.signal.aborted) this.#lost.abort(new LeaseLostError(this.id, message));
  }
}
