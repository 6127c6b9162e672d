/**
 * What the lock and election recipes need of a client. `RafterClient`
 * implements it; the recipes depend on this shape, not on the client
 * class, so the client can offer them as methods without an import cycle.
 *
 * @module
 */

import type { Lease } from "./lease.ts";
import type {
  CallOptions,
  KvRecord,
  ListOptions,
  Page,
  PutOptions,
  PutResult,
  ReadOptions,
  WatchEvent,
  WatchOptions,
} from "./types.ts";

/** The calls the recipes make. */
export interface RecipeClient {
  /** Reads `key`; throws `NotFoundError` when it does not exist. */
  get(key: string, options?: ReadOptions): Promise<KvRecord>;
  /** Writes `value` under `key`, with a compare-and-swap or a lease when asked. */
  put(key: string, value: string, options?: PutOptions): Promise<PutResult>;
  /** The keys under `prefix`, page by page. */
  list(prefix: string, options?: ListOptions): AsyncGenerator<Page, void, undefined>;
  /** A lease of `ttlMs` kept alive until revoked. */
  lease(ttlMs: number, options?: CallOptions): Promise<Lease>;
  /** Changes to a key or a prefix, resuming after a disconnect. */
  watch(keyOrPrefix: string, options?: WatchOptions): AsyncGenerator<WatchEvent, void>;
}
