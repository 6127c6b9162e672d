/**
 * Leases for the `lease-keepalive` scenario: grants many leases (each with one key attached,
 * as services register themselves), then keeps every one alive every third of its TTL, paced
 * evenly, over a few connections, until stopped. Keep-alives are not log entries; what they
 * cost the write path is what the scenario measures.
 *
 * @module
 */

import { LatencyHistogram, type LatencySummary } from "./histogram.ts";
import { RawHttpConnection } from "./raw_client.ts";
import { encodeRequest } from "./targets.ts";

/** Connections that grant the leases. */
const GRANT_CONNECTIONS = 32;
/** Connections that send the keep-alives. */
const KEEPALIVE_CONNECTIONS = 8;
/** Keep-alives per TTL, as rafter's client sends them. */
const KEEPALIVES_PER_TTL = 3;
/** Longest a keep-alive loop sleeps before checking whether it was stopped, in milliseconds. */
const PACE_SLEEP_MS_MAX = 50;

/** What the keep-alives did. */
export interface KeepAliveReport {
  leases: number;
  ttlMs: number;
  sent: number;
  /** Keep-alives answered 404: the lease had expired. */
  lost: number;
  /** Other failures (statuses, sockets), with the first. */
  failed: number;
  firstError: string;
  /** Keep-alives sent per second, and the rate the schedule asked for. */
  perSecond: number;
  scheduledPerSecond: number;
  /** Longest a keep-alive went out after its turn, in milliseconds. */
  lagMsMax: number;
  latency: LatencySummary;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function jsonPost(host: string, path: string, body: unknown): Uint8Array {
  return encodeRequest({ method: "POST", path, body: JSON.stringify(body) }, host);
}

/** Sends `request` on `conn`; answers the status and the body as text. */
async function send(conn: RawHttpConnection, request: Uint8Array) {
  const info = await conn.request(request);
  const text = new TextDecoder().decode(conn.buffer.subarray(info.bodyStart, info.bodyEnd));
  return { status: info.status, text };
}

/** Grants `count` leases of `ttlMs` on the leader at `url`, each with one key; answers the ids. */
export async function grantLeases(url: URL, count: number, ttlMs: number): Promise<number[]> {
  const ids: number[] = [];
  let next = 0;
  const lane = async () => {
    const conn = new RawHttpConnection(url.hostname, Number(url.port || "80"));
    try {
      for (let i = next++; i < count; i = next++) {
        const grant = await send(conn, jsonPost(url.host, "/lease", { ttlMs }));
        if (grant.status !== 200) {
          throw new Error(`Lease grant answered ${grant.status}: ${grant.text}`);
        }
        const { id } = JSON.parse(grant.text) as { id: number };
        const put = await send(
          conn,
          jsonPost(url.host, "/key", { key: `lease/${i}`, value: "up", lease: id }),
        );
        if (put.status !== 200) throw new Error(`Put on lease answered ${put.status}: ${put.text}`);
        ids.push(id);
      }
    } finally {
      conn.close();
    }
  };
  await Promise.all(Array.from({ length: GRANT_CONNECTIONS }, lane));
  return ids;
}

/** Keeps `ids` alive every `ttlMs / 3`, evenly paced, until `stop()`. */
export class KeepAlives {
  readonly #ids: number[];
  readonly #ttlMs: number;
  readonly #url: URL;
  readonly #histogram = new LatencyHistogram();
  readonly #loops: Promise<void>[];
  readonly #startMs = performance.now();
  #stopped = false;
  #turn = 0;
  #sent = 0;
  #lost = 0;
  #failed = 0;
  #firstError = "";
  #lagMsMax = 0;

  /** Starts keeping `ids` alive on the leader at `url`. */
  constructor(url: URL, ids: number[], ttlMs: number) {
    this.#url = url;
    this.#ids = ids;
    this.#ttlMs = ttlMs;
    this.#loops = Array.from({ length: KEEPALIVE_CONNECTIONS }, () => this.#loop());
  }

  /** Stops sending and reports what was sent. */
  async stop(): Promise<KeepAliveReport> {
    this.#stopped = true;
    await Promise.all(this.#loops);
    const elapsedS = (performance.now() - this.#startMs) / 1000;
    return {
      leases: this.#ids.length,
      ttlMs: this.#ttlMs,
      sent: this.#sent,
      lost: this.#lost,
      failed: this.#failed,
      firstError: this.#firstError,
      perSecond: this.#sent / elapsedS,
      scheduledPerSecond: this.#ids.length * KEEPALIVES_PER_TTL / (this.#ttlMs / 1000),
      lagMsMax: this.#lagMsMax,
      latency: this.#histogram.summary(),
    };
  }

  async #loop(): Promise<void> {
    const conn = new RawHttpConnection(this.#url.hostname, Number(this.#url.port || "80"));
    const everyMs = this.#ttlMs / KEEPALIVES_PER_TTL / this.#ids.length;
    try {
      while (!this.#stopped) {
        const turn = this.#turn++;
        const dueMs = this.#startMs + turn * everyMs;
        for (
          let waitMs = dueMs - performance.now();
          waitMs > 0;
          waitMs = dueMs - performance.now()
        ) {
          if (this.#stopped) return;
          await delay(Math.min(waitMs, PACE_SLEEP_MS_MAX));
        }
        this.#lagMsMax = Math.max(this.#lagMsMax, performance.now() - dueMs);
        await this.#keepAlive(conn, this.#ids[turn % this.#ids.length]!);
      }
    } finally {
      conn.close();
    }
  }

  async #keepAlive(conn: RawHttpConnection, id: number): Promise<void> {
    const startMs = performance.now();
    try {
      const answer = await send(conn, jsonPost(this.#url.host, "/lease/keepalive", { id }));
      this.#histogram.record(performance.now() - startMs);
      this.#sent++;
      if (answer.status === 404) this.#lost++;
      else if (answer.status !== 200) {
        this.#fail(`Keep-alive answered ${answer.status}: ${answer.text}`);
      }
    } catch (error) {
      this.#fail(String(error));
    }
  }

  #fail(message: string): void {
    this.#failed++;
    if (this.#firstError === "") this.#firstError = message;
  }
}
