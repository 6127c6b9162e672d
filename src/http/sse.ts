/**
 * A watch as a `text/event-stream`: one `change` message per log entry,
 * `progress` messages at least every `progressMs` (the first at once; the
 * streams share one timer for it), and
 * an `error` message that ends the stream when the watch ends. Messages are
 * made only as fast as the client reads them, and what is ready when the
 * client reads goes out as one chunk (one write instead of one per event,
 * which is what a busy watch costs); a client too slow for the history is
 * ended by the watch itself. An entry delivered whole to several watches is
 * turned into text once.
 *
 * ```
 * id: 42
 * event: change
 * data: {"index":42,"changes":[{"type":"put","key":"k","value":"v",...}]}
 * ```
 *
 * @module
 */

import type { WatchEnd, WatchEvent, WatchStream } from "../api.ts";
import { changeView } from "../kv/views.ts";

/** Settings of one event stream. */
export interface EventStreamOptions {
  /** Include each change's previous record. */
  prevValue: boolean;
  /** Longest time between two `progress` messages. */
  progressMs: number;
}

/**
 * One server-sent event.
 *
 * @example
 * ```ts
 * import { eventMessage } from "./sse.ts";
 * if (eventMessage("progress", { index: 3 }, 3) !== 'id: 3\nevent: progress\ndata: {"index":3}\n\n') {
 *   throw new Error();
 * }
 * ```
 */
export function eventMessage(event: string, data: unknown, id?: number): string {
  const idLine = id === undefined ? "" : `id: ${id}\n`;
  return `${idLine}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Most characters of messages joined into one chunk. */
const CHUNK_CHARS_MAX = 64 * 1024;

/**
 * Messages already made, by the changes they carry (with and without
 * previous values): a watch that takes an entry whole gets the entry's own
 * array, so every such watch shares one message.
 */
const madeMessages = [
  new WeakMap<readonly object[], string>(),
  new WeakMap<readonly object[], string>(),
];

function changeMessage(event: WatchEvent, prevValue: boolean): string {
  const made = madeMessages[prevValue ? 1 : 0]!;
  let message = made.get(event.changes);
  if (message === undefined) {
    const changes = event.changes.map((change) => changeView(change, prevValue));
    message = eventMessage("change", { index: event.index, changes }, event.index);
    made.set(event.changes, message);
  }
  return message;
}

function endMessage(end: WatchEnd): string {
  return eventMessage("error", { error: end.message, reason: end.reason });
}

/**
 * One timer for every stream that waits with the same progress interval. A
 * busy watch waits after every chunk it sends, and a timer set and cleared
 * per wait cost about as much as the chunk; the streams now share a timer
 * that ticks every quarter of the interval while any of them waits, and a
 * stream sends its progress message at the first tick that finds it due.
 */
class ProgressTicker {
  /** Milliseconds between ticks. */
  readonly periodMs: number;
  #waiting = 0;
  #tick: Promise<void> | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(progressMs: number) {
    this.periodMs = Math.max(1, Math.floor(progressMs / 4));
  }

  /** Resolves when `ready` does or at the next tick, whichever comes first. */
  async race(ready: Promise<void>): Promise<void> {
    if (this.#tick === null) {
      const { promise, resolve } = Promise.withResolvers<void>();
      this.#tick = promise;
      this.#timer = setTimeout(() => {
        this.#tick = null;
        this.#timer = undefined;
        resolve();
      }, this.periodMs);
    }
    this.#waiting++;
    try {
      await Promise.race([ready, this.#tick]);
    } finally {
      // The last stream to stop waiting takes the timer with it: an idle node holds none.
      if (--this.#waiting === 0) {
        clearTimeout(this.#timer);
        this.#timer = undefined;
        this.#tick = null;
      }
    }
  }
}

const tickers = new Map<number, ProgressTicker>();

function tickerFor(progressMs: number): ProgressTicker {
  let ticker = tickers.get(progressMs);
  if (ticker === undefined) {
    ticker = new ProgressTicker(progressMs);
    tickers.set(progressMs, ticker);
  }
  return ticker;
}

/**
 * Streams `watch` as server-sent events; cancelling the response closes it.
 *
 * @example
 * ```ts
 * import { watchResponse } from "./sse.ts";
 * import { WatchHistory } from "../kv/watch_history.ts";
 * const history = new WatchHistory(7);
 * const response = watchResponse(history.subscribe({ prefix: "" }), { prevValue: false, progressMs: 50 });
 * const reader = response.body!.getReader();
 * const first = new TextDecoder().decode((await reader.read()).value);
 * if (first !== 'id: 7\nevent: progress\ndata: {"index":7}\n\n') throw new Error(first);
 * await reader.cancel();
 * ```
 */
export function watchResponse(watch: WatchStream, options: EventStreamOptions): Response {
  const encoder = new TextEncoder();
  const ticker = tickerFor(options.progressMs);
  // Due one tick early, so that no gap between two progress messages exceeds progressMs.
  const progressDueMs = options.progressMs - ticker.periodMs;
  let lastProgressMs = -Infinity;
  let ended = false;
  let cancelled = false;
  /** A change or the end if one is ready now, else null. */
  const taken = (): string | null => {
    const item = watch.take();
    if (item?.type === "change") return changeMessage(item, options.prevValue);
    if (item?.type !== "end") return null;
    ended = true;
    return endMessage(item);
  };
  /** The next message, waiting for one; null once the client has gone. */
  const next = async (): Promise<string | null> => {
    while (!cancelled) {
      const nowMs = performance.now();
      if (nowMs - lastProgressMs >= progressDueMs) {
        lastProgressMs = nowMs;
        const index = watch.progressIndex;
        return eventMessage("progress", { index }, index);
      }
      const message = taken();
      if (message !== null) return message;
      await ticker.race(watch.ready());
    }
    return null;
  };
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let chunk = await next();
      if (chunk === null) return;
      for (let more; !ended && chunk.length < CHUNK_CHARS_MAX && (more = taken()) !== null;) {
        chunk += more;
      }
      controller.enqueue(encoder.encode(chunk));
      if (ended) controller.close();
    },
    cancel() {
      cancelled = true;
      watch.close();
    },
  });
  return new Response(body, {
    headers: { "content-type": "text/event-stream", "cache-control": "no-cache" },
  });
}
