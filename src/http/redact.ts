/**
 * What of a request URL may reach the log: never the query of `/watch`
 * (it may carry `access_token`), and never an `access_token` anywhere.
 *
 * @module
 */

import { ACCESS_TOKEN_PARAM } from "../auth/credentials.ts";

/** Paths whose query strings are never logged. */
const QUERY_NEVER_LOGGED = ["/watch"];

/**
 * The URL of `request` as it may be logged.
 *
 * @example
 * ```ts
 * import { loggedUrl } from "./redact.ts";
 * if (loggedUrl(new Request("http://h/watch?prefix=a&access_token=t")) !== "http://h/watch") throw new Error();
 * if (loggedUrl(new Request("http://h/key?key=k&access_token=t")) !== "http://h/key?key=k&access_token=redacted") throw new Error();
 * ```
 */
export function loggedUrl(request: Request): string {
  const url = new URL(request.url);
  const path = url.pathname.replace(/\/+$/, "");
  if (QUERY_NEVER_LOGGED.some((p) => path === p || path.startsWith(`${p}/`))) {
    return `${url.origin}${url.pathname}`;
  }
  if (url.searchParams.has(ACCESS_TOKEN_PARAM)) {
    url.searchParams.set(ACCESS_TOKEN_PARAM, "redacted");
  }
  return url.href;
}
