/**
 * The load generator: N virtual connections, each running one request at a time in a loop for
 * a fixed time (or, to preload, until it has written its share of the keys). Requests are
 * built before the clock starts; every response's latency goes into a histogram, every read
 * is checked for the stored value. Runs in the calling thread (`runLoad`) or spread over
 * Workers (`runLoadInWorkers`), so it does not share an event loop with process supervision.
 *
 * @module
 */

import { type AckData, ackedWrites, AckLog, casRequests, type DynamicRequests } from "./dynamic.ts";
import { type HistogramData, LatencyHistogram } from "./histogram.ts";
import { indexOfBytes } from "./http_response.ts";
import { RawHttpConnection } from "./raw_client.ts";
import {
  batchedWrites,
  buildRequestSet,
  encodeRequest,
  type Operation,
  type RequestSet,
  type RequestSpec,
  type Target,
} from "./targets.ts";

export { type HistogramData, LatencyHistogram, type LatencySummary } from "./histogram.ts";
export {
  HttpProtocolError,
  type HttpResponseInfo,
  indexOfBytes,
  parseHttpResponse,
} from "./http_response.ts";
export { RawHttpConnection } from "./raw_client.ts";

/** How requests go out: the raw HTTP/1.1 client, or `fetch` with its connection pool. */
export type ClientKind = "raw" | "fetch";

/** `random`: random keys until the time is up; `preload`: each key once, then stop. */
export type LoadMode = "random" | "preload";

/** Most virtual connections one run may open. */
export const connectionsMax = 1024;
/** Longest run, in milliseconds. */
export const durationMsMax = 3_600_000;
/** Pause after a socket error before the connection tries again, in milliseconds. */
const errorBackoffMs = 20;
/** How often the timeout watchdog looks at pending requests, in milliseconds. */
const watchdogIntervalMs = 50;
/** Share of `mixed` requests that are writes; the rest are consistent reads. */
export const MIXED_WRITE_SHARE = 0.1;
/**
 * Requests up to which each is encoded once before the clock starts; beyond, each is encoded
 * as it is sent, so ten million keys do not cost the generator gigabytes.
 */
export const PREBUILT_REQUESTS_MAX = 100_000;
/** Most keys one preload request may write (a transaction of that many puts). */
export const PRELOAD_BATCH_MAX = 128;

/** What to run. */
export interface LoadOptions {
  /** Base URL: `http://host:port`, optionally with a path prefix (rafter only). */
  url: string;
  target: Target;
  op: Operation;
  mode: LoadMode;
  /** Virtual connections this run opens. */
  connections: number;
  /** Run time for `random`, or the time allowed to finish `preload`, in milliseconds. */
  durationMs: number;
  keys: number;
  valueBytes: number;
  /** A request slower than this is abandoned and counted as a timeout. */
  timeoutMs: number;
  client: ClientKind;
  /** For `preload` across Workers: this run's first connection number among all of them. */
  connectionIndexFirst?: number;
  /** For `preload` across Workers: connections over all Workers (default `connections`). */
  connectionsTotal?: number;
  /** For writes: keep each answer's index and arrival time (`acks` in the result). */
  recordAcks?: boolean;
  /** For `preload` (rafter only): keys written per request, as one transaction (default 1). */
  preloadBatch?: number;
  /** For an `https:` URL: PEM of the CA to trust (default: the system's roots). */
  caCert?: string | null;
  /** The `Authorization` header every request carries (default none). */
  authorization?: string | null;
}

/** What a run measured. */
export interface LoadResult {
  /** Responses received, whatever their status. */
  requests: number;
  /** 2xx responses that passed the read check. */
  ok: number;
  non2xx: number;
  /** 2xx reads whose body did not contain the stored value. */
  misses: number;
  /** Connect, read, write and protocol errors. */
  socketErrors: number;
  timeouts: number;
  /** Count of each non-2xx status. */
  statusCounts: Record<string, number>;
  /** For `preload`: whether every connection got through its keys in time. */
  complete: boolean;
  elapsedMs: number;
  histogram: HistogramData;
  /** The first error seen, for diagnosis; "" when none. */
  firstError: string;
  /** With `recordAcks`: every acknowledged write's index and arrival time. */
  acks?: AckData;
}

/** Errors of every kind in `result`. */
export function errorCount(result: LoadResult): number {
  return result.non2xx + result.misses + result.socketErrors + result.timeouts;
}

/** Checks option bounds; throws a RangeError naming the bad value. */
export function validateLoadOptions(options: LoadOptions): void {
  const checks: [string, number, number, number][] = [
    ["connections", options.connections, 1, connectionsMax],
    ["durationMs", options.durationMs, 1, durationMsMax],
    ["keys", options.keys, 1, 10_000_000],
    ["preloadBatch", options.preloadBatch ?? 1, 1, PRELOAD_BATCH_MAX],
    ["valueBytes", options.valueBytes, 1, 1024 * 1024],
    ["timeoutMs", options.timeoutMs, 1, 600_000],
  ];
  for (const [name, value, min, max] of checks) {
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new RangeError(`Option ${name} must be an integer in ${min}..${max}, got "${value}"`);
    }
  }
}

