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
 * The names of `node`'s methods, its own and its classes', `constructor`
 * left out; a property shadows one of the same name further down the
 * prototype chain, so a method set to `undefined` on the object is absent.
 */
function methodNames(node: object): Set<string> {
  const seen = new Set<string>(["constructor"]);
  const names = new Set<string>();
  for (
    let level: object | null = node;
    level !== null && level !== Object.prototype;
    level = Object.getPrototypeOf(level)
  ) {
    for (const name of Object.getOwnPropertyNames(level)) {
      if (seen.has(name)) continue;
      seen.add(name);
      if (typeof Object.getOwnPropertyDescriptor(level, name)?.value === "function") {
        names.add(name);
      }
    }
  }
  return names;
}

/**
 * `node`, with its reads and writes recorded into `recent` once they
 * succeed. The methods are wrapped once, here, so a call costs one clock
 * read on each side and nothing to look up; a method `node` lacks stays
 * absent (its route answers 501).
 *
 * @example
 * ```ts
 * import { meterNode } from "./metered_node.ts";
 * import { RecentOps } from "../metrics/recent_ops.ts";
 * import type { KvApi } from "../api.ts";
 * const recent = new RecentOps();
 * const node = { get: () => Promise.resolve(null) } as unknown as KvApi;
 * const metered = meterNode(node, recent, () => 5_500);
 * await metered.get("k", "stale");
 * if (recent.series(6_000, 1).reads[0] !== 1 || metered.scan !== undefined) throw new Error();
 * ```
 */
export function meterNode(
  node: KvApi,
  recent: RecentOps,
  nowMs: () => number = Date.now,
): KvApi {
  const timed = (kind: OpKind, fn: (...args: unknown[]) => unknown) => (...args: unknown[]) => {
    const start = performance.now();
    const result = fn.apply(node, args);
    if (!(result instanceof Promise)) return result;
    return result.then((value) => {
      recent.record(kind, (performance.now() - start) / MS_PER_SECOND, nowMs());
      return value;
    });
  };
  const metered: Record<string, unknown> = {};
  const methods = node as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of methodNames(node)) {
    const fn = methods[name]!;
    const kind = READ_OPS.has(name) ? "read" : WRITE_OPS.has(name) ? "write" : null;
    metered[name] = kind === null ? fn.bind(node) : timed(kind, fn);
  }
  return metered as unknown as KvApi;
}
