/**
 * Watch as an async iterator: one event per log entry that touched the watched keys, in
 * index order; after a disconnect it resumes, on any node, right after the last index it
 * delivered, so nothing is skipped or repeated. When the server's history no longer reaches
 * back that far it throws `CompactedError`.
 *
 * @module
 */

import { backoffMs, sleep } from "./backoff.ts";
import { RafterError, UnavailableError } from "./errors.ts";
import { readSse } from "./sse.ts";
import type { Transport } from "./transport.ts";
import type { NodeStatus, WatchEvent, WatchOptions } from "./types.ts";

/** Reconnects in a row that deliver nothing before the watch gives up. */
const RECONNECTS_IDLE_MAX = 50;
/** First and longest pause between reconnects, in milliseconds. */
const RECONNECT_BASE_MS = 25;
const RECONNECT_MAX_MS = 1_000;

/** What a watch reads from one connection; `next` is the first index still to deliver. */
interface Position {
  next: number;
  /** True once anything (change or progress) arrived on this connection. */
  heard: boolean;
}

async function startIndex(transport: Transport, options: WatchOptions): Promise<number> {
  if (options.fromIndex !== undefined) return options.fromIndex;
  const status = await transport.json<NodeStatus>({
    method: "GET",
    path: "/status",
    target: "any",
    retry: "always",
    signal: options.signal,
  });
  return status.appliedIndex + 1;
}

function parseData<T>(data: string, what: string): T {
  try {
    return JSON.parse(data) as T;
  } catch {
    throw new RafterError(`Watch sent a ${what} that is not JSON: "${data.slice(0, 100)}"`, 200);
  }
}

async function* readConnection(
  body: ReadableStream<Uint8Array>,
  position: Position,
): AsyncGenerator<WatchEvent, void, undefined> {
  for await (const event of readSse(body)) {
    if (event.event === "change") {
      const change = parseData<WatchEvent>(event.data, "change");
      position.heard = true;
      // An entry already delivered (a resume that overlaps) is not delivered twice.
      if (change.index < position.next) continue;
      position.next = change.index + 1;
      yield change;
    } else if (event.event === "progress") {
      const { index } = parseData<{ index: number }>(event.data, "progress");
      position.heard = true;
      if (index + 1 > position.next) position.next = index + 1;
    } else if (event.event === "error") {
      return;
    }
  }
}

/**
 * Watches `keyOrPrefix` (a prefix when `options.prefix`), yielding each log entry's changes.
 * It runs until the caller stops iterating or aborts `options.signal`; it throws
 * `CompactedError` when it cannot resume without a gap, and `UnavailableError` when no node
 * serves it within the client's timeout.
 *
 * @example
 * ```ts
 * import { RafterClient } from "./client.ts";
 * import { FakeCluster } from "../../tests/client/fake_cluster.ts";
 * // An in-memory stand-in for a cluster; pass your nodes' addresses instead.
 * const fake = new FakeCluster();
 * using client = new RafterClient({ endpoints: ["http://127.0.0.1:8001"], fetch: fake.fetch });
 * const { index } = await client.put("config/a", "1");
 * await client.put("config/b", "2");
 * const seen = [];
 * for await (const event of client.watch("config/", { prefix: true, fromIndex: index })) {
 *   seen.push(...event.changes.map((change) => `${change.key}=${change.value}`));
 *   if (seen.length === 2) break;
 * }
 * if (seen.join() !== "config/a=1,config/b=2") throw new Error(seen.join());
 * ```
 */
export async function* watchEvents(
  transport: Transport,
  keyOrPrefix: string,
  options: WatchOptions = {},
): AsyncGenerator<WatchEvent, void, undefined> {
  const position: Position = { next: await startIndex(transport, options), heard: false };
  const first = position.next;
  for (let idle = 0; idle < RECONNECTS_IDLE_MAX;) {
    const resumed = position.next !== first;
    const answer = await transport.open({
      method: "GET",
      path: "/watch",
      query: {
        [options.prefix === true ? "prefix" : "key"]: keyOrPrefix,
        fromIndex: resumed ? undefined : String(position.next),
        prevValue: options.prevValue === true ? "true" : undefined,
        level: options.level,
      },
      headers: resumed
        ? { accept: "text/event-stream", "last-event-id": String(position.next - 1) }
        : { accept: "text/event-stream" },
      target: "any",
      retry: "always",
      signal: options.signal,
    });
    const body = answer.response.body;
    if (body === null) throw new RafterError("Watch answered without a body", 200);
    position.heard = false;
    try {
      yield* readConnection(body, position);
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (error instanceof RafterError) throw error;
      // The connection broke: resume from the position.
    } finally {
      await body.cancel().catch(() => {});
    }
    idle = position.heard ? 0 : idle + 1;
    await sleep(
      backoffMs(idle, RECONNECT_BASE_MS, RECONNECT_MAX_MS, Math.random),
      options.signal,
    );
  }
  throw new UnavailableError(
    `Watch of "${keyOrPrefix}" reconnected ${RECONNECTS_IDLE_MAX} times without hearing anything`,
    0,
  );
}
