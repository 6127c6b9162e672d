/**
 * The client's settings: what a caller may pass, the defaults, and their validation.
 *
 * @module
 */

/** Settings of a {@link RafterClient}; only `endpoints` is required. */
export interface ClientOptions {
  /** HTTP addresses of some nodes: `http://host:port`, `https://host:port` or `host:port`. */
  endpoints: readonly string[];
  /** Bearer token sent with every request. */
  token?: string;
  /** PEM certificates to trust for `https` endpoints, beside the system's. */
  caCerts?: readonly string[];
  /** Longest a call may take, retries included, in milliseconds (10000). */
  timeoutMs?: number;
  /** First backoff between attempts, in milliseconds (25); doubles per attempt. */
  backoffBaseMs?: number;
  /** Longest backoff between attempts, in milliseconds (1000). */
  backoffMaxMs?: number;
  /** How requests are sent (the global `fetch`). */
  fetch?: typeof fetch;
  /** Source of jitter in `[0, 1)` (`Math.random`). */
  random?: () => number;
}

/** {@link ClientOptions} with every default filled in and the endpoints as origins. */
export interface ResolvedOptions {
  endpoints: readonly string[];
  token: string;
  caCerts: readonly string[];
  timeoutMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  fetch: typeof fetch;
  random: () => number;
}

/**
 * The defaults of {@link ClientOptions}.
 *
 * @example
 * ```ts
 * import { CLIENT_DEFAULTS } from "./options.ts";
 * if (CLIENT_DEFAULTS.timeoutMs !== 10_000) throw new Error();
 * ```
 */
export const CLIENT_DEFAULTS = {
  timeoutMs: 10_000,
  backoffBaseMs: 25,
  backoffMaxMs: 1_000,
} as const;

/**
 * The origin (`scheme://host:port`) of an endpoint; a bare `host:port` means `http`.
 *
 * @example
 * ```ts
 * import { endpointOrigin } from "./options.ts";
 * if (endpointOrigin("127.0.0.1:8001") !== "http://127.0.0.1:8001") throw new Error();
 * if (endpointOrigin("https://a.example:8443/") !== "https://a.example:8443") throw new Error();
 * ```
 */
export function endpointOrigin(endpoint: string): string {
  const text = endpoint.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new TypeError(`Invalid endpoint "${endpoint}": expected http://host:port`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`Invalid endpoint "${endpoint}": the scheme must be http or https`);
  }
  if (url.pathname !== "/" || url.search !== "" || url.hash !== "" || url.username !== "") {
    throw new TypeError(`Invalid endpoint "${endpoint}": expected only scheme, host and port`);
  }
  return url.origin;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`Option "${name}" must be a positive integer, got "${value}"`);
  }
  return value;
}

/**
 * Validates `options` and fills in the defaults; throws `TypeError` or `RangeError` naming
 * the bad value.
 *
 * @example
 * ```ts
 * import { resolveOptions } from "./options.ts";
 * const options = resolveOptions({ endpoints: ["localhost:8001"] });
 * if (options.endpoints[0] !== "http://localhost:8001" || options.timeoutMs !== 10000) {
 *   throw new Error();
 * }
 * ```
 */
export function resolveOptions(options: ClientOptions): ResolvedOptions {
  if (!Array.isArray(options.endpoints) || options.endpoints.length === 0) {
    throw new TypeError('Option "endpoints" must list at least one endpoint');
  }
  const endpoints = [...new Set(options.endpoints.map(endpointOrigin))];
  const backoffBaseMs = positive(
    "backoffBaseMs",
    options.backoffBaseMs,
    CLIENT_DEFAULTS.backoffBaseMs,
  );
  const backoffMaxMs = positive("backoffMaxMs", options.backoffMaxMs, CLIENT_DEFAULTS.backoffMaxMs);
  if (backoffMaxMs < backoffBaseMs) {
    throw new RangeError(
      `Option "backoffMaxMs" ("${backoffMaxMs}") must be at least "backoffBaseMs" ("${backoffBaseMs}")`,
    );
  }
  return {
    endpoints,
    token: options.token ?? "",
    caCerts: options.caCerts ?? [],
    timeoutMs: positive("timeoutMs", options.timeoutMs, CLIENT_DEFAULTS.timeoutMs),
    backoffBaseMs,
    backoffMaxMs,
    fetch: options.fetch ?? ((input, init) => fetch(input, init)),
    random: options.random ?? Math.random,
  };
}
