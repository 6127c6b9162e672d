/**
 * The client's typed errors, and the one place where an HTTP answer becomes one of them.
 *
 * @module
 */

import type { KvRecord } from "../api.ts";

/**
 * Any failure the client reports: `status` is the HTTP status that caused it, or 0 when no
 * answer arrived.
 *
 * @example
 * ```ts
 * import { NotFoundError, RafterError } from "./errors.ts";
 * const error = new NotFoundError(`Key "a" not found`);
 * if (!(error instanceof RafterError) || error.status !== 404) throw new Error();
 * ```
 */
export class RafterError extends Error {
  /** The HTTP status of the answer, 0 when there was none. */
  readonly status: number;
  /**
   * @param message what failed, in sentence case
   * @param status the HTTP status, 0 when there was no answer
   * @param options the underlying cause, if any
   */
  constructor(message: string, status: number, options?: ErrorOptions) {
    super(message, options);
    this.name = "RafterError";
    this.status = status;
  }
}

/**
 * The key (or lease, or route) does not exist: HTTP 404.
 *
 * @example
 * ```ts
 * import { NotFoundError } from "./errors.ts";
 * if (new NotFoundError(`Key "a" not found`).name !== "NotFoundError") throw new Error();
 * ```
 */
export class NotFoundError extends RafterError {
  /** @param message the server's message */
  constructor(message: string) {
    super(message, 404);
    this.name = "NotFoundError";
  }
}

/**
 * A compare-and-swap or a conditional delete found another version: HTTP 412. `current` is
 * the record as it is now, or null when the key does not exist.
 *
 * @example
 * ```ts
 * import { PreconditionFailedError } from "./errors.ts";
 * const error = new PreconditionFailedError("Compare failed", null);
 * if (error.current !== null || error.status !== 412) throw new Error();
 * ```
 */
export class PreconditionFailedError extends RafterError {
  /** The key's current record, or null when it does not exist. */
  readonly current: KvRecord | null;
  /** @param message the server's message @param current the current record */
  constructor(message: string, current: KvRecord | null) {
    super(message, 412);
    this.name = "PreconditionFailedError";
    this.current = current;
  }
}

/**
 * No token, or a token the server does not accept: HTTP 401.
 *
 * @example
 * ```ts
 * import { UnauthorizedError } from "./errors.ts";
 * if (new UnauthorizedError("Missing token").status !== 401) throw new Error();
 * ```
 */
export class UnauthorizedError extends RafterError {
  /** @param message the server's message */
  constructor(message: string) {
    super(message, 401);
    this.name = "UnauthorizedError";
  }
}

/**
 * The token is valid but lacks the permission: HTTP 403.
 *
 * @example
 * ```ts
 * import { ForbiddenError } from "./errors.ts";
 * if (new ForbiddenError("Read only").status !== 403) throw new Error();
 * ```
 */
export class ForbiddenError extends RafterError {
  /** @param message the server's message */
  constructor(message: string) {
    super(message, 403);
    this.name = "ForbiddenError";
  }
}

/**
 * The server refused the request as malformed or too large: HTTP 400 or 413.
 *
 * @example
 * ```ts
 * import { BadRequestError } from "./errors.ts";
 * if (new BadRequestError("Missing field", 400).name !== "BadRequestError") throw new Error();
 * ```
 */
export class BadRequestError extends RafterError {
  /** @param message the server's message @param status 400 or 413 */
  constructor(message: string, status: number) {
    super(message, status);
    this.name = "BadRequestError";
  }
}

/**
 * No node could serve the call before its deadline (no leader, no quorum, every endpoint
 * down), and nothing was changed by it. `status` is 503 or 0.
 *
 * @example
 * ```ts
 * import { UnavailableError } from "./errors.ts";
 * if (new UnavailableError("No leader is known", 503).status !== 503) throw new Error();
 * ```
 */
export class UnavailableError extends RafterError {
  /**
   * @param message why, with the last failure
   * @param status 503, or 0 when no node answered
   * @param options the underlying cause, if any
   */
  constructor(message: string, status: number, options?: ErrorOptions) {
    super(message, status, options);
    this.name = "UnavailableError";
  }
}

/**
 * A write that may or may not have taken effect: it reached a node, then the answer was
 * lost (connection dropped, timeout, leadership lost). Read before retrying it.
 *
 * @example
 * ```ts
 * import { IndeterminateError } from "./errors.ts";
 * const error = new IndeterminateError("Lost the connection", 0);
 * if (error.name !== "IndeterminateError") throw new Error();
 * ```
 */
export class IndeterminateError extends RafterError {
  /**
   * @param message what happened to the write
   * @param status 503, or 0 when no answer arrived
   * @param options the underlying cause, if any
   */
  constructor(message: string, status: number, options?: ErrorOptions) {
    super(message, status, options);
    this.name = "IndeterminateError";
  }
}

/**
 * A watch cannot resume: the changes it asked for are older than the server's history
 * (HTTP 410). `compactedIndex` is the highest index no longer served.
 *
 * @example
 * ```ts
 * import { CompactedError } from "./errors.ts";
 * const error = new CompactedError("Compacted", 10, 50);
 * if (error.compactedIndex !== 10 || error.currentIndex !== 50) throw new Error();
 * ```
 */
export class CompactedError extends RafterError {
  /** The highest index the server's history can no longer serve. */
  readonly compactedIndex: number;
  /** The server's latest index. */
  readonly currentIndex: number;
  /**
   * @param message the server's message
   * @param compactedIndex the highest index no longer served
   * @param currentIndex the latest index
   */
  constructor(message: string, compactedIndex: number, currentIndex: number) {
    super(message, 410);
    this.name = "CompactedError";
    this.compactedIndex = compactedIndex;
    this.currentIndex = currentIndex;
  }
}

/** The parsed body of an error answer; every field optional. */
export type ErrorBody = Record<string, unknown>;

function numberField(body: ErrorBody, name: string): number {
  const value = body[name];
  return typeof value === "number" ? value : 0;
}

function currentRecord(body: ErrorBody): KvRecord | null {
  const current = body.current;
  return typeof current === "object" && current !== null ? current as KvRecord : null;
}

/**
 * The typed error for a non-2xx answer other than 307 and 503 (which the request loop
 * handles): `body` is the parsed JSON, `{}` when it was not JSON.
 *
 * @example
 * ```ts
 * import { errorFromAnswer, NotFoundError } from "./errors.ts";
 * const error = errorFromAnswer(404, { error: `Key "a" not found` });
 * if (!(error instanceof NotFoundError) || error.message !== `Key "a" not found`) throw new Error();
 * ```
 */
export function errorFromAnswer(status: number, body: ErrorBody): RafterError {
  const message = typeof body.error === "string" ? body.error : `Server answered ${status}`;
  switch (status) {
    case 400:
    case 413:
      return new BadRequestError(message, status);
    case 401:
      return new UnauthorizedError(message);
    case 403:
      return new ForbiddenError(message);
    case 404:
      return new NotFoundError(message);
    case 410:
      return new CompactedError(
        message,
        numberField(body, "compactedIndex"),
        numberField(body, "currentIndex"),
      );
    case 412:
      return new PreconditionFailedError(message, currentRecord(body));
    case 503:
      return new UnavailableError(message, status);
    default:
      return new RafterError(message, status);
  }
}
