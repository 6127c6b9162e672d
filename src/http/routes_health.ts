/**
 * Health for load balancers and orchestrators: `GET /livez` answers 200 as
 * long as the process serves; `GET /readyz` answers 200 only when the node
 * can serve current data (see `readiness.ts`), else 503 with the reason.
 * `?noleader` skips the leader check.
 *
 * @module
 */

import { OPEN } from "./access.ts";
import type { HttpDeps } from "./deps.ts";
import { readiness } from "./readiness.ts";
import { json } from "./respond.ts";
import type { Routes } from "./routes.ts";

/** Mounts `/livez` and `/readyz`, open to anyone (probes carry no credentials). */
export function mountHealthRoutes(routes: Routes, deps: HttpDeps): void {
  routes.get("/livez", OPEN, () => json({ live: true }));
  routes.get("/readyz", OPEN, (c) => {
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
