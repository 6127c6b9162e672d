/**
 * The fake cluster's routes: which requests only the leader serves, and how each one reads
 * its input and calls the fake store, following the documented protocol.
 *
 * @module
 */

import type { Compare, TxnOp } from "../../src/client/types.ts";
import { FakeRefusal, type FakeStore } from "./fake_store.ts";

/** One route: its name, whether followers redirect it, and what it answers. */
export interface FakeRoute {
  name: string;
  leaderOnly: boolean;
  serve(store: FakeStore, url: URL, request: Request): Promise<unknown> | unknown;
}

/** Keys per page at most. */
const PAGE_LIMIT_MAX = 10_000;
/** Keys per page when no limit is given. */
const PAGE_LIMIT_DEFAULT = 1_000;

function bad(error: string): FakeRefusal {
  return new FakeRefusal(400, { error });
}

function required(url: URL, name: string): string {
  const value = url.searchParams.get(name);
  if (value === null || value === "") throw bad(`Missing field "${name}"`);
  return value;
}

function optionalNumber(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < 0) throw bad(`Invalid "${name}": "${value}"`);
  return number;
}

async function body(request: Request): Promise<Record<string, unknown>> {
  try {
    return await request.json();
  } catch {
    throw bad("Request body is not valid JSON");
  }
}

function isLeaderRead(url: URL): boolean {
  return (url.searchParams.get("level") ?? "default") === "default";
}

function page(store: FakeStore, url: URL) {
  const limit = optionalNumber(url.searchParams.get("limit"), "limit") ?? PAGE_LIMIT_DEFAULT;
  if (limit < 1 || limit > PAGE_LIMIT_MAX) throw bad(`Invalid "limit": "${limit}"`);
  const prefix = url.searchParams.get("prefix") ?? "";
  const after = url.searchParams.get("after") ?? undefined;
  return store.page(prefix, after, limit, url.searchParams.get("keysOnly") === "true");
}

const ROUTES: Record<string, (url: URL) => FakeRoute> = {
  "GET /status": () => ({ name: "status", leaderOnly: false, serve: () => null }),
  "GET /watch": () => ({ name: "watch", leaderOnly: false, serve: () => null }),
  "GET /key": (url) => ({
    name: "get",
    leaderOnly: isLeaderRead(url),
    serve: (store) => {
      const key = required(url, "key");
      const record = store.get(key);
      if (record === null) throw new FakeRefusal(404, { error: `Key "${key}" not found` });
      return record;
    },
  }),
  "POST /key": () => ({
    name: "put",
    leaderOnly: true,
    serve: async (store, _url, request) => {
      const fields = await body(request);
      if (typeof fields.key !== "string" || typeof fields.value !== "string") {
        throw bad(`Missing field "key" or "value"`);
      }
      const prevIndex = optionalNumber(fields.prevIndex, "prevIndex");
      const lease = optionalNumber(fields.lease, "lease");
      return { key: fields.key, index: store.put(fields.key, fields.value, prevIndex, lease) };
    },
  }),
  "DELETE /key": (url) => ({
    name: "delete",
    leaderOnly: true,
    serve: (store) => {
      const key = required(url, "key");
      const prevIndex = optionalNumber(url.searchParams.get("prevIndex"), "prevIndex");
      return { key, ...store.delete(key, prevIndex) };
    },
  }),
  "GET /keys": (url) => ({
    name: "list",
    leaderOnly: isLeaderRead(url),
    serve: (store) => page(store, url),
  }),
  "DELETE /keys": (url) => ({
    name: "deletePrefix",
    leaderOnly: true,
    serve: (store) => {
      const prefix = url.searchParams.get("prefix") ?? "";
      if (prefix === "" && url.searchParams.get("all") !== "true") {
        throw bad(`An empty prefix deletes every key: pass "all=true"`);
      }
      return store.deletePrefix(prefix);
    },
  }),
  "POST /txn": () => ({
    name: "txn",
    leaderOnly: true,
    serve: async (store, _url, request) => {
      const fields = await body(request);
      const list = <T>(name: string) => (fields[name] ?? []) as T[];
      return store.txn(list<Compare>("compare"), list<TxnOp>("success"), list<TxnOp>("failure"));
    },
  }),
  "POST /lease": () => ({
    name: "grant",
    leaderOnly: true,
    serve: async (store, _url, request) => {
      const ttlMs = optionalNumber((await body(request)).ttlMs, "ttlMs");
      if (ttlMs === undefined || ttlMs < 1) throw bad(`Invalid "ttlMs": "${ttlMs}"`);
      return store.grant(ttlMs);
    },
  }),
  "POST /lease/keepalive": () => ({
    name: "keepalive",
    leaderOnly: true,
    serve: async (store, _url, request) => {
      return store.keepAlive(optionalNumber((await body(request)).id, "id") ?? 0);
    },
  }),
  "GET /lease": (url) => ({
    name: "leaseInfo",
    leaderOnly: true,
    serve: (store) => store.leaseInfo(Number(required(url, "id"))),
  }),
  "DELETE /lease": (url) => ({
    name: "revoke",
    leaderOnly: true,
    serve: (store) => store.revoke(Number(required(url, "id"))),
  }),
};

/** The route of `method` and `url`, or null when there is none. */
export function routeOf(method: string, url: URL): FakeRoute | null {
  return ROUTES[`${method} ${url.pathname}`]?.(url) ?? null;
}
