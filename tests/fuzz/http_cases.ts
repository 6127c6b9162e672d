/**
 * Seeded HTTP requests for every route the app declares (`declaredRoutes`):
 * a route is picked, then its method (now and then another), its path
 * parameters, query and body are drawn from a valid example or from the
 * vocabulary of fields rafter's routes read, and mutated: fields dropped,
 * added or retyped, numbers out of range, keys too long or outside the
 * caller's prefix, bodies cut, not JSON, not UTF-8 or too large, and
 * credentials missing, wrong or another user's. The admin's token goes only
 * to routes that touch no key, and never with a value naming a member, so a
 * run cannot remove a member or change the keys the model checks.
 *
 * @module
 */

import type { Rng } from "../../src/raft/rng.ts";
import { bytes, pick } from "./frames.ts";

/** What the generator draws on. */
export interface HttpTarget {
  /** Every declared route: method and Hono path (`/store/:key`, `/kv/*`). */
  routes: readonly { method: string; path: string }[];
  /** Token of a user who reads and writes under `fuzz/` only; null with auth off. */
  userToken: string | null;
  /** Token of the admin; null with auth off. */
  adminToken: string | null;
  /** Values an admin's request must never carry: member ids and addresses. */
  protected: ReadonlySet<string>;
}

/** One request. */
export interface HttpCase {
  method: string;
  /** Path and query. */
  path: string;
  headers: Record<string, string>;
  body: Uint8Array | null;
  /** The declared route it was drawn from (`POST /key`). */
  route: string;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Routes an admin may be fuzzed on: membership, status and backups, never a
 * key (and not `/transfer-leader`, which a run must not bounce around).
 */
const ADMIN_PATHS = new Set([
  "/snapshot",
  "/join",
  "/remove",
  "/raft/join",
  "/raft/remove",
  "/raft/stats",
  "/status",
  "/status/events",
  "/metrics",
]);
const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"];
const QUERY_NAMES = [
  "key",
  "prefix",
  "level",
  "prevIndex",
  "after",
  "limit",
  "keysOnly",
  "id",
  "fromIndex",
  "noleader",
  "all",
  "prevValue",
  "access_token",
  "addr",
  "httpAddr",
  "nodeid",
  "nodeaddr",
  "peerAddress",
];
const BODY_NAMES = [
  "key",
  "value",
  "prevIndex",
  "lease",
  "ttlMs",
  "id",
  "addr",
  "httpAddr",
  "action",
  "compare",
  "success",
  "failure",
  "node_id",
  "raft_address",
  "nodeid",
  "nodeaddr",
  "peerAddress",
];
const MAX_BYTES_VALUE = 1024 * 1024;
/**
 * Longest query value: up to four of them stay below the 64 KiB URL that
 * Deno's `fetch` refuses to send (larger bodies, not URLs, test the limits).
 */
const QUERY_VALUE_CHARS_MAX = 12_000;

function token(rng: Rng): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-_./";
  return Array.from({ length: 1 + rng.int(12) }, () => alphabet[rng.int(alphabet.length)]).join("");
}

/** A key: mostly under `fuzz/`, sometimes outside it, empty, too long or strange. */
function keyOf(rng: Rng): string {
  const roll = rng.int(20);
  if (roll < 14) return `fuzz/${token(rng)}`;
  if (roll === 14) return `model/${token(rng)}`;
  if (roll === 15) return "";
  if (roll === 16) return `fuzz/${"k".repeat(4096)}`;
  if (roll === 17) return `fuzz/\u0000\u00e9\u{1f600}\ud800`;
  if (roll === 18) return "fuzz/";
  return token(rng);
}

/** A value: short text mostly; now and then a large one, or one just past the limit. */
function valueOf(rng: Rng): string {
  const roll = rng.int(2000);
  if (roll === 0) return "v".repeat(MAX_BYTES_VALUE + 1);
  if (roll === 1) return "v".repeat(rng.int(MAX_BYTES_VALUE));
  return token(rng);
}

function numberOf(rng: Rng): number | string {
  return pick(rng, [0, 1, 2, rng.int(100), -1, 1.5, 2 ** 53, 1e300, "7", "x", "", "NaN"]);
}

function addrOf(rng: Rng): string {
  return pick(rng, [`127.0.0.1:${1 + rng.int(65535)}`, "127.0.0.1", ":0", "x:y", token(rng)]);
}

