/**
 * The client's request loop: which node a call goes to (the cached leader or the current
 * endpoint), redirects followed by the client itself so no header is lost, failover with
 * jittered backoff, and the rule that decides whether a failed call may be sent again.
 *
 * @module
 */

import { backoffMs, sleep } from "./backoff.ts";
import { type Deadline, Deadlines } from "./deadline.ts";
import {
  type ErrorBody,
  errorFromAnswer,
  IndeterminateError,
  RafterError,
  UnavailableError,
} from "./errors.ts";
import type { ResolvedOptions } from "./options.ts";

/**
 * Whether a failed call may be sent again: `always` for reads and other calls that change
 * nothing (or change it idempotently), `unsent` for writes, which are sent again only when
 * they certainly did not take effect.
 */
export type Retry = "always" | "unsent";

/** `leader` for calls only the leader serves; `any` for calls every node serves. */
export type Target = "leader" | "any";

/** One API call, before it is sent. */
export interface Call {
  method: "GET" | "POST" | "PUT" | "DELETE";
  path: string;
  /** Query parameters; undefined ones are left out. */
  query?: Record<string, string | undefined>;
  /** Sent as JSON when present. */
  body?: unknown;
  target: Target;
  retry: Retry;
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
  /** Send to this origin only, without failover (one node's status). */
  origin?: string;
}

/** A 2xx answer: its body as text, or unread for streams, and the node that gave it. */
export interface Answer {
  response: Response;
  text: string;
  origin: string;
}

/** Redirects followed in a row before the call backs off and starts over. */
const REDIRECTS_MAX = 8;
/** Attempts of one call at most; the deadline usually ends it first. */
const ATTEMPTS_MAX = 1_000;
/** How fetch reports that no connection was made, so nothing was sent. */
const NOT_CONNECTED = /client error \(Connect\)|Requests to port \d+ are blocked|os error 111/;

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message;
}

function parseBody(text: string): ErrorBody {
  try {
    const body = JSON.parse(text);
    return typeof body === "object" && body !== null ? body as ErrorBody : {};
  } catch {
    return text === "" ? {} : { error: text.slice(0, 200) };
  }
}

function withQuery(origin: string, call: Call): string {
  let url = origin + call.path;
  let separator = "?";
  for (const name in call.query) {
    const value = call.query[name];
    if (value === undefined) continue;
    url += `${separator}${name}=${encodeURIComponent(value)}`;
    separator = "&";
  }
  return url;
}

/**
 * Sends calls to the cluster; one per client, shared by every call.
 *
 * @example
 * ```ts
 * import { Transport } from "./transport.ts";
 * import { resolveOptions } from "./options.ts";
 * const fetch = () => Promise.resolve(Response.json({ id: "n1" }));
 * const transport = new Transport(resolveOptions({ endpoints: ["127.0.0.1:8001"], fetch }));
 * const status = await transport.json<{ id: string }>({
 *   method: "GET",
 *   path: "/status",
 *   target: "any",
 *   retry: "always",
 * });
 * if (status.id !== "n1") throw new Error();
 * transport.close();
 * ```
 */
export class Transport {
  readonly #options: ResolvedOptions;
  readonly #httpClient: Deno.HttpClient | null;
  readonly #deadlines: Deadlines;
  /** The `authorization` header, or nothing without a token. */
  readonly #authorization: Record<string, string>;
  #leader: string | null = null;
  #index: number;

  /** @param options the resolved client options */
  constructor(options: ResolvedOptions) {
    this.#options = options;
    this.#index = Math.floor(options.random() * options.endpoints.length);
    this.#deadlines = new Deadlines(options.timeoutMs);
    this.#authorization = options.token === "" ? {} : { authorization: `Bearer ${options.token}` };
    this.#httpClient = options.caCerts.length === 0
      ? null
      : Deno.createHttpClient({ caCerts: [...options.caCerts] });
  }

  /** The cached leader's origin, or null when unknown. */
  get leader(): string | null {
    return this.#leader;
  }

  /** The longest a call may take, in milliseconds. */
  get timeoutMs(): number {
    return this.#options.timeoutMs;
  }

  /** Caches `origin` as the leader's (learned from `/status`); `""` forgets it. */
  noteLeader(origin: string): void {
    this.#leader = origin === "" ? null : origin;
  }

  /** The origin a call to `target` goes to now. */
  origin(target: Target): string {
    const endpoint = this.#options.endpoints[this.#index]!;
    return target === "leader" ? this.#leader ?? endpoint : endpoint;
  }

  /** Sends `call` and answers its parsed JSON body. */
  async json<T>(call: Call): Promise<T> {
    const deadline = this.#deadlines.start(call.signal, false);
    try {
      const answer = await this.#exchange(call, deadline, false);
      if (answer.text === "") return {} as T;
      try {
        return JSON.parse(answer.text) as T;
      } catch {
        const status = answer.response.status;
        const text = answer.text.slice(0, 100);
        throw new RafterError(`Answer from "${answer.origin}" is not JSON: "${text}"`, status);
      }
    } finally {
      deadline.release();
    }
  }

  /**
   * Sends `call` and answers the 2xx response with its body unread; the deadline covers
   * only the wait for the headers. The caller reads or cancels the body.
   */
  async open(call: Call): Promise<Answer> {
    const deadline = this.#deadlines.start(call.signal, true);
    try {
      return await this.#exchange(call, deadline, true);
    } finally {
      deadline.release();
    }
  }

