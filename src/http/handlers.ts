/**
 * Route handlers that more than one API serves unchanged (rafter's `/key`
 * and the dialects' `/get`, `/put`, `/delete`), built once per app.
 *
 * @module
 */

import type { Context } from "hono";
import type { ReadLevel } from "../api.ts";
import type { HttpDeps } from "./deps.ts";
import { checkKey, checkLevel, readJsonObject } from "./input.ts";
import { deleteKey, getRecord, putFields } from "./operations.ts";
import { json } from "./respond.ts";

/** A Hono handler that answers a response. */
export type Handler = (c: Context) => Promise<Response>;

/** `?key=K&level=L` → the record as JSON; `fallback` is the level when none is given. */
export function getByQuery(deps: HttpDeps, fallback: ReadLevel): Handler {
  return async (c) => {
    const key = checkKey(c.req.query("key"), deps.limits);
    const level = checkLevel(c.req.query("level"), fallback);
    return json(await getRecord(deps, key, level));
  };
}

/** A JSON body `{"key","value"}` → `{"key","index"}`. */
export function putJson(deps: HttpDeps): Handler {
  return async (c) => json(await putFields(deps, await readJsonObject(c.req.raw, deps.limits)));
}

/** `?key=K` → `{"key","deleted","index"}`. */
export function deleteByQuery(deps: HttpDeps): Handler {
  return async (c) => json(await deleteKey(deps, c.req.query("key")));
}
