/**
 * Helpers for the data-model tests against real processes: JSON calls that never follow a
 * redirect, a watch read as server-sent events with a bound on every wait, and `rafter`
 * client commands started as processes that a test may kill.
 *
 * @module
 */

import { IndeterminateError } from "../../src/client/mod.ts";
import { readSse, type SseEvent } from "../../src/client/sse.ts";
import { MAIN, PERMISSIONS } from "../cli/run.ts";
import { type Answer, type NodeProcess, request, WAIT_MS_MAX } from "./harness.ts";

/**
 * The nodes' production timing (50 ms heartbeats, 500 ms elections) instead of the harness's
 * fast one, for tests that gain nothing from quick elections: a busy machine then rarely
 * moves the leader under them.
 */
export const STEADY_TIMING = { heartbeatMs: 50, electionMs: 500 } as const;

/**
 * The answer to `write`, or null when its outcome is unknown (a leader change, which a busy
 * machine brings now and then): the test then learns from the state what took effect.
 */
export async function tolerating<T>(write: Promise<T>): Promise<T | null> {
  try {
    return await write;
  } catch (error) {
    if (error instanceof IndeterminateError) return null;
    throw error;
  }
}

/** `http://host:port` of each node, comma-separated, as `RAFTER_ENDPOINTS` takes them. */
export function endpointsOf(nodes: readonly NodeProcess[]): string {
  return nodes.map((n) => `http://${n.httpAddr}`).join(",");
}

/** Sends `body` as JSON (or nothing) with `method` to `path` on `addr`; never follows a 307. */
export function call(
  addr: string,
  method: "GET" | "POST" | "PUT" | "DELETE",
  path: string,
  body?: unknown,
): Promise<Answer> {
  const init: RequestInit = { method, redirect: "manual" };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    init.headers = { "content-type": "application/json" };
  }
  return request(`http://${addr}${path}`, init);
}

/** A `change` event's data. */
export interface ChangeEvent {
  index: number;
  changes: {
    type: "put" | "delete";
    key: string;
    value?: string;
    createIndex: number;
    modIndex: number;
    lease?: number;
  }[];
}

/** One open `GET /watch` stream. */
export class WatchStream {
  /** The status the node answered (200 for a stream). */
  readonly status: number;
  readonly #events: AsyncIterator<SseEvent> | null;
  readonly #controller: AbortController;
  readonly #body: string;
  /** Settles on `close()`: aborting a fetch does not always end a body being read. */
  readonly #closed: Promise<"closed">;

  private constructor(
    status: number,
    events: AsyncIterator<SseEvent> | null,
    controller: AbortController,
    body: string,
  ) {
    this.status = status;
    this.#events = events;
    this.#controller = controller;
    this.#body = body;
    this.#closed = new Promise((resolve) =>
      controller.signal.addEventListener("abort", () => resolve("closed"), { once: true })
    );
  }

  /** Opens `/watch?query` on `addr`, with `Last-Event-ID` when `lastEventId` is given. */
  static async open(addr: string, query: string, lastEventId?: number): Promise<WatchStream> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), WAIT_MS_MAX);
    try {
      const headers: Record<string, string> = { accept: "text/event-stream" };
      if (lastEventId !== undefined) headers["last-event-id"] = String(lastEventId);
      const response = await fetch(`http://${addr}/watch?${query}`, {
        headers,
        signal: controller.signal,
      });
      if (response.status !== 200 || response.body === null) {
        return new WatchStream(response.status, null, controller, await response.text());
      }
      const events = readSse(response.body)[Symbol.asyncIterator]();
      return new WatchStream(response.status, events, controller, "");
    } finally {
      clearTimeout(timer);
    }
  }

  /** The body of an answer that was not a stream. */
  get body(): string {
    return this.#body;
  }

  /**
   * The next event, or null when the stream ended (the node went away, or `close()` was
   * called); throws when none arrives within `timeoutMs`.
   */
  async next(timeoutMs = WAIT_MS_MAX): Promise<SseEvent | null> {
    if (this.#events === null || this.#controller.signal.aborted) return null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((resolve) =>
      timer = setTimeout(() => resolve("late"), timeoutMs)
    );
    try {
      const next = await Promise.race([this.#events.next(), late, this.#closed]);
      if (next === "late") throw new Error(`No watch event within ${timeoutMs} ms`);
      if (next === "closed") return null;
      return next.done ? null : next.value;
    } catch (error) {
      if (error instanceof Error && error.message.startsWith("No watch event")) throw error;
      return null; // the connection broke: the stream ended
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes the stream. */
  close(): void {
    this.#controller.abort();
  }
}

/** A `rafter` client command running as its own process, its stderr kept. */
export class RafterProcess {
  readonly child: Deno.ChildProcess;
  readonly #stderr: Promise<string>;

  /** Starts `main.ts args...` with `env` beside `NO_COLOR`. */
  constructor(args: string[], env: Record<string, string>) {
    this.child = new Deno.Command(Deno.execPath(), {
      args: ["run", ...PERMISSIONS, MAIN, ...args],
      env: { NO_COLOR: "1", ...env },
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    this.#stderr = new Response(this.child.stderr).text();
  }

  /**
   * Sends `signal` unless the process already exited, and SIGKILL if it has not exited
   * within `graceMs`; answers its status and its stderr (what arrived within `graceMs` more,
   * since a command it started and left behind may hold the stream open).
   */
  async stop(
    signal: Deno.Signal,
    graceMs = 10_000,
  ): Promise<{ status: Deno.CommandStatus; stderr: string }> {
    this.#kill(signal);
    if (await within(this.child.status, graceMs) === null) this.#kill("SIGKILL");
    const status = await this.child.status;
    return { status, stderr: await within(this.#stderr, graceMs) ?? "(stderr still open)" };
  }

  #kill(signal: Deno.Signal): void {
    try {
      this.child.kill(signal);
    } catch {
      // Already exited.
    }
  }
}

/** `promise`'s value, or null when it has not settled within `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), ms));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
