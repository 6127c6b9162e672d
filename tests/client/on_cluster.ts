/**
 * The client's tests on real three-node clusters: a client of some nodes, with a short
 * backoff, and a client whose connections all fail once it is "killed", as those of a process
 * that died would.
 *
 * @module
 */

import { type ClientOptions, RafterClient } from "../../src/client/mod.ts";
import type { NodeProcess } from "../cluster/harness.ts";

/** A client of `nodes`, first endpoint picked as the client picks it. */
export function clientOf(
  nodes: readonly NodeProcess[],
  options: Partial<ClientOptions> = {},
): RafterClient {
  return new RafterClient({
    endpoints: nodes.map((n) => `http://${n.httpAddr}`),
    timeoutMs: 10_000,
    backoffBaseMs: 10,
    backoffMaxMs: 200,
    ...options,
  });
}

/**
 * A `fetch` whose connections can be cut and healed, as a network partition between the
 * client and every node would: while cut, new requests fail at once and those in flight
 * (a watch's stream included) are broken off.
 */
export function cuttableFetch(): { fetch: typeof fetch; cut(): void; heal(): void } {
  let cut = false;
  const inFlight = new Set<AbortController>();
  const fetch = (input: RequestInfo | URL, init: RequestInit = {}) => {
    if (cut) return Promise.reject(new TypeError("fetch failed"));
    // Kept until the next cut, finished or not: a response's body may still be streaming.
    const controller = new AbortController();
    inFlight.add(controller);
    const signals = init.signal ? [init.signal, controller.signal] : [controller.signal];
    return globalThis.fetch(input, { ...init, signal: AbortSignal.any(signals) });
  };
  return {
    fetch,
    cut() {
      cut = true;
      for (const controller of inFlight) controller.abort(new TypeError("fetch failed"));
      inFlight.clear();
    },
    heal: () => (cut = false),
  };
}

/** A `fetch` that counts the watch streams a node answered, so a test knows one is open. */
export function countingFetch(): { fetch: typeof fetch; watches(): number } {
  let watches = 0;
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const response = await globalThis.fetch(input, init);
    const url = new URL(input instanceof Request ? input.url : input);
    if (url.pathname === "/watch" && response.ok) watches++;
    return response;
  };
  return { fetch, watches: () => watches };
}

/** A client of `nodes` whose every request fails once `kill()` is called. */
export function mortalClient(
  nodes: readonly NodeProcess[],
  options: Partial<ClientOptions> = {},
): { client: RafterClient; kill(): void } {
  const link = cuttableFetch();
  return { client: clientOf(nodes, { fetch: link.fetch, ...options }), kill: link.cut };
}
