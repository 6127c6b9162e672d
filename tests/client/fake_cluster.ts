/**
 * A fake rafter cluster that speaks the documented HTTP protocol of the routes the client
 * uses, including those not served by the real node yet (`/keys`, CAS with `prevIndex` and
 * `412`, `/txn`, `/lease`, `/watch` over SSE with `id:` lines, `Last-Event-ID` and `410`).
 * Several "nodes" share one store: followers answer `307` to the leader for writes, as the
 * real nodes do. Use `fetch` to call it without sockets, or `FakeCluster.serve()` for real
 * ports. Knobs inject what a real cluster does under faults.
 *
 * @module
 */

import { type ClientOptions, RafterClient } from "../../src/client/mod.ts";
import { FakeRefusal, FakeStore, type HistoryEntry } from "./fake_store.ts";
import { type FakeRoute, routeOf } from "./fake_routes.ts";

/** A canned answer given instead of serving a request. */
export interface FakeFault {
  status: number;
  body: Record<string, unknown>;
  /** Only requests to this path take the fault (any path when absent). */
  path?: string;
}

/** One request as the fake saw it. */
export interface SeenRequest {
  node: number;
  method: string;
  path: string;
  search: string;
  headers: Headers;
}

const encoder = new TextEncoder();
/** Seconds in `Retry-After` of a 503. */
const RETRY_AFTER_S = "1";

function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** How fetch reports a refused connection and a lost answer. */
function fetchFailure(cause: string): TypeError {
  return new TypeError("fetch failed", { cause: new Error(cause) });
}

/** A fake cluster of `origins.length` nodes sharing one store. */
export class FakeCluster {
  readonly store = new FakeStore();
  readonly origins: string[];
  /** Index of the node that leads; the others redirect to it. */
  leader = 0;
  /** Nodes whose connections are refused (fetch mode only). */
  readonly down = new Set<number>();
  /** When set, requests must carry `Authorization: Bearer <token>`. */
  token: string | null = null;
  /** Canned answers, each used once by the first request it matches. */
  readonly faults: FakeFault[] = [];
  /** The next N writes are applied, then their answer is lost (fetch mode only). */
  loseAnswers = 0;
  /** While true, requests wait until their caller aborts them. */
  hold = false;
  /** Watches asking for an index at or below this answer 410. */
  compactedIndex = 0;
  /** Each watch stream ends after this many change events (null: never). */
  watchDropAfter: number | null = null;
  /** Every request seen, oldest first. */
  readonly requests: SeenRequest[] = [];
  readonly #streams = new Set<(entry: HistoryEntry | null) => void>();
  #servers: Deno.HttpServer<Deno.NetAddr>[] = [];

  /** @param origins the nodes' origins; three on ports 8001 to 8003 by default */
  constructor(
    origins = ["http://127.0.0.1:8001", "http://127.0.0.1:8002", "http://127.0.0.1:8003"],
  ) {
    this.origins = origins;
    this.store.onEntry = (entry) => {
      for (const send of this.#streams) send(entry);
    };
  }

  /** Starts `count` nodes on free loopback ports. */
  static serve(count = 3): FakeCluster {
    let cluster: FakeCluster | null = null;
    const servers: Deno.HttpServer<Deno.NetAddr>[] = Array.from(
      { length: count },
      (_, node) =>
        Deno.serve(
          { hostname: "127.0.0.1", port: 0, onListen: () => {} },
          (request): Promise<Response> => cluster!.handle(node, request),
        ),
    );
    cluster = new FakeCluster(servers.map((s) => `http://127.0.0.1:${s.addr.port}`));
    cluster.#servers = servers;
    return cluster;
  }

  /** `fetch` that delivers to the node named by the URL's origin, without sockets. */
  readonly fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const node = this.origins.indexOf(new URL(request.url).origin);
    if (node === -1 || this.down.has(node)) {
      throw fetchFailure("client error (Connect): tcp connect error: Connection refused");
    }
    const answer = await abortable(this.handle(node, request), request.signal);
    const write = request.method !== "GET" && new URL(request.url).pathname !== "/lease/keepalive";
    if (write && answer.status === 200 && this.loseAnswers > 0) {
      this.loseAnswers--;
      throw fetchFailure("client error (SendRequest): connection closed before message completed");
    }
    return answer;
  };

  /**
   * A client of the nodes at `endpoints` (indexes), without sockets, with a backoff of a few
   * milliseconds and the first endpoint tried first.
   */
  client(endpoints = [0, 1, 2], options: Partial<ClientOptions> = {}): RafterClient {
    return new RafterClient({
      endpoints: endpoints.map((i) => this.origins[i]!),
      fetch: this.fetch,
      backoffBaseMs: 1,
      backoffMaxMs: 5,
      random: () => 0,
      ...options,
    });
  }