/** A value for field `name`, well-typed or not. */
function fieldValue(rng: Rng, name: string, depth = 0): Json {
  const roll = rng.int(10);
  if (roll === 0) return randomJson(rng, depth + 1);
  if (["key", "prefix", "after", "nodeid", "node_id"].includes(name)) return keyOf(rng);
  if (name === "value") return valueOf(rng);
  if (["addr", "httpAddr", "raft_address", "nodeaddr", "peerAddress"].includes(name)) {
    return addrOf(rng);
  }
  if (name === "id" || name === "lease") return rng.int(2) === 0 ? numberOf(rng) : token(rng);
  if (name === "action") return pick(rng, ["set", "delete", "", "drop"]);
  if (["compare", "success", "failure"].includes(name)) return txnList(rng, depth);
  if (name === "level") return pick(rng, ["stale", "default", "consistent", "", "LINEAR"]);
  return numberOf(rng);
}

function randomJson(rng: Rng, depth: number): Json {
  const roll = rng.int(depth > 2 ? 5 : 7);
  if (roll === 0) return null;
  if (roll === 1) return rng.int(2) === 0;
  if (roll === 2) return numberOf(rng);
  if (roll === 3 || roll === 4) return token(rng);
  if (roll === 5) return Array.from({ length: rng.int(4) }, () => randomJson(rng, depth + 1));
  return randomObject(rng, depth + 1);
}

function randomObject(rng: Rng, depth: number): { [key: string]: Json } {
  const out: { [key: string]: Json } = {};
  for (let n = rng.int(4); n > 0; n--) {
    const name = pick(rng, BODY_NAMES);
    out[name] = fieldValue(rng, name, depth);
  }
  return out;
}

/** A transaction branch (or compare list) of plausible and implausible operations. */
function txnList(rng: Rng, depth: number): Json {
  if (depth > 2) return [];
  return Array.from({ length: rng.int(5) }, () => {
    const op = pick(rng, ["put", "delete", "get", "deletePrefix", "bogus"]);
    if (rng.int(3) === 0) {
      return { key: keyOf(rng), [pick(rng, ["modIndex", "value", "exists"])]: numberOf(rng) };
    }
    const fields = op === "deletePrefix" ? { prefix: keyOf(rng) } : { key: keyOf(rng) };
    return { [op]: op === "put" ? { ...fields, value: valueOf(rng) } : fields };
  });
}

/** A valid-looking body for `path`, before mutation. */
function exampleBody(rng: Rng, path: string): { [key: string]: Json } {
  const key = keyOf(rng);
  const examples: Record<string, () => { [key: string]: Json }> = {
    "/key": () => ({ key, value: valueOf(rng), ...(rng.int(3) === 0 ? { prevIndex: 0 } : {}) }),
    "/txn": () => ({ compare: txnList(rng, 0), success: txnList(rng, 0), failure: [] }),
    "/lease": () => ({ ttlMs: pick(rng, [1000, 5000, 60_000, 1]) }),
    "/lease/keepalive": () => ({ id: 1 + rng.int(50) }),
    "/join": () => ({ id: token(rng), addr: addrOf(rng), httpAddr: addrOf(rng) }),
    "/remove": () => ({ id: token(rng) }),
    "/set": () => ({ key, value: valueOf(rng), action: pick(rng, ["set", "delete"]) }),
    "/store": () => ({ key, value: valueOf(rng) }),
    "/raft/join": () => ({ node_id: token(rng), raft_address: addrOf(rng) }),
    "/raft/remove": () => ({ node_id: token(rng) }),
    "/put": () => ({ key, value: valueOf(rng) }),
    "/delete": () => ({ key }),
  };
  return (examples[path] ?? (() => randomObject(rng, 0)))();
}

/** Drops, adds or retypes fields of `body`. */
function mutateObject(rng: Rng, body: { [key: string]: Json }): { [key: string]: Json } {
  const out = { ...body };
  for (let n = rng.int(3); n > 0; n--) {
    const names = Object.keys(out);
    const roll = rng.int(3);
    if (roll === 0 && names.length > 0) delete out[pick(rng, names)];
    else if (roll === 1) out[pick(rng, BODY_NAMES)] = randomJson(rng, 1);
    else {
      const name = pick(rng, BODY_NAMES);
      out[name] = fieldValue(rng, name);
    }
  }
  return out;
}

/** The body bytes: JSON mostly, mutated or not; sometimes not JSON, not UTF-8 or too large. */
function bodyOf(rng: Rng, path: string): Uint8Array {
  const roll = rng.int(40);
  if (roll === 0) return bytes(rng, rng.int(200));
  if (roll === 1) return Uint8Array.of(0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d);
  if (roll === 2) return new Uint8Array(0);
  if (roll === 3) return new TextEncoder().encode(JSON.stringify(randomJson(rng, 0)));
  if (roll === 4) return new TextEncoder().encode("[".repeat(1 + rng.int(5000)));
  if (rng.int(5000) === 0) return new Uint8Array(1536 * 1024 + 1);
  const base = exampleBody(rng, path);
  const text = JSON.stringify(rng.int(2) === 0 ? base : mutateObject(rng, base));
  if (rng.int(10) > 0) return new TextEncoder().encode(text);
  const cut = rng.int(text.length + 1);
  return new TextEncoder().encode(text.slice(0, cut) + pick(rng, ["", "}", "\\", '"', ","]));
}

