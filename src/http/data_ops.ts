/**
 * The optional operations of a node: the data model's, which `KvApi` lists
 * as optional until every driver provides them, and the operator's (backup,
 * leadership hand-off). A route asks for the one it needs and answers 501
 * when the node lacks it.
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

/** The optional operations of `KvApi`: the data model's and the operator's. */
export type NodeOp = DataOp | "backup" | "handOffLeadership";

/** Operations that are not the data model's, so their absence is not the driver's. */
const OPERATOR_OPS: ReadonlySet<NodeOp> = new Set(["backup", "handOffLeadership"]);

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
export function dataOp<K extends NodeOp>(node: KvApi, name: K): NonNullable<KvApi[K]> {
  const op = node[name] as ((...args: never[]) => unknown) | undefined;
  if (op === undefined) {
    const why = OPERATOR_OPS.has(name) ? "" : ": its driver has no data-model operations";
    throw new HTTPException(501, { message: `This node does not serve "${name}"${why}` });
  }
  return op.bind(node) as NonNullable<KvApi[K]>;
}