/** Mutable counters shared by the connections of one run (one thread, so no races). */
class Tally {
  requests = 0;
  ok = 0;
  non2xx = 0;
  misses = 0;
  socketErrors = 0;
  timeouts = 0;
  statusCounts: Record<string, number> = {};
  firstError = "";
  readonly histogram = new LatencyHistogram();

  countStatus(status: number): boolean {
    if (status >= 200 && status < 300) return true;
    this.non2xx++;
    this.statusCounts[status] = (this.statusCounts[status] ?? 0) + 1;
    this.noteError(`HTTP status ${status}`);
    return false;
  }

  noteError(message: string): void {
    if (this.firstError === "") this.firstError = message;
  }

  /**
   * Records an answer that arrived `startMs` after the clock: its latency,
   * its status, and for reads (`found` is false) a miss.
   */
  answered(startMs: number, status: number, key: number, found: boolean): void {
    this.histogram.record(performance.now() - startMs);
    this.requests++;
    if (!this.countStatus(status)) return;
    if (!found) {
      this.misses++;
      this.noteError(`Read of key "k${key}" did not return the stored value`);
      return;
    }
    this.ok++;
  }

  /** Records a request that got no answer: a timeout, or a socket error (returns true). */
  failed(timedOut: boolean, timeoutMs: number, error: unknown): boolean {
    if (timedOut) {
      this.timeouts++;
      this.noteError(`Request timed out after ${timeoutMs} ms`);
      return false;
    }
    this.socketErrors++;
    this.noteError(errorText(error));
    return true;
  }
}

/** Hands out key numbers: at random until a deadline, or each of a share once. */
interface KeyPicker {
  /** The next key for virtual connection `connection`, or -1 to stop. */
  next(connection: number): number;
  complete(): boolean;
}

function randomPicker(keys: number, deadlineMs: number): KeyPicker {
  return {
    next: () => (performance.now() < deadlineMs ? Math.floor(Math.random() * keys) : -1),
    complete: () => true,
  };
}

/**
 * Random keys, each connection within its own share (keys equal to its number modulo the
 * connections of every Worker), so no two connections ever write the same key.
 */
function partitionedPicker(options: LoadOptions, deadlineMs: number): KeyPicker {
  const first = options.connectionIndexFirst ?? 0;
  const total = options.connectionsTotal ?? options.connections;
  if (options.keys < total) {
    throw new RangeError(
      `Operation "${options.op}" needs at least one key per connection: ` +
        `"${options.keys}" keys for "${total}" connections`,
    );
  }
  return {
    next(connection) {
      if (performance.now() >= deadlineMs) return -1;
      const own = first + connection;
      const count = Math.floor((options.keys - 1 - own) / total) + 1;
      return own + total * Math.floor(Math.random() * count);
    },
    complete: () => true,
  };
}

function pickerOf(options: LoadOptions, startMs: number): KeyPicker {
  const deadlineMs = startMs + options.durationMs;
  if (options.mode === "preload") return preloadPicker(options, deadlineMs);
  if (options.op === "cas") return partitionedPicker(options, deadlineMs);
  return randomPicker(options.keys, deadlineMs);
}

/** The requests that change per call or whose answers are read, if `options` has any. */
function dynamicOf(url: URL, options: LoadOptions, writes: RequestSet, acks: AckLog) {
  if (options.op === "cas" && options.mode === "random") return casRequests(url, options);
  if (options.recordAcks === true) return ackedWrites(writes, acks);
  return null;
}

/** Preload requests: one per key, or one per batch of keys. */
function preloadRequests(options: LoadOptions): number {
  return Math.ceil(options.keys / (options.preloadBatch ?? 1));
}

function preloadPicker(options: LoadOptions, deadlineMs: number): KeyPicker {
  const first = options.connectionIndexFirst ?? 0;
  const total = options.connectionsTotal ?? options.connections;
  const requests = preloadRequests(options);
  const nextKey = Int32Array.from({ length: options.connections }, (_, i) => first + i);
  return {
    next(connection) {
      const key = nextKey[connection]!;
      if (key >= requests || performance.now() >= deadlineMs) return -1;
      nextKey[connection] = key + total;
      return key;
    },
    complete: () => nextKey.every((key) => key >= requests),
  };
}

function prefixOf(url: URL): string {
  return url.pathname.replace(/\/+$/, "");
}

