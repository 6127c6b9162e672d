/**
 * The binary-safe REST path: `PUT`, `GET` and `DELETE /kv/<key>`, where the
 * key is the rest of the path (slashes included, percent-decoded) and the
 * value is the raw body. `ETag` is the record's mod index; `If-Match:
 * "<modIndex>"` makes a write compare-and-swap and `If-None-Match: *` makes
 * a put create-only; a `GET` with a matching `If-None-Match` answers 304.
 * Reading needs read on the key, writing and deleting write on it.
 *
 * @module
 */

import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { type KeyFrom, readsKey, writesKey } from "./access.ts";
import { dataOp } from "./data_ops.ts";
import type { HttpDeps } from "./deps.ts";
import { badRequest, checkKey, checkLevel, type Limits, readBody } from "./input.ts";
import { json } from "./respond.ts";
import type { Routes } from "./routes.ts";

const PATH_PREFIX = "/kv/";
const ETAG = /^"([0-9]{1,16})"$/;

/** The key named by the path after `/kv/`, percent-decoded and validated. */
export function pathKey(request: Request, limits: Limits): string {
  const path = new URL(request.url).pathname;
  let key: string;
  try {
    key = decodeURIComponent(path.slice(PATH_PREFIX.length));
  } catch {
    throw badRequest(`Key path "${path}" is not valid percent-encoded UTF-8`);
  }
  return checkKey(key, limits);
}

/** The ETag of a record: its mod index, quoted. */
export function etagOf(modIndex: number): string {
  return `"${modIndex}"`;
}

/**
 * `If-Match` and `If-None-Match` of a write as a `prevIndex` (absent: no condition).
 *
 * @example
 * ```ts
 * import { writeCondition } from "./routes_kv.ts";
 * if (writeCondition(new Headers({ "if-match": '"42"' }), true).prevIndex !== 42) throw new Error();
 * if (writeCondition(new Headers({ "if-none-match": "*" }), true).prevIndex !== 0) throw new Error();
 * ```
 */
export function writeCondition(headers: Headers, create: boolean): { prevIndex?: number } {
  const ifMatch = headers.get("if-match");
  const ifNoneMatch = headers.get("if-none-match");
  if (ifMatch !== null && ifNoneMatch !== null) {
    throw badRequest('Give "If-Match" or "If-None-Match", not both');
  }
  if (ifMatch !== null) {
    const match = ETAG.exec(ifMatch.trim());
    if (match === null) {
      throw badRequest(`Invalid If-Match "${ifMatch}": expected one ETag, such as "42"`);
    }
    return { prevIndex: Number(match[1]) };
  }
  if (ifNoneMatch === null) return {};
  if (!create || ifNoneMatch.trim() !== "*") {
    throw badRequest(
      `Invalid If-None-Match "${ifNoneMatch}": a ${create ? "put" : "delete"} takes ` +
        (create ? '"*" (create only)' : "none"),
    );
  }
  return { prevIndex: 0 };
}

function notFound(key: string): HTTPException {
  return new HTTPException(404, { message: `Key "${key}" not found` });
}

async function getKv(c: Context, deps: HttpDeps): Promise<Response> {
  const key = pathKey(c.req.raw, deps.limits);
  const level = checkLevel(c.req.query("level"), "default");
  const record = await dataOp(deps.node, "getValue")(key, level);
  if (record === null) throw notFound(key);
  const etag = etagOf(record.modIndex);
  const ifNoneMatch = c.req.header("if-none-match");
  const tags = ifNoneMatch?.split(",").map((tag) => tag.trim()) ?? [];
  if (tags.includes("*") || tags.includes(etag)) {
    return new Response(null, { status: 304, headers: { etag } });
  }
  return new Response(record.value as Uint8Array<ArrayBuffer>, {
    headers: { "content-type": "application/octet-stream", etag },
  });
}

async function putKv(c: Context, deps: HttpDeps): Promise<Response> {
  const key = pathKey(c.req.raw, deps.limits);
  const condition = writeCondition(c.req.raw.headers, true);
  const value = await readBody(c.req.raw, deps.limits.bodyBytesMax);
  if (value.length > deps.limits.valueBytesMax) {
    throw badRequest(
      `Value of "${value.length}" bytes exceeds the limit of "${deps.limits.valueBytesMax}" bytes`,
    );
  }
  const result = await dataOp(deps.node, "putValue")(key, value, condition);
  return json({ key, index: result.index }, result.created ? 201 : 200, {
    etag: etagOf(result.index),
  });
}

async function deleteKv(c: Context, deps: HttpDeps): Promise<Response> {
  const key = pathKey(c.req.raw, deps.limits);
  const condition = writeCondition(c.req.raw.headers, false);
  const { deleted, index } = await dataOp(deps.node, "deleteValue")(key, condition);
  if (!deleted) throw notFound(key);
  return json({ key, deleted, index });
}

/** Mounts `/kv/*`. */
export function mountKvRoutes(routes: Routes, deps: HttpDeps): void {
  const key: KeyFrom = (input) => pathKey(input.request, deps.limits);
  routes.get("/kv/*", readsKey(key), (c) => getKv(c, deps));
  routes.put("/kv/*", writesKey(key), (c) => putKv(c, deps));
  routes.delete("/kv/*", writesKey(key), (c) => deleteKv(c, deps));
}
