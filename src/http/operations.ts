/**
 * The node calls every route and dialect shares: validated input in, a
 * plain result out. Route modules only pick where the input comes from and
 * how the answer is shaped.
 *
 * @module
 */

import { HTTPException } from "hono/http-exception";
import type { KvRecord, ReadLevel } from "../api.ts";
import type { HttpDeps } from "./deps.ts";
import { checkKey, checkValue, type Fields, requiredString } from "./input.ts";

/** Reads `key` (already validated); 404 `Key "K" not found` when absent. */
export async function getRecord(deps: HttpDeps, key: string, level: ReadLevel): Promise<KvRecord> {
  const record = await deps.node.get(key, level);
  if (record === null) throw new HTTPException(404, { message: `Key "${key}" not found` });
  return record;
}

/** Writes `value` under `key` after validating both. */
export async function putKey(
  deps: HttpDeps,
  key: string | undefined,
  value: string | undefined,
): Promise<{ key: string; index: number }> {
  const checkedKey = checkKey(key, deps.limits);
  const checkedValue = checkValue(value, deps.limits);
  const { index } = await deps.node.put(checkedKey, checkedValue);
  return { key: checkedKey, index };
}

/** Writes the `key` and `value` fields of a JSON body. */
export function putFields(deps: HttpDeps, fields: Fields): Promise<{ key: string; index: number }> {
  return putKey(deps, requiredString(fields, "key"), requiredString(fields, "value"));
}

/** Deletes `key` after validating it. */
export async function deleteKey(
  deps: HttpDeps,
  key: string | undefined,
): Promise<{ key: string; deleted: boolean; index: number }> {
  const checkedKey = checkKey(key, deps.limits);
  const { deleted, index } = await deps.node.delete(checkedKey);
  return { key: checkedKey, deleted, index };
}

/** Deletes the `key` field of a JSON body. */
export function deleteFields(
  deps: HttpDeps,
  fields: Fields,
): Promise<{ key: string; deleted: boolean; index: number }> {
  return deleteKey(deps, requiredString(fields, "key"));
}
