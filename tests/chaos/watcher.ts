/**
 * The chaos watcher: a long-lived watch of the workload's whole key prefix,
 * opened on a random node from the first index, that records every event it
 * gets. Each stream lives a few seconds at most (or less, when a fault
 * breaks it); the watcher then resumes on a random node with
 * `Last-Event-ID`, the last event id it got. A 410 from one node sends it
 * to another; when every node answers 410 the watch is over, noted as
 * compacted. What it saw is checked by `watch_verdict.ts`.
 *
 * @module
 */

import { readSse } from "../../src/client/sse.ts";
import type { WatchEvent } from "../../src/client/types.ts";
import type { Rng } from "../../src/raft/rng.ts";
import { sleep } from "../cluster/harness.ts";
import { describeError } from "./history.ts";
import type { Endpoint } from "./workload.ts";

/** One change event as the watcher got it. */
export interface SeenEvent extends WatchEvent {
  /** The node whose stream carried it. */
  node: string;
}

/** One stream the watcher opened. */
export interface SeenStream {
  node: string;
  /** The `Last-Event-ID` it resumed after, or null for the first `fromIndex`. */
  resumedAfter: number | null;
  /** How it ended: an error event's reason, a broken connection, the watcher's own timer. */
  ended: string;
}

/** Everything one watcher saw. */
export interface WatchLog {
  name: string;
  prefix: string;
  fromIndex: number;
  events: SeenEvent[];
  streams: SeenStream[];
  /** The highest index the watcher knows it has seen everything up to (event or progress). */
  through: number;
  /** Streams a node refused with 410 (its history no longer reached back). */
  refused: number;
  /** Why the watch had to end early (every node answered 410), or null. */
  compacted: string | null;
}

/** Shortest and longest life of one stream before the watcher resumes elsewhere. */
const STREAM_MIN_MS = 1_500;
const STREAM_SPREAD_MS = 4_000;
/** Pause before a resume. */
const RESUME_PAUSE_MS = 50;
/** How often a catch-up looks, and how long it waits before forcing a new stream. */
const CATCH_UP_POLL_MS = 100;
const CATCH_UP_RESTREAM_MS = 2_000;
/** Characters of an answer kept in a note. */
const NOTE_CHARS_MAX = 200;

/** A watcher of one prefix; {@link start} it, then {@link catchUp} and {@link stop}. */
export class Watcher {
  readonly log: WatchLog;
  readonly #endpoints: () => readonly Endpoint[];
  readonly #rng: Rng;
  #running = false;
  #loop: Promise<void> = Promise.resolve();
  #stream: AbortController | null = null;
  readonly #dropOnResume: boolean;
  /** The last event id got (change or progress), the position a resume asks for. */
  #lastId: number | null = null;

  /**
   * @param endpoints the nodes it may watch on (changed by {@link catchUp})
   * @param rng picks nodes and stream lives
   * @param dropOnResume test only: drop the first change of every resumed stream, a
   *   client that loses an event at each resume
   */
  constructor(
    log: Pick<WatchLog, "name" | "prefix" | "fromIndex">,
    endpoints: () => readonly Endpoint[],
    rng: Rng,
    dropOnResume = false,
  ) {
    const through = log.fromIndex - 1;
    this.log = { ...log, events: [], streams: [], through, refused: 0, compacted: null };
    this.#endpoints = endpoints;
    this.#rng = rng;
    this.#dropOnResume = dropOnResume;
  }

  /** Opens the first stream and keeps resuming until {@link stop}. */
  start(): void {
    this.#running = true;
    this.#loop = this.#run(this.#endpoints);
  }

