/**
 * Health for load balancers and orchestrators: `GET /livez` answers 200 as
 * long as the process serves; `GET /readyz` answers 200 only when the node
 * can serve current data (see `readiness.ts`), else 503 with the reason.
 * `?noleader` skips the leader check.
 *
 * @module
 */

import type { Hono } from "hono";
import type { HttpDeps } from "./deps.ts";
import { readiness } from "./readiness.ts";
import { json } from "./respond.ts";

/** Mounts `/livez` and `/readyz` on `app`. */
export function mountHealthRoutes(app: Hono, deps: HttpDeps): void {
  app.get("/livez", () => json({ live: true }));
  app.get("/readyz", (c) => {
    const status = deps.node.status();
    const verdict = readiness(status, {
      electionTimeoutMs: deps.electionTimeoutMs,
      leaderCheck: c.req.query("noleader") === undefined,
    });
    const indexes = { commitIndex: status.commitIndex, appliedIndex: status.appliedIndex };
    if (!verdict.ready) {
      return json(
        { ready: false, error: verdict.reason, leaderId: status.leaderId, ...indexes },
        503,
      );
    }
    return json({ ready: true, leaderId: status.leaderId, ...indexes });
  });
}
