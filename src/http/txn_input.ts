/**
 * Reading a transaction from JSON: `{"compare":[...],"success":[op...],
 * "failure":[op...]}` with every field checked and every error naming where
 * it is (`success[2].put.key`).
 *
 * @module
 */

import type { TxnRequest } from "../api.ts";
import { type Compare, TXN_OPS_MAX, type TxnOp } from "../kv/command_types.ts";
import {
  badRequest,
  checkKey,
  checkPrefix,
  checkValue,
  type Fields,
  INDEX_RANGE,
  type Limits,
  optionalInteger,
  optionalString,
  POSITIVE_RANGE,
} from "./input.ts";

const OPS = ["put", "delete", "get", "deletePrefix"] as const;
const TARGETS = ["modIndex", "value", "exists"] as const;

function objectAt(value: unknown, where: string): Fields {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw badRequest(`Field "${where}" must be a JSON object`);
  }
  return value as Fields;
}

function listAt(fields: Fields, name: string): unknown[] {
  const value = fields[name];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw badRequest(`Field "${name}" must be an array`);
  if (value.length > TXN_OPS_MAX) {
    throw badRequest(`Field "${name}" has "${value.length}" entries; at most ${TXN_OPS_MAX}`);
  }
  return value;
}

function keyAt(fields: Fields, where: string, limits: Limits): string {
  return checkKey(optionalString(fields, "key"), limits, `${where}.key`);
}

function parseCompare(value: unknown, where: string, limits: Limits): Compare {
  const fields = objectAt(value, where);
  const key = keyAt(fields, where, limits);
  const given = TARGETS.filter((target) => fields[target] !== undefined);
  if (given.length !== 1) {
    throw badRequest(`Field "${where}" must hold exactly one of "modIndex", "value" or "exists"`);
  }
  if (given[0] === "modIndex") {
    const modIndex = optionalInteger(fields, "modIndex", INDEX_RANGE)!;
    return { key, target: "modIndex", modIndex };
  }
  if (given[0] === "value") {
    const text = checkValue(optionalString(fields, "value"), limits, `${where}.value`);
    return { key, target: "value", value: text };
  }
  if (typeof fields.exists !== "boolean") {
    throw badRequest(`Field "${where}.exists" must be a boolean`);
  }
  return { key, target: "exists", exists: fields.exists };
}

function parseOp(value: unknown, where: string, limits: Limits): TxnOp {
  const fields = objectAt(value, where);
  const names = Object.keys(fields);
  const op = names[0] as (typeof OPS)[number];
  if (names.length !== 1 || !OPS.includes(op)) {
    const shown = names.length === 1 ? `Unknown operation "${names[0]}"` : "An operation";
    throw badRequest(
      `${shown} in "${where}": expected one of put, delete, get or deletePrefix`,
    );
  }
  const at = `${where}.${op}`;
  const body = objectAt(fields[op], at);
  if (op === "deletePrefix") {
    return { op, prefix: checkPrefix(optionalString(body, "prefix"), limits, `${at}.prefix`) };
  }
  const key = keyAt(body, at, limits);
  if (op !== "put") return { op, key };
  const text = checkValue(optionalString(body, "value"), limits, `${at}.value`);
  return { op, key, value: text, lease: optionalInteger(body, "lease", POSITIVE_RANGE) ?? 0 };
}

/**
 * Reads and validates a transaction body.
 *
 * @example
 * ```ts
 * import { parseTxn } from "./txn_input.ts";
 * import { DEFAULT_LIMITS } from "./input.ts";
 * const txn = parseTxn({ success: [{ get: { key: "k" } }] }, DEFAULT_LIMITS);
 * if (txn.compare.length !== 0 || txn.success[0]?.op !== "get") throw new Error();
 * ```
 */
export function parseTxn(fields: Fields, limits: Limits): TxnRequest {
  for (const name of Object.keys(fields)) {
    if (name !== "compare" && name !== "success" && name !== "failure") {
      throw badRequest(`Unknown field "${name}": expected compare, success and failure`);
    }
  }
  return {
    compare: listAt(fields, "compare").map((c, i) => parseCompare(c, `compare[${i}]`, limits)),
    success: listAt(fields, "success").map((o, i) => parseOp(o, `success[${i}]`, limits)),
    failure: listAt(fields, "failure").map((o, i) => parseOp(o, `failure[${i}]`, limits)),
  };
}