  /**
   * Waits until the watcher has seen everything through `index`, watching
   * only on `members` from now on and starting a new stream on one of them
   * when the current one stalls; answers whether it got there within `boundMs`.
   */
  async catchUp(index: number, members: readonly Endpoint[], boundMs: number): Promise<boolean> {
    if (this.log.compacted !== null) return false;
    this.#running = false;
    this.#stream?.abort();
    await this.#loop;
    this.#running = true;
    this.#loop = this.#run(() => members);
    const deadline = performance.now() + boundMs;
    let restreamAt = performance.now() + CATCH_UP_RESTREAM_MS;
    while (performance.now() < deadline && this.log.through < index) {
      if (this.log.compacted !== null) return false;
      if (performance.now() > restreamAt) {
        this.#stream?.abort();
        restreamAt = performance.now() + CATCH_UP_RESTREAM_MS;
      }
      await sleep(CATCH_UP_POLL_MS);
    }
    return this.log.through >= index;
  }

  /** Ends the current stream and stops resuming. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#stream?.abort();
    await this.#loop;
  }

  async #run(endpoints: () => readonly Endpoint[]): Promise<void> {
    const refusedBy = new Set<string>();
    while (this.#running) {
      const nodes = endpoints();
      const target = nodes[this.#rng.int(nodes.length)]!;
      const refusal = await this.#stream1(target);
      if (refusal === null) {
        refusedBy.clear();
      } else {
        refusedBy.add(target.id);
        this.log.refused++;
        if (nodes.every((n) => refusedBy.has(n.id))) {
          this.log.compacted = refusal;
          return;
        }
      }
      if (this.#running) await sleep(RESUME_PAUSE_MS);
    }
  }

  /** One stream on `target`, read until it ends; answers a 410's note, else null. */
  async #stream1(target: Endpoint): Promise<string | null> {
    const controller = new AbortController();
    this.#stream = controller;
    const life = setTimeout(
      () => controller.abort(),
      STREAM_MIN_MS + this.#rng.int(STREAM_SPREAD_MS),
    );
    const stream: SeenStream = { node: target.id, resumedAfter: this.#lastId, ended: "" };
    try {
      const query = `prefix=${encodeURIComponent(this.log.prefix)}` +
        (this.#lastId === null ? `&fromIndex=${this.log.fromIndex}` : "");
      const headers: Record<string, string> = this.#lastId === null
        ? {}
        : { "last-event-id": String(this.#lastId) };
      // The stream's life bounds its opening too.
      const response = await fetch(`http://${target.httpAddr}/watch?${query}`, {
        headers,
        signal: controller.signal,
      });
      if (response.status !== 200 || response.body === null) {
        const text = (await response.text()).slice(0, NOTE_CHARS_MAX);
        return response.status === 410 ? `${target.id} answered 410 ${text}` : null;
      }
      this.log.streams.push(stream);
      const drop = this.#dropOnResume && stream.resumedAfter !== null;
      stream.ended = await this.#read(response.body, target.id, controller.signal, drop);
    } catch (error) {
      stream.ended = controller.signal.aborted
        ? "stream life over"
        : describeError(error).slice(0, NOTE_CHARS_MAX);
    } finally {
      clearTimeout(life);
    }
    return null;
  }

  /** Records the events of one stream; answers how it ended. */
  async #read(body: ReadableStream<Uint8Array>, node: string, signal: AbortSignal, drop: boolean) {
    const onAbort = () => body.cancel().catch(() => {});
    signal.addEventListener("abort", onAbort);
    try {
      for await (const event of readSse(body)) {
        if (event.event === "error") return `error event: ${event.data.slice(0, NOTE_CHARS_MAX)}`;
        const id = Number(event.id);
        if (event.event === "change") {
          const change = JSON.parse(event.data) as WatchEvent;
          if (drop) {
            drop = false;
            continue;
          }
          this.log.events.push({ index: change.index, changes: change.changes, node });
          this.log.through = Math.max(this.log.through, change.index);
        } else if (event.event === "progress") {
          const { index } = JSON.parse(event.data) as { index: number };
          this.log.through = Math.max(this.log.through, index);
        }
        if (event.id !== null && Number.isInteger(id)) {
          this.#lastId = Math.max(this.#lastId ?? 0, id);
        }
      }
      return signal.aborted ? "stream life over" : "stream ended";
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }
}