  /** Releases the TLS client, if any, and the idle deadline timer. */
  close(): void {
    this.#deadlines.close();
    this.#httpClient?.close();
  }

  async #exchange(call: Call, deadline: Deadline, stream: boolean): Promise<Answer> {
    let origin = call.origin ?? this.origin(call.target);
    let redirects = 0;
    let last = "no attempt made";
    let lastStatus = 0;
    for (let attempt = 0, retry = 0; attempt < ATTEMPTS_MAX; attempt++) {
      let answer: Answer;
      try {
        answer = await this.#attempt(origin, call, deadline, stream);
      } catch (error) {
        last = this.#failure(error, origin, call, deadline);
        lastStatus = 0;
        origin = this.#failover(origin, call);
        await this.#pause(retry++, deadline, call, last, lastStatus);
        continue;
      }
      const status = answer.response.status;
      if (status === 307 || status === 308) {
        const next = this.#redirect(answer, origin);
        if (next !== null && ++redirects <= REDIRECTS_MAX) {
          origin = next;
          continue;
        }
        last = `"${origin}" redirected ${redirects} times in a row`;
        lastStatus = status;
        redirects = 0;
      } else if (status === 503) {
        last = this.#unavailable(answer, call);
        lastStatus = status;
      } else if (answer.response.ok) {
        if (call.target === "leader") this.#leader = origin;
        return answer;
      } else {
        throw errorFromAnswer(status, parseBody(answer.text));
      }
      origin = this.#failover(origin, call);
      await this.#pause(retry++, deadline, call, last, lastStatus);
    }
    throw new UnavailableError(`Gave up after ${ATTEMPTS_MAX} attempts: ${last}`, lastStatus);
  }

  async #attempt(
    origin: string,
    call: Call,
    deadline: Deadline,
    stream: boolean,
  ): Promise<Answer> {
    const init: RequestInit & { client?: Deno.HttpClient } = {
      method: call.method,
      redirect: "manual",
      signal: deadline.signal,
    };
    const headers: Record<string, string> = { ...call.headers, ...this.#authorization };
    if (call.body !== undefined) {
      headers["content-type"] = "application/json";
      init.body = JSON.stringify(call.body);
    }
    init.headers = headers;
    if (this.#httpClient !== null) init.client = this.#httpClient;
    const response = await this.#options.fetch(withQuery(origin, call), init);
    if (stream && response.ok) return { response, text: "", origin };
    return { response, text: await response.text(), origin };
  }

  /** Decides after a thrown attempt: throws when the call must not be sent again. */
  #failure(error: unknown, origin: string, call: Call, deadline: Deadline): string {
    if (call.signal?.aborted) throw call.signal.reason;
    const reason = `"${origin}": ${errorText(error)}`;
    if (deadline.passed) {
      const message = `No answer within ${this.#options.timeoutMs} ms from ${reason}`;
      if (call.retry === "always") throw new UnavailableError(message, 0, { cause: error });
      throw new IndeterminateError(`${message}; the write may have taken effect`, 0, {
        cause: error,
      });
    }
    const unsent = NOT_CONNECTED.test(errorText(error));
    if (!unsent && call.retry === "unsent") {
      throw new IndeterminateError(
        `Lost the answer from ${reason}; the write may have taken effect`,
        0,
        { cause: error },
      );
    }
    return reason;
  }

  /** The origin a 307 points to, keeping `https` when the client used it; null if none. */
  #redirect(answer: Answer, origin: string): string | null {
    const location = answer.response.headers.get("location");
    if (location === null) return null;
    let url: URL;
    try {
      url = new URL(location, origin);
    } catch {
      return null;
    }
    // A redirect must never downgrade the connection that carries the token.
    const scheme = origin.startsWith("https:") ? "https:" : url.protocol;
    const next = `${scheme}//${url.host}`;
    this.#leader = next;
    return next;
  }

  /** Decides after a 503: throws when a write may have been proposed. */
  #unavailable(answer: Answer, call: Call): string {
    const body = parseBody(answer.text);
    const message = typeof body.error === "string" ? body.error : "Service unavailable";
    if (call.retry === "unsent" && body.indeterminate !== false) {
      throw new IndeterminateError(`${message}; the write may have taken effect`, 503);
    }
    return `"${answer.origin}": ${message}`;
  }

  /** Moves away from `origin` after it failed; answers where to go next. */
  #failover(origin: string, call: Call): string {
    if (call.origin !== undefined) return call.origin;
    if (origin === this.#leader) this.#leader = null;
    const endpoints = this.#options.endpoints;
    if (origin === endpoints[this.#index]) this.#index = (this.#index + 1) % endpoints.length;
    return this.origin(call.target);
  }

  async #pause(
    retry: number,
    deadline: Deadline,
    call: Call,
    last: string,
    lastStatus: number,
  ): Promise<void> {
    const { backoffBaseMs, backoffMaxMs, random, timeoutMs } = this.#options;
    try {
      await sleep(backoffMs(retry, backoffBaseMs, backoffMaxMs, random), deadline.signal);
    } catch (error) {
      if (call.signal?.aborted) throw call.signal.reason;
      throw new UnavailableError(
        `No node could serve the call within ${timeoutMs} ms; last: ${last}`,
        lastStatus,
        { cause: error },
      );
    }
  }
}