function queryOf(rng: Rng): URLSearchParams {
  const query = new URLSearchParams();
  for (let n = rng.int(5); n > 0; n--) {
    const name = rng.int(15) === 0 ? token(rng) : pick(rng, QUERY_NAMES);
    const value = fieldValue(rng, name);
    const text = typeof value === "string" ? value : JSON.stringify(value);
    query.append(name, text.slice(0, QUERY_VALUE_CHARS_MAX));
  }
  return query;
}

/** `text` percent-encoded; a lone surrogate (which cannot be) becomes its replacement character. */
function encoded(text: string): string {
  return encodeURIComponent(text.toWellFormed());
}

/** The path with its parameters filled in, sometimes oddly. */
function pathOf(rng: Rng, path: string): string {
  const segment = () => pick(rng, [encoded(keyOf(rng)), token(rng), "%", "%zz", "%00", "..", ""]);
  let out = path.replace(/:[a-z]+/g, segment).replace("*", () => encoded(keyOf(rng)));
  if (rng.int(30) === 0) out += pick(rng, ["/", "//x", "/..", "?"]);
  return out;
}

function credentialsOf(rng: Rng, target: HttpTarget, admin: boolean): Record<string, string> {
  if (target.userToken === null) return {};
  if (admin) return { authorization: `Bearer ${target.adminToken}` };
  const roll = rng.int(20);
  if (roll < 14) return { authorization: `Bearer ${target.userToken}` };
  if (roll === 14) return {};
  if (roll === 15) return { authorization: `Basic ${btoa(`admin:${target.userToken}`)}` };
  if (roll === 16) return { authorization: pick(rng, ["Bearer", "Basic %%%", "Digest x"]) };
  if (roll === 17) return { authorization: `Bearer ${token(rng)}` };
  return { authorization: `Basic ${btoa(`fuzz:${target.userToken}`)}` };
}

/** True when any query value, path segment or JSON string of the case names a protected value. */
function namesProtected(c: HttpCase, target: HttpTarget): boolean {
  const url = new URL(c.path, "http://x");
  for (const value of url.searchParams.values()) if (target.protected.has(value)) return true;
  const decoded = (part: string) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part;
    }
  };
  if (url.pathname.split("/").some((part) => target.protected.has(decoded(part)))) return true;
  let found = false;
  try {
    JSON.parse(new TextDecoder().decode(c.body ?? new Uint8Array()), (_, value) => {
      if (typeof value === "string" && target.protected.has(value)) found = true;
      return value;
    });
  } catch {
    // Not JSON: nothing a handler could read a member's id from.
  }
  return found;
}

function extraHeaders(rng: Rng): Record<string, string> {
  const headers: Record<string, string> = {};
  if (rng.int(4) === 0) {
    headers["content-type"] = pick(rng, ["application/json", "text/plain", "x/y", ""]);
  }
  if (rng.int(15) === 0) headers["if-match"] = pick(rng, ['"3"', "*", "W/x", '"x"']);
  if (rng.int(15) === 0) headers["if-none-match"] = pick(rng, ["*", '"1"', "zz"]);
  if (rng.int(15) === 0) headers["last-event-id"] = String(numberOf(rng));
  if (rng.int(30) === 0) headers.origin = pick(rng, ["http://evil.example", "null"]);
  return headers;
}

/** The case drawn by `rng` against `target`. */
export function httpCase(rng: Rng, target: HttpTarget): HttpCase {
  const route = pick(rng, target.routes);
  const method = rng.int(8) === 0 ? pick(rng, METHODS) : route.method;
  const query = queryOf(rng);
  const search = query.size === 0 ? "" : `?${query}`;
  const body = method === "GET" || method === "HEAD"
    ? null
    : route.path.startsWith("/kv/") && rng.int(2) === 0
    ? bytes(rng, rng.int(300))
    : bodyOf(rng, route.path);
  const wantsAdmin = ADMIN_PATHS.has(route.path) && rng.int(2) === 0;
  const c: HttpCase = {
    method,
    path: `${pathOf(rng, route.path)}${search}`,
    headers: { ...extraHeaders(rng) },
    body,
    route: `${route.method} ${route.path}`,
  };
  const admin = wantsAdmin && target.adminToken !== null && !namesProtected(c, target);
  c.headers = { ...c.headers, ...credentialsOf(rng, target, admin) };
  return c;
}
