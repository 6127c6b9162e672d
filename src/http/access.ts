/**
 * What each route asks of its caller, declared where the route is mounted
 * (see `routes.ts`): open, admin, metrics, or read and write rights on the
 * keys and prefixes the request names. The guard (`guard.ts`) enforces it.
 *
 * @module
 */

import type { Need } from "../auth/mod.ts";
import { badRequest, type Fields } from "./input.ts";

/** The parts of a request an access rule may look at. */
export interface AccessInput {
  /** The request itself (its body already read: use {@link AccessInput.body}). */
  request: Request;
  /** A query parameter; undefined when absent. */
  query(name: string): string | undefined;
  /** A path parameter (`/store/:key`); undefined when absent. */
  param(name: string): string | undefined;
  /** The body as a JSON object; throws a 400 when it is not one. */
  body(): Fields;
}

/** A route's access rule. */
export interface Access {
  /**
   * What a request needs: fixed, or computed from the request (may throw a
   * 400), possibly asking the node (the keys a lease holds).
   */
  readonly need: Need | ((input: AccessInput) => Need | Promise<Need>);
  /** The route changes state: with auth on, `GET` and `HEAD` on it answer 405. */
  readonly changes: boolean;
  /** Credentials may also come as `?access_token=` (browsers' `EventSource` sends no headers). */
  readonly queryToken: boolean;
  /**
   * A proof of the cluster secret over the body (`Rafter-Join-Proof`) stands
   * in for credentials: `/join`, so a node started with `--join` and the
   * secret joins without holding a token.
   */
  readonly joinProof?: boolean;
}

/** A key (or prefix) read from a request; throws a 400 when it is missing. */
export type KeyFrom = (input: AccessInput) => string;

/** Anyone may call: `/livez`, `/readyz`, `/ui`, the minimal `/status`. */
export const OPEN: Access = { need: {}, changes: false, queryToken: false };

/**
 * Only the admin: membership, snapshots, the full status. `changes` marks
 * routes that change the cluster (refused over `GET` with auth on).
 *
 * @example
 * ```ts
 * import { adminOnly } from "./access.ts";
 * if (!adminOnly({ changes: true }).changes) throw new Error();
 * ```
 */
export function adminOnly(options: { changes: boolean }): Access {
  return { need: { admin: true }, changes: options.changes, queryToken: false };
}

/**
 * `/join`: the admin, or a caller proving the cluster secret.
 *
 * @example
 * ```ts
 * import { adminOrJoinProof } from "./access.ts";
 * const access = adminOrJoinProof();
 * if (!access.changes || access.joinProof !== true) throw new Error();
 * ```
 */
export function adminOrJoinProof(): Access {
  return { need: { admin: true }, changes: true, queryToken: false, joinProof: true };
}

/** `/metrics`: the admin, or a caller with the metrics permission. */
export const METRICS: Access = { need: { metrics: true }, changes: false, queryToken: false };

/**
 * Reads one key, named by `key`.
 *
 * @example
 * ```ts
 * import { queryKey, readsKey } from "./access.ts";
 * const access = readsKey(queryKey("key"));
 * if (access.changes || typeof access.need !== "function") throw new Error();
 * ```
 */
export function readsKey(key: KeyFrom): Access {
  return { need: (input) => ({ readKeys: [key(input)] }), changes: false, queryToken: false };
}

/**
 * Reads every key under a prefix (scans; watches with `queryToken`).
 *
 * @example
 * ```ts
 * import { queryKey, readsPrefix } from "./access.ts";
 * if (!readsPrefix(queryKey("prefix"), { queryToken: true }).queryToken) throw new Error();
 * ```
 */
export function readsPrefix(prefix: KeyFrom, options: { queryToken?: boolean } = {}): Access {
  return {
    need: (input) => ({ readPrefixes: [prefix(input)] }),
    changes: false,
    queryToken: options.queryToken ?? false,
  };
}

/**
 * Writes (or deletes) one key, named by `key`.
 *
 * @example
 * ```ts
 * import { bodyKey, writesKey } from "./access.ts";
 * if (!writesKey(bodyKey("key")).changes) throw new Error();
 * ```
 */
export function writesKey(key: KeyFrom): Access {
  return { need: (input) => ({ writeKeys: [key(input)] }), changes: true, queryToken: false };
}

/**
 * Any other rule: `need` computed from the request (a transaction's keys,
 * a lease's), with `changes` saying whether it changes state.
 *
 * @example
 * ```ts
 * import { needs } from "./access.ts";
 * const txn = needs((input) => ({ writeKeys: [String(input.body().key)] }), { changes: true });
 * if (!txn.changes) throw new Error();
 * ```
 */
export function needs(
  need: (input: AccessInput) => Need | Promise<Need>,
  options: { changes: boolean; queryToken?: boolean },
): Access {
  return { need, changes: options.changes, queryToken: options.queryToken ?? false };
}

function present(value: unknown, name: string): string {
  if (value === undefined || value === null) throw badRequest(`Missing field "${name}"`);
  if (typeof value !== "string") throw badRequest(`Field "${name}" must be a string`);
  if (value === "") throw badRequest(`Field "${name}" must not be empty`);
  return value;
}

/**
 * The key in query parameter `name`.
 *
 * @example
 * ```ts
 * import { queryKey } from "./access.ts";
 * const input = { request: new Request("http://n/"), query: () => "k", param: () => undefined, body: () => ({}) };
 * if (queryKey("key")(input) !== "k") throw new Error();
 * ```
 */
export function queryKey(name: string): KeyFrom {
  return (input) => present(input.query(name), name);
}

/**
 * The prefix in query parameter `name`; absent means `""`, every key.
 *
 * @example
 * ```ts
 * import { queryPrefix } from "./access.ts";
 * const input = { request: new Request("http://n/"), query: () => undefined, param: () => undefined, body: () => ({}) };
 * if (queryPrefix("prefix")(input) !== "") throw new Error();
 * ```
 */
export function queryPrefix(name: string): KeyFrom {
  return (input) => input.query(name) ?? "";
}

/**
 * The key in path parameter `name`.
 *
 * @example
 * ```ts
 * import { paramKey } from "./access.ts";
 * const input = { request: new Request("http://n/"), query: () => undefined, param: () => "k", body: () => ({}) };
 * if (paramKey("key")(input) !== "k") throw new Error();
 * ```
 */
export function paramKey(name: string): KeyFrom {
  return (input) => present(input.param(name), name);
}

/**
 * The key in field `name` of the JSON body.
 *
 * @example
 * ```ts
 * import { bodyKey } from "./access.ts";
 * const input = { request: new Request("http://n/"), query: () => undefined, param: () => undefined, body: () => ({ key: "k" }) };
 * if (bodyKey("key")(input) !== "k") throw new Error();
 * ```
 */
export function bodyKey(name: string): KeyFrom {
  return (input) => present(input.body()[name], name);
}
