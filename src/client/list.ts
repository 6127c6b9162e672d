/**
 * Prefix scans as an async iterator over pages: each page continues after the last key of
 * the one before, so a key that exists throughout the scan is delivered exactly once, even
 * when a page is retried on another node.
 *
 * @module
 */

import { RafterError } from "./errors.ts";
import type { Transport } from "./transport.ts";
import type { ListOptions, Page } from "./types.ts";

/**
 * Reads the keys under `prefix` page by page, in key order. Each page is one call with the
 * client's retries; the iterator ends after the page whose `more` is false.
 *
 * @example
 * ```ts
 * import { RafterClient } from "./client.ts";
 * import { FakeCluster } from "../../tests/client/fake_cluster.ts";
 * // An in-memory stand-in for a cluster; pass your nodes' addresses instead.
 * const fake = new FakeCluster();
 * using client = new RafterClient({ endpoints: ["http://127.0.0.1:8001"], fetch: fake.fetch });
 * for (const key of ["a/1", "a/2", "a/3", "b/1"]) await client.put(key, "v");
 * const keys = [];
 * for await (const page of client.list("a/", { limit: 2 })) {
 *   keys.push(...page.items.map((record) => record.key));
 * }
 * if (keys.join() !== "a/1,a/2,a/3") throw new Error(keys.join());
 * ```
 */
export async function* listPages(
  transport: Transport,
  prefix: string,
  options: ListOptions = {},
): AsyncGenerator<Page, void, undefined> {
  const level = options.level ?? "default";
  let after = options.after;
  // Each page moves `after` forward, so the loop ends once the keys do.
  for (;;) {
    const page: Page = await transport.json<Page>({
      method: "GET",
      path: "/keys",
      query: {
        prefix,
        after,
        limit: options.limit === undefined ? undefined : String(options.limit),
        level,
        keysOnly: options.keysOnly === true ? "true" : undefined,
      },
      target: level === "default" ? "leader" : "any",
      retry: "always",
      signal: options.signal,
    });
    yield page;
    if (!page.more) return;
    if (typeof page.next !== "string" || page.next === "" || page.next === after) {
      throw new RafterError(`Listing "${prefix}" did not advance past "${after ?? ""}"`, 200);
    }
    after = page.next;
  }
}
