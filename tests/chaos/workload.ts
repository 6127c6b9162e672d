/**
 * The chaos clients: concurrent workers doing puts, deletes,
 * compare-and-swaps and reads at every level on a small key space with
 * unique values, against whichever node they pick (following redirects, as
 * `curl -L` does), each operation recorded with its times and outcome. Each
 * worker draws its operations from its own seeded generator.
 *
 * A compare-and-swap is a `POST /txn` that compares the key with the value
 * the worker last read or wrote there (or, when it last saw the key absent
 * or never saw it, that it does not exist), puts a new value on success and
 * reads the key on failure, so the worker learns what to compare next.
 *
 * New kinds of operation fit as another entry of {@link OP_MIX} with its
 * request and its answer's reading, plus its model in the checker.
 *
 * @module
 */

import type { ReadLevel } from "../../src/api.ts";
import { createRng, type Rng } from "../../src/raft/rng.ts";
import { classifyAnswer, classifyError, describeError, type OpRecord } from "./history.ts";

/** What {@link Workload.perform} is asked to do. */
export type OpRequest =
  & Pick<OpRecord, "kind" | "key" | "value" | "level">
  & Partial<Pick<OpRecord, "expected">>;

/** A node the clients may send to. */
export interface Endpoint {
  id: string;
  httpAddr: string;
}

/** Settings of a {@link Workload}. */
export interface WorkloadOptions {
  seed: number;
  workers: number;
  /** Keys `k0`..; few, so operations collide. */
  keys: number;
  /** Time one request may take before the client gives up (an indeterminate write). */
  requestTimeoutMs: number;
  /** Pause between one worker's operations. */
  thinkMs: number;
  /**
   * Test only: consistent reads are sent as stale ones but recorded as
   * consistent, a server that skips ReadIndex, which the checks must catch.
   */
  unsafeReads: boolean;
}

/** The default workload of a chaos run. */
export const WORKLOAD_DEFAULTS: Omit<WorkloadOptions, "seed" | "unsafeReads"> = {
  workers: 8,
  keys: 8,
  requestTimeoutMs: 3_000,
  thinkMs: 15,
};

/** The key failover probes write; outside the workload's key space. */
const PROBE_KEY = "chaos-failover-probe";
/** Time one failover probe may take: short, so a probe stuck on the old leader moves on. */
const PROBE_TIMEOUT_MS = 500;
/** Pause between failed probes. */
const PROBE_PAUSE_MS = 20;
/** Redirects one operation follows at most. */
const HOPS_MAX = 3;
/** Characters of an answer kept in a record's note. */
const NOTE_CHARS_MAX = 160;

/** One kind of operation and its weight in the mix. */
interface OpChoice {
  weight: number;
  kind: OpRecord["kind"];
  level: ReadLevel | null;
}

/** The mix of operations each worker draws from (weights out of 100). */
export const OP_MIX: readonly OpChoice[] = [
  { weight: 30, kind: "put", level: null },
  { weight: 10, kind: "delete", level: null },
  { weight: 15, kind: "cas", level: null },
  { weight: 15, kind: "get", level: "stale" },
  { weight: 15, kind: "get", level: "default" },
  { weight: 15, kind: "get", level: "consistent" },
];

function drawOp(rng: Rng): OpChoice {
  let roll = rng.int(OP_MIX.reduce((sum, choice) => sum + choice.weight, 0));
  for (const choice of OP_MIX) {
    if (roll < choice.weight) return choice;
    roll -= choice.weight;
  }
  return OP_MIX[0]!;
}

/** The workers of one run and everything they recorded. */
export class Workload {
  readonly history: OpRecord[] = [];
  readonly #options: WorkloadOptions;
  readonly #endpoints: () => readonly Endpoint[];
  readonly #clock: () => number;
  /**
   * Writes never reuse a connection: after a pooled connection closes with a
   * request on it, fetch sends the request again on a new one and reports
   * only that attempt's error, so "connection refused" would not prove that
   * a write was never delivered. On a fresh connection it does.
   */
  readonly #writeClient = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  #running = false;
  #workers: Promise<void>[] = [];

