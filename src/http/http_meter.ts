/**
 * Counts and times every request by its route pattern (the pattern its
 * handler was mounted with, never the raw path, so labels stay bounded): a
 * request no route matched is labelled `unmatched`. A request refused before
 * its handler ran (the in-flight bound) still carries the pattern it matched.
 *
 * @module
 */

import type { Counter } from "../metrics/counter.ts";
import type { Histogram } from "../metrics/histogram.ts";
import type { RafterMetrics } from "../metrics/rafter_metrics.ts";

/** The route label of a request no route matched. */
export const UNMATCHED_ROUTE = "unmatched";
/** Methods labelled as themselves; any other is `OTHER`. */
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]);
const MS_PER_SECOND = 1000;

/**
 * Counts and times requests by method, route pattern and status;
 * {@link observe} each once it is answered.
 *
 * @example
 * ```ts
 * import { HttpMeter } from "./http_meter.ts";
 * import { createMetrics } from "../metrics/rafter_metrics.ts";
 * const metrics = createMetrics();
 * new HttpMeter(metrics).observe("GET", "/items/:id", 200, performance.now());
 * if (metrics.http.requests.labels("GET", "/items/:id", "200").value !== 1) throw new Error();
 * ```
 */
export class HttpMeter {
  readonly #children: RouteChildren;

  /** @param metrics where requests are counted */
  constructor(metrics: RafterMetrics) {
    this.#children = new RouteChildren(metrics.http);
  }

  /**
   * Counts a request of `method` that matched `route` (its pattern, or
   * {@link UNMATCHED_ROUTE}), answered with `status`, which arrived at
   * `startMs` (`performance.now()`).
   */
  observe(method: string, route: string, status: number, startMs: number): void {
    const child = this.#children.of(METHODS.has(method) ? method : "OTHER", route);
    child.counter(status).inc();
    child.seconds.observe((performance.now() - startMs) / MS_PER_SECOND);
  }
}

/** The children of one method and route: its duration histogram and a counter per status. */
class Children {
  readonly seconds: Histogram;
  readonly #byStatus = new Map<number, Counter>();
  readonly #make: (status: number) => Counter;

  constructor(seconds: Histogram, make: (status: number) => Counter) {
    this.seconds = seconds;
    this.#make = make;
  }

  counter(status: number): Counter {
    let counter = this.#byStatus.get(status);
    if (counter === undefined) this.#byStatus.set(status, counter = this.#make(status));
    return counter;
  }
}

/**
 * The labelled children by method and route, kept so a request builds no
 * label string. Bounded as the families are: routes are the app's patterns,
 * methods the few above, statuses three digits.
 */
class RouteChildren {
  readonly #http: RafterMetrics["http"];
  readonly #byRoute = new Map<string, Map<string, Children>>();

  constructor(http: RafterMetrics["http"]) {
    this.#http = http;
  }

  of(method: string, route: string): Children {
    let byMethod = this.#byRoute.get(route);
    if (byMethod === undefined) this.#byRoute.set(route, byMethod = new Map());
    let children = byMethod.get(method);
    if (children === undefined) {
      const { requests, requestSeconds } = this.#http;
      children = new Children(
        requestSeconds.labels(method, route),
        (status) => requests.labels(method, route, String(status)),
      );
      byMethod.set(method, children);
    }
    return children;
  }
}
