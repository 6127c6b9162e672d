/**
 * Credentials as clients send them: `Authorization: Bearer TOKEN`,
 * `Authorization: Basic base64(name:token)` (so `curl -u app:TOKEN` works),
 * or, where a route allows it, `?access_token=TOKEN`.
 *
 * @module
 */

/** What a request presents: a bare token, or a user name with its token. */
export type Credentials =
  | { scheme: "bearer"; token: string }
  | { scheme: "basic"; name: string; token: string };

/** Credentials that cannot be read (an unknown scheme, bad base64): the caller gets a 401. */
export class CredentialsError extends Error {
  /** @param message what is wrong with the credentials */
  constructor(message: string) {
    super(message);
    this.name = "CredentialsError";
  }
}

/** The query parameter a route may accept a token in. */
export const ACCESS_TOKEN_PARAM = "access_token";
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const decoder = new TextDecoder("utf-8", { fatal: true });

function basic(encoded: string): Credentials {
  let text: string;
  try {
    if (!BASE64.test(encoded)) throw new Error("not base64");
    text = decoder.decode(Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0)));
  } catch {
    throw new CredentialsError("Basic credentials are not base64 of UTF-8 name:token");
  }
  const colon = text.indexOf(":");
  if (colon < 0) throw new CredentialsError("Basic credentials must be name:token");
  return { scheme: "basic", name: text.slice(0, colon), token: text.slice(colon + 1) };
}

/**
 * Reads the `Authorization` header of `headers`, or when it is absent and
 * `queryToken` is set, the `access_token` parameter of `url`; null when
 * the request carries no credentials. Throws a {@link CredentialsError}
 * when they cannot be read.
 *
 * @example
 * ```ts
 * import { readCredentials } from "./credentials.ts";
 * const basic = readCredentials(new Headers({ authorization: `Basic ${btoa("app:t0k")}` }), "", false);
 * if (basic?.scheme !== "basic" || basic.name !== "app" || basic.token !== "t0k") throw new Error();
 * const query = readCredentials(new Headers(), "http://h/watch?access_token=t0k", true);
 * if (query?.scheme !== "bearer" || query.token !== "t0k") throw new Error();
 * ```
 */
export function readCredentials(
  headers: Headers,
  url: string,
  queryToken: boolean,
): Credentials | null {
  const header = headers.get("authorization");
  if (header === null) {
    if (!queryToken || !url.includes(`${ACCESS_TOKEN_PARAM}=`)) return null;
    const token = new URL(url).searchParams.get(ACCESS_TOKEN_PARAM);
    return token === null || token === "" ? null : { scheme: "bearer", token };
  }
  const space = header.indexOf(" ");
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const rest = space < 0 ? "" : header.slice(space + 1).trim();
  if (rest === "") throw new CredentialsError(`Authorization header "${scheme}" carries nothing`);
  if (scheme === "bearer") return { scheme: "bearer", token: rest };
  if (scheme === "basic") return basic(rest);
  throw new CredentialsError(
    `Authorization scheme "${scheme.slice(0, 32)}" is not supported: use Bearer or Basic`,
  );
}