  /**
   * @param endpoints the nodes a client may pick (every node ever started: a client cannot tell)
   * @param clock milliseconds since the run started
   */
  constructor(options: WorkloadOptions, endpoints: () => readonly Endpoint[], clock: () => number) {
    this.#options = options;
    this.#endpoints = endpoints;
    this.#clock = clock;
  }

  /** Starts every worker. */
  start(): void {
    this.#running = true;
    for (let w = 0; w < this.#options.workers; w++) {
      const rng = createRng((this.#options.seed ^ Math.imul(w + 1, 0x9e3779b1)) >>> 0);
      this.#workers.push(this.#work(w, rng));
    }
  }

  /** Stops issuing operations and waits for those in flight (bounded by the request timeout). */
  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#workers);
    this.#workers = [];
  }

  /** Releases the connections; {@link perform} must not be called afterwards. */
  close(): void {
    this.#writeClient.close();
  }

  async #work(worker: number, rng: Rng): Promise<void> {
    let seq = 0;
    /** What this worker last read or wrote for each key (null: absent). */
    const seen = new Map<string, string | null>();
    while (this.#running) {
      const choice = drawOp(rng);
      const key = `k${rng.int(this.#options.keys)}`;
      const endpoints = this.#endpoints();
      const target = endpoints[rng.int(endpoints.length)]!;
      const writes = choice.kind === "put" || choice.kind === "cas";
      const value = writes ? `w${worker}-${++seq}` : null;
      const expected = choice.kind === "cas" ? seen.get(key) ?? null : null;
      const op = { kind: choice.kind, key, value, level: choice.level, expected };
      const record = await this.perform(worker, op, target);
      this.history.push(record);
      const learnt = learned(record);
      if (learnt !== undefined) seen.set(key, learnt);
      await new Promise((resolve) => setTimeout(resolve, this.#options.thinkMs));
    }
  }

  /**
   * Performs one operation against `target`, following redirects, and
   * returns its record; each request may take `timeoutMs`. A redirect to
   * node `avoid` is not followed (the record keeps the 307).
   */
  async perform(
    worker: number,
    op: OpRequest,
    target: Endpoint,
    timeoutMs = this.#options.requestTimeoutMs,
    avoid = "",
  ): Promise<OpRecord> {
    const record: OpRecord = {
      worker,
      ...op,
      expected: op.expected ?? null,
      call: this.#clock(),
      ret: 0,
      outcome: "failed",
      read: null,
      deleted: false,
      swapped: false,
      index: null,
      node: target.id,
      status: 0,
      note: "",
      anomaly: false,
    };
    let url = this.#url(op, target.httpAddr);
    try {
      for (let hop = 0; hop <= HOPS_MAX; hop++) {
        record.node = this.#nodeAt(new URL(url).host);
        const response = await fetch(url, this.#init(op, timeoutMs));
        const text = await response.text();
        const location = response.headers.get("location");
        const avoided = location !== null && this.#nodeAt(new URL(location).host) === avoid;
        if (response.status === 307 && location !== null && hop < HOPS_MAX && !avoided) {
          url = location;
          continue;
        }
        this.#settle(record, response.status, text);
        return record;
      }
    } catch (error) {
      const { outcome, anomaly } = classifyError(op.kind, error);
      const note = describeError(error).slice(0, NOTE_CHARS_MAX);
      Object.assign(record, { outcome, anomaly, note });
    }
    record.ret = this.#clock();
    return record;
  }

  #settle(record: OpRecord, status: number, text: string): void {
    record.ret = this.#clock();
    record.status = status;
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON: classified by status alone.
    }
    const { outcome, anomaly } = classifyAnswer(record.kind, status, body);
    record.outcome = outcome;
    record.anomaly = anomaly;
    if (outcome !== "ok") {
      record.note = text.slice(0, NOTE_CHARS_MAX);
      return;
    }
    const fields = (body ?? {}) as Record<string, unknown>;
    if (record.kind === "get") record.read = status === 404 ? null : String(fields.value);
    if (record.kind === "get") return;
    record.index = typeof fields.index === "number" ? fields.index : null;
    if (record.kind === "delete") record.deleted = fields.deleted === true;
    if (record.kind !== "cas") return;
    record.swapped = fields.succeeded === true;
    if (!record.swapped) record.read = failureRead(fields);
  }

  /**
   * Writes through every node but `down`, in turn, each try bounded by
   * {@link PROBE_TIMEOUT_MS}, until one is acknowledged (then by a new
   * leader); answers the milliseconds from `sinceMs` (run time) to that
   * acknowledgement, or null after `boundMs` or once `signal` aborts. Not
   * recorded in the history.
   */
  async probeWrite(
    down: string,
    sinceMs: number,
    until: { boundMs: number; signal: AbortSignal },
  ): Promise<number | null> {
    const deadline = this.#clock() + until.boundMs;
    for (let i = 0; this.#clock() < deadline && !until.signal.aborted; i++) {
      const others = this.#endpoints().filter((e) => e.id !== down);
      if (others.length === 0) return null;
      const value = `probe-${i}`;
      const op = { kind: "put" as const, key: PROBE_KEY, value, level: null };
      const target = others[i % others.length]!;
      const record = await this.perform(-3, op, target, PROBE_TIMEOUT_MS, down);
      if (record.outcome === "ok" && record.node !== down) return record.ret - sinceMs;
      if (record.outcome !== "ok") await new Promise((r) => setTimeout(r, PROBE_PAUSE_MS));
    }
    return null;
  }

  #url(op: Pick<OpRecord, "kind" | "key" | "level">, httpAddr: string): string {
    const key = encodeURIComponent(op.key);
    if (op.kind === "put") return `http://${httpAddr}/key`;
    if (op.kind === "cas") return `http://${httpAddr}/txn`;
    if (op.kind === "delete") return `http://${httpAddr}/key?key=${key}`;
    const level = op.level === "consistent" && this.#options.unsafeReads ? "stale" : op.level;
    return `http://${httpAddr}/key?key=${key}&level=${level}`;
  }