/** One kind of fixed request: each key's request and what its answer must contain. */
interface FixedRequests {
  set: RequestSet;
  /** Requests the set numbers (keys, or preload batches). */
  count: number;
  /** What the answer must contain; empty to check nothing. */
  expected: Uint8Array;
}

/** The fixed requests of a run: one kind, or for `mixed` the reads and then the writes. */
function fixedRequests(options: LoadOptions, prefix: string): FixedRequests[] {
  const encoder = new TextEncoder();
  const sizes = { keys: options.keys, valueBytes: options.valueBytes, prefix };
  const kind = (op: Operation): FixedRequests => {
    const set = buildRequestSet(options.target, op, sizes);
    return { set, count: options.keys, expected: encoder.encode(set.expected) };
  };
  if (options.mode === "preload" && (options.preloadBatch ?? 1) > 1) {
    if (options.target !== "rafter") throw new RangeError("Batched preloads run against rafter");
    const set = batchedWrites({ ...sizes, batch: options.preloadBatch! });
    return [{ set, count: preloadRequests(options), expected: new Uint8Array(0) }];
  }
  if (options.op === "mixed") return [kind("read-consistent"), kind("write")];
  return [kind(options.op)];
}

/** A `mixed` run's next kind of request: a write one time in ten, else a read. */
function pickKind<T>(kinds: readonly T[]): T {
  return kinds.length > 1 && Math.random() < MIXED_WRITE_SHARE ? kinds[1]! : kinds[0]!;
}

/** Runs one load in this thread and reports what it measured. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  validateLoadOptions(options);
  const url = new URL(options.url);
  const kinds = fixedRequests(options, prefixOf(url));
  const tally = new Tally();
  const acks = new AckLog();
  const dynamic = dynamicOf(url, options, kinds[0]!.set, acks);
  await dynamic?.prepare();
  const requests = { kinds, dynamic };
  const runner = options.client === "raw"
    ? await rawRunner(url, requests, options, tally)
    : fetchRunner(url, requests, options, tally);
  const startMs = performance.now();
  const picker = pickerOf(options, startMs);
  try {
    await runner.run(picker);
  } finally {
    runner.close();
  }
  const elapsedMs = performance.now() - startMs;
  return {
    requests: tally.requests,
    ok: tally.ok,
    non2xx: tally.non2xx,
    misses: tally.misses,
    socketErrors: tally.socketErrors,
    timeouts: tally.timeouts,
    statusCounts: tally.statusCounts,
    complete: picker.complete(),
    elapsedMs,
    histogram: tally.histogram.toData(),
    firstError: tally.firstError,
    ...(options.recordAcks === true ? { acks: acks.toData() } : {}),
  };
}

/** What the runners send and how they check the answers. */
interface Requests {
  kinds: FixedRequests[];
  dynamic: DynamicRequests | null;
}

