/**
 * Wraps the node the routes call so that every read and write it answers is
 * recorded with its latency for the dashboard's rates and p99: the same
 * figures whichever route or dialect asked.
 *
 * @module
 */

import type { KvApi } from "../api.ts";
import type { OpKind, RecentOps } from "../metrics/recent_ops.ts";

/** Node operations that read the store. */
const READ_OPS: ReadonlySet<string> = new Set(["get", "getValue", "scan"]);
/** Node operations that change it (through the log). */
const WRITE_OPS: ReadonlySet<string> = new Set([
  "put",
  "delete",
  "putValue",
  "deleteValue",
  "deletePrefix",
  "txn",
  "leaseGrant",
  "leaseRevoke",
]);
const MS_PER_SECOND = 1000;

/**
 * `node`, with its reads and writes recorded into `recent` once they succeed.
 *
 * @example
 * ```ts
 * import { meterNode } from "./metered_node.ts";
 * import { RecentOps } from "../metrics/recent_ops.ts";
 * import type { KvApi } from "../api.ts";
 * const recent = new RecentOps();
 * const node = { get: () => Promise.resolve(null) } as unknown as KvApi;
 * await meterNode(node, recent, () => 5_500).get("k", "stale");
 * if (recent.series(6_000, 1).reads[0] !== 1) throw new Error();
 * ```
 */
export function meterNode(
  node: KvApi,
  recent: RecentOps,
  nowMs: () => number = Date.now,
): KvApi {
  const wrapped = new Map<string | symbol, unknown>();
  const wrap = (kind: OpKind, fn: (...args: unknown[]) => unknown) => (...args: unknown[]) => {
    const start = performance.now();
    const result = fn.apply(node, args);
    if (!(result instanceof Promise)) return result;
    return result.then((value) => {
      recent.record(kind, (performance.now() - start) / MS_PER_SECOND, nowMs());
      return value;
    });
  };
  return new Proxy(node, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof value !== "function") return value;
      let found = wrapped.get(prop);
      if (found === undefined) {
        const name = String(prop);
        const kind = READ_OPS.has(name) ? "read" : WRITE_OPS.has(name) ? "write" : null;
        found = kind === null ? value.bind(target) : wrap(kind, value);
        wrapped.set(prop, found);
      }
      return found;
    },
  });
}