  #init(op: OpRequest, timeoutMs: number): RequestInit & { client?: Deno.HttpClient } {
    const signal = AbortSignal.timeout(timeoutMs);
    if (op.kind === "get") return { redirect: "manual", signal };
    const client = this.#writeClient;
    if (op.kind === "delete") return { method: "DELETE", redirect: "manual", signal, client };
    return {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(op.kind === "cas" ? casTxn(op) : { key: op.key, value: op.value }),
      redirect: "manual",
      signal,
      client,
    };
  }

  #nodeAt(host: string): string {
    return this.#endpoints().find((e) => e.httpAddr === host)?.id ?? host;
  }
}

/**
 * The transaction of a compare-and-swap: put `value` if the key holds
 * `expected` (absent when null), else read the key.
 *
 * @example
 * ```ts
 * import { casTxn } from "./workload.ts";
 * const txn = casTxn({ key: "k0", expected: null, value: "w1-1" });
 * if (JSON.stringify(txn.compare) !== '[{"key":"k0","exists":false}]') throw new Error();
 * ```
 */
export function casTxn(op: Pick<OpRecord, "key" | "value"> & Partial<Pick<OpRecord, "expected">>) {
  const expected = op.expected ?? null;
  return {
    compare: [
      expected === null ? { key: op.key, exists: false } : { key: op.key, value: expected },
    ],
    success: [{ put: { key: op.key, value: op.value } }],
    failure: [{ get: { key: op.key } }],
  };
}

/** The value a transaction's failure read found (null when absent). */
function failureRead(fields: Record<string, unknown>): string | null {
  const results = Array.isArray(fields.results) ? fields.results : [];
  const get = (results[0] as { get?: { record?: { value?: unknown } | null } } | undefined)?.get;
  const value = get?.record?.value;
  return typeof value === "string" ? value : null;
}

/** What an ok operation says the key holds afterwards (null: absent), or undefined when unknown. */
function learned(record: OpRecord): string | null | undefined {
  if (record.outcome !== "ok") return undefined;
  if (record.kind === "get") return record.read;
  if (record.kind === "delete") return null;
  if (record.kind === "cas" && !record.swapped) return record.read;
  return record.value;
}
