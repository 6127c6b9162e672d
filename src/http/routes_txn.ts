/**
 * `POST /txn`: compare, then run the success or the failure operations, as
 * one log entry.
 *
 * @module
 */

import type { Hono } from "hono";
import { dataOp } from "./data_ops.ts";
import type { HttpDeps } from "./deps.ts";
import { readJsonObject } from "./input.ts";
import { json } from "./respond.ts";
import { parseTxn } from "./txn_input.ts";

/** Mounts `/txn` on `app`. */
export function mountTxnRoutes(app: Hono, deps: HttpDeps): void {
  app.post("/txn", async (c) => {
    const request = parseTxn(await readJsonObject(c.req.raw, deps.limits), deps.limits);
    return json(await dataOp(deps.node, "txn")(request));
  });
}
