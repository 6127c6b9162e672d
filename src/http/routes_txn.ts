/**
 * `POST /txn`: compare, then run the success or the failure operations, as
 * one log entry. Either branch may run, so a caller needs read on every key
 * compared or read and write on every key written in both.
 *
 * @module
 */

import type { TxnRequest } from "../api.ts";
import type { Need } from "../auth/mod.ts";
import { needs } from "./access.ts";
import { dataOp } from "./data_ops.ts";
import type { HttpDeps } from "./deps.ts";
import { readJsonObject } from "./input.ts";
import { json } from "./respond.ts";
import type { Routes } from "./routes.ts";
import { parseTxn } from "./txn_input.ts";

/**
 * What a transaction needs: read on the keys it compares or gets, write on
 * the keys it puts or deletes and on the prefixes it deletes.
 *
 * @example
 * ```ts
 * import { txnNeed } from "./routes_txn.ts";
 * const need = txnNeed({
 *   compare: [{ key: "a", target: "exists", exists: true }],
 *   success: [{ op: "delete", key: "b" }],
 *   failure: [{ op: "deletePrefix", prefix: "c/" }],
 * });
 * if (need.readKeys?.join() !== "a" || need.writeKeys?.join() !== "b") throw new Error();
 * if (need.writePrefixes?.join() !== "c/") throw new Error();
 * ```
 */
export function txnNeed(request: TxnRequest): Need {
  const readKeys = request.compare.map((compare) => compare.key);
  const writeKeys: string[] = [];
  const writePrefixes: string[] = [];
  for (const op of [...request.success, ...request.failure]) {
    if (op.op === "get") readKeys.push(op.key);
    else if (op.op === "deletePrefix") writePrefixes.push(op.prefix);
    else writeKeys.push(op.key);
  }
  return { readKeys, writeKeys, writePrefixes };
}

/** Mounts `/txn`. */
export function mountTxnRoutes(routes: Routes, deps: HttpDeps): void {
  const access = needs((input) => txnNeed(parseTxn(input.body(), deps.limits)), { changes: true });
  routes.post("/txn", access, async (c) => {
    const request = parseTxn(await readJsonObject(c.req.raw, deps.limits), deps.limits);
    return json(await dataOp(deps.node, "txn")(request));
  });
}