  /** Ends every open watch stream, with `event: error` first when `withError`. */
  dropWatches(withError = false): void {
    for (const send of [...this.#streams]) send(withError ? { index: -1, changes: [] } : null);
  }

  /** Ends the streams, stops the servers and the lease timers. */
  async close(): Promise<void> {
    this.dropWatches();
    this.store.close();
    await Promise.all(this.#servers.map((s) => s.shutdown()));
  }

  /** Serves `request` as node `node`. */
  async handle(node: number, request: Request): Promise<Response> {
    const url = new URL(request.url);
    this.requests.push({
      node,
      method: request.method,
      path: url.pathname,
      search: url.search,
      headers: request.headers,
    });
    if (this.token !== null && request.headers.get("authorization") !== `Bearer ${this.token}`) {
      return json({ error: "Missing or invalid token" }, 401);
    }
    const fault = this.faults.findIndex((f) => f.path === undefined || f.path === url.pathname);
    if (fault !== -1) {
      const [{ status, body }] = this.faults.splice(fault, 1) as [FakeFault];
      return json(body, status, status === 503 ? { "retry-after": RETRY_AFTER_S } : {});
    }
    if (this.hold) await holdUntilAborted(request.signal);
    const route = routeOf(request.method, url);
    if (route === null) {
      return json({ error: `No route for ${request.method} ${url.pathname}` }, 404);
    }
    if (route.leaderOnly && node !== this.leader) {
      const location = `${this.origins[this.leader]}${url.pathname}${url.search}`;
      return json({ error: "Not the leader" }, 307, { location });
    }
    try {
      if (route.name === "watch") return this.#watch(request, url);
      if (route.name === "status") return json(this.#status(node));
      return json(await route.serve(this.store, url, request));
    } catch (error) {
      if (error instanceof FakeRefusal) return json(error.body, error.status);
      throw error;
    }
  }

  #status(node: number) {
    const host = (origin: string) => new URL(origin).host;
    return {
      id: `n${node + 1}`,
      clusterId: "fake",
      role: node === this.leader ? "leader" : "follower",
      term: 2,
      leaderId: `n${this.leader + 1}`,
      leaderHttpAddr: host(this.origins[this.leader]!),
      commitIndex: this.store.index,
      appliedIndex: this.store.index,
      lastLogIndex: this.store.index,
      snapshotIndex: 0,
      members: this.origins.map((origin, i) => ({
        id: `n${i + 1}`,
        voter: true,
        raftAddr: `127.0.0.1:${7001 + i}`,
        httpAddr: host(origin),
        matchIndex: node === this.leader ? this.store.index : 0,
        lastContactMs: node === this.leader ? (i === node ? 0 : 5) : -1,
      })),
    };
  }

  #watch(request: Request, url: URL): Response {
    const key = url.searchParams.get("key");
    const prefix = url.searchParams.get("prefix") ?? "";
    const lastId = request.headers.get("last-event-id");
    const fromText = url.searchParams.get("fromIndex");
    const from = lastId !== null
      ? Number(lastId) + 1
      : fromText !== null
      ? Number(fromText)
      : this.store.index + 1;
    if (from <= this.compactedIndex) {
      return json({
        error: `Index "${from}" is compacted`,
        compactedIndex: this.compactedIndex,
        currentIndex: this.store.index,
      }, 410);
    }
    const prevValue = url.searchParams.get("prevValue") === "true";
    const touches = (k: string) => key !== null ? k === key : k.startsWith(prefix);
    let sent = 0;
    let done = false;
    let send: (entry: HistoryEntry | null) => void = () => {};
    const finish = (controller: ReadableStreamDefaultController<Uint8Array>) => {
      if (done) return;
      done = true;
      this.#streams.delete(send);
      controller.close();
    };
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        send = (entry) => {
          if (done) return;
          if (entry === null) return finish(controller);
          if (entry.index === -1) {
            controller.enqueue(encoder.encode(`event: error\ndata: {"error":"dropped"}\n\n`));
            return finish(controller);
          }
          if (entry.index < from) return;
          const changes = entry.changes.filter((c) => touches(c.key))
            .map((c) => prevValue ? c : { ...c, prev: undefined });
          if (changes.length === 0) return;
          const data = JSON.stringify({ index: entry.index, changes });
          controller.enqueue(
            encoder.encode(`id: ${entry.index}\nevent: change\ndata: ${data}\n\n`),
          );
          if (this.watchDropAfter !== null && ++sent >= this.watchDropAfter) finish(controller);
        };
        for (const entry of this.store.history) send(entry);
        if (done) return;
        const progress = JSON.stringify({ index: this.store.index });
        controller.enqueue(encoder.encode(`event: progress\ndata: ${progress}\n\n`));
        this.#streams.add(send);
        request.signal.addEventListener("abort", () => finish(controller), { once: true });
      },
      cancel: () => {
        done = true;
        this.#streams.delete(send);
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  }
}

/** Settles like `work`, or rejects with the signal's reason once it aborts, as fetch does. */
function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function holdUntilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

export type { FakeRoute };