/** Runs the request loops of every connection until the picker says stop. */
interface Runner {
  run(picker: KeyPicker): Promise<void>;
  close(): void;
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A kind of fixed request as the raw client sends it: encoded once, or as it goes out. */
interface EncodedRequests {
  bytes(key: number): Uint8Array;
  expected: Uint8Array;
}

function encodedRequests(
  kind: FixedRequests,
  host: string,
  headers: Record<string, string>,
): EncodedRequests {
  const encode = (key: number) => encodeRequest(kind.set.spec(key), host, headers);
  if (kind.count > PREBUILT_REQUESTS_MAX) return { bytes: encode, expected: kind.expected };
  const prebuilt = Array.from({ length: kind.count }, (_, key) => encode(key));
  return { bytes: (key) => prebuilt[key]!, expected: kind.expected };
}

async function rawRunner(
  url: URL,
  { kinds, dynamic }: Requests,
  options: LoadOptions,
  tally: Tally,
): Promise<Runner> {
  const headers: Record<string, string> = options.authorization
    ? { Authorization: options.authorization }
    : {};
  const encoded = dynamic === null ? kinds.map((k) => encodedRequests(k, url.host, headers)) : [];
  const tls = url.protocol === "https:";
  const port = Number(url.port || (tls ? "443" : "80"));
  const caCert = tls ? options.caCert ?? null : null;
  const conns = Array.from(
    { length: options.connections },
    () => new RawHttpConnection(url.hostname, port, caCert),
  );
  // Connect before the clock starts; a failure here is retried inside the loop.
  await Promise.allSettled(conns.map((conn) => conn.connect()));
  async function loop(index: number, picker: KeyPicker): Promise<void> {
    const conn = conns[index]!;
    for (let key = picker.next(index); key >= 0; key = picker.next(index)) {
      const startMs = performance.now();
      conn.startedAtMs = startMs;
      try {
        const kind = dynamic === null ? pickKind(encoded) : null;
        const bytes = kind === null
          ? encodeRequest(dynamic!.spec(key), url.host, headers)
          : kind.bytes(key);
        const info = await conn.request(bytes);
        const found = kind === null
          ? dynamic!.answered(key, info.status, conn.buffer, info.bodyStart, info.bodyEnd)
          : kind.expected.length === 0 ||
            indexOfBytes(conn.buffer, kind.expected, info.bodyStart, info.bodyEnd) >= 0;
        tally.answered(startMs, info.status, key, found);
      } catch (error) {
        if (tally.failed(conn.aborted, options.timeoutMs, error)) await delay(errorBackoffMs);
      } finally {
        conn.startedAtMs = -1;
      }
    }
  }
  let watchdog: ReturnType<typeof setInterval> | undefined;
  return {
    async run(picker) {
      watchdog = setInterval(() => {
        const now = performance.now();
        for (const conn of conns) {
          if (conn.startedAtMs >= 0 && now - conn.startedAtMs > options.timeoutMs) conn.abort();
        }
      }, watchdogIntervalMs);
      await Promise.all(conns.map((_, index) => loop(index, picker)));
    },
    close() {
      clearInterval(watchdog);
      for (const conn of conns) conn.close();
    },
  };
}

function fetchRunner(
  url: URL,
  { kinds, dynamic }: Requests,
  options: LoadOptions,
  tally: Tally,
): Runner {
  const origin = url.origin;
  const auth: Record<string, string> = options.authorization
    ? { authorization: options.authorization }
    : {};
  const initOf = (spec: RequestSpec) => ({
    href: origin + spec.path,
    method: spec.method,
    body: spec.body,
    headers: spec.body === null ? auth : { ...auth, "content-type": "application/json" },
  });
  const client = options.caCert ? Deno.createHttpClient({ caCerts: [options.caCert] }) : null;
  async function once(key: number): Promise<void> {
    const kind = dynamic === null ? pickKind(kinds) : null;
    const init = initOf(kind === null ? dynamic!.spec(key) : kind.set.spec(key));
    const startMs = performance.now();
    const signal = AbortSignal.timeout(options.timeoutMs);
    try {
      const response = await fetch(init.href, {
        method: init.method,
        body: init.body,
        headers: init.headers,
        signal,
        ...(client === null ? {} : { client }),
      });
      const body = new Uint8Array(await response.arrayBuffer());
      const found = kind === null
        ? dynamic!.answered(key, response.status, body, 0, body.length)
        : kind.expected.length === 0 || indexOfBytes(body, kind.expected, 0, body.length) >= 0;
      tally.answered(startMs, response.status, key, found);
    } catch (error) {
      if (tally.failed(signal.aborted, options.timeoutMs, error)) await delay(errorBackoffMs);
    }
  }
  return {
    async run(picker) {
      const loops = Array.from({ length: options.connections }, async (_, index) => {
        for (let key = picker.next(index); key >= 0; key = picker.next(index)) await once(key);
      });
      await Promise.all(loops);
    },
    close() {
      client?.close();
    },
  };
}

/**
 * Adds `b` into a copy of `a`. Results of workers that ran side by side
 * (`"parallel"`, the default) span the longer of their two times; results of
 * spans that ran one after the other (`"sequential"`) span the sum.
 */
export function mergeResults(
  a: LoadResult,
  b: LoadResult,
  ran: "parallel" | "sequential" = "parallel",
): LoadResult {
  const histogram = LatencyHistogram.fromData(a.histogram);
  histogram.merge(LatencyHistogram.fromData(b.histogram));
  const statusCounts = { ...a.statusCounts };
  for (const [status, n] of Object.entries(b.statusCounts)) {
    statusCounts[status] = (statusCounts[status] ?? 0) + n;
  }
  return {
    requests: a.requests + b.requests,
    ok: a.ok + b.ok,
    non2xx: a.non2xx + b.non2xx,
    misses: a.misses + b.misses,
    socketErrors: a.socketErrors + b.socketErrors,
    timeouts: a.timeouts + b.timeouts,
    statusCounts,
    complete: a.complete && b.complete,
    elapsedMs: ran === "parallel" ? Math.max(a.elapsedMs, b.elapsedMs) : a.elapsedMs + b.elapsedMs,
    histogram: histogram.toData(),
    firstError: a.firstError !== "" ? a.firstError : b.firstError,
    ...(a.acks === undefined || b.acks === undefined ? {} : { acks: mergeAcks(a.acks, b.acks) }),
  };
}

function mergeAcks(a: AckData, b: AckData): AckData {
  const indexes = new Float64Array(a.count + b.count);
  const atMs = new Float64Array(a.count + b.count);
  indexes.set(a.indexes);
  indexes.set(b.indexes, a.count);
  atMs.set(a.atMs);
  atMs.set(b.atMs, a.count);
  return { indexes, atMs, count: a.count + b.count };
}
