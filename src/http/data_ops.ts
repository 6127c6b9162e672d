/**
 * The data-model operations of a node, which `KvApi` lists as optional
 * until every driver provides them: a route asks for the one it needs and
 * answers 501 when the node lacks it.
 *
 * @module
 */

import { HTTPException } from "hono/http-exception";
import type { KvApi } from "../api.ts";

/** The optional operations of `KvApi`. */
export type DataOp =
  | "putValue"
  | "deleteValue"
  | "getValue"
  | "scan"
  | "deletePrefix"
  | "txn"
  | "leaseGrant"
  | "leaseKeepAlive"
  | "leaseInfo"
  | "leaseRevoke"
  | "watch";

/**
 * Operation `name` of `node`, bound to it; a 501 when the node lacks it.
 *
 * @example
 * ```ts
 * import { dataOp } from "./data_ops.ts";
 * import type { KvApi } from "../api.ts";
 * try {
 *   dataOp({} as KvApi, "txn");
 *   throw new Error("found");
 * } catch (error) {
 *   if ((error as { status?: number }).status !== 501) throw error;
 * }
 * ```
 */
export function dataOp<K extends DataOp>(node: KvApi, name: K): NonNullable<KvApi[K]> {
  const op = node[name] as ((...args: never[]) => unknown) | undefined;
  if (op === undefined) {
    throw new HTTPException(501, {
      message: `This node does not serve "${name}": its driver has no data-model operations`,
    });
  }
  return op.bind(node) as NonNullable<KvApi[K]>;
}
