/**
 * Callers recently authenticated, by their exact `Authorization` header: a
 * client on a kept-alive connection sends the same header with every
 * request, and hashing its token and comparing it with every user each
 * time was a measurable share of a small read's cost. Only headers that
 * authenticated are kept (a wrong token is hashed and compared every time),
 * the cache is bounded (the oldest goes first) and it is emptied whenever
 * the rules change, so a removed user or a changed token is never served
 * from it.
 *
 * @module
 */

import type { Principal } from "./permissions.ts";

/** Most headers remembered. */
export const CALLERS_MAX = 1024;

/** A bounded map from an `Authorization` header to the principal it authenticated. */
export class CallerCache {
  readonly #callers = new Map<string, Principal>();

  /**
   * The principal `header` authenticated as, or undefined when not known.
   *
   * @example
   * ```ts
   * import { CallerCache } from "./caller_cache.ts";
   * const cache = new CallerCache();
   * const ops = { name: "ops", admin: true, metrics: false, permissions: [] };
   * cache.remember("Bearer t", ops);
   * if (cache.known("Bearer t") !== ops || cache.known("Bearer u") !== undefined) throw new Error();
   * cache.clear();
   * if (cache.known("Bearer t") !== undefined) throw new Error();
   * ```
   */
  known(header: string): Principal | undefined {
    return this.#callers.get(header);
  }

  /** Remembers that `header` authenticated as `principal`. */
  remember(header: string, principal: Principal): void {
    if (this.#callers.size >= CALLERS_MAX) {
      const oldest = this.#callers.keys().next();
      if (oldest.done !== true) this.#callers.delete(oldest.value);
    }
    this.#callers.set(header, principal);
  }

  /** Forgets every header (the rules changed). */
  clear(): void {
    this.#callers.clear();
  }

  /** Headers remembered. */
  get size(): number {
    return this.#callers.size;
  }
}
