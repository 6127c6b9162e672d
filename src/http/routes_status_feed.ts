/**
 * `GET /status/events`: a server-sent event stream, one `event: status`
 * every `statusIntervalMs` with what the dashboard draws: this node's
 * status, every member's row, the leaders of the last minutes, reads and
 * writes per second with p99, and the WAL and snapshot sizes. At most
 * {@link STATUS_STREAMS_MAX} streams at once; more get 503.
 *
 * @module
 */

import { UnavailableError } from "../api.ts";
import { adminOnly } from "./access.ts";
import { clusterView } from "./cluster_view.ts";
import type { HttpDeps } from "./deps.ts";
import type { Routes } from "./routes.ts";

/** Open status streams allowed at once (each asks every member once per event). */
export const STATUS_STREAMS_MAX = 16;
/** Leader history sent with each event. */
const LEADER_WINDOW_MS = 10 * 60 * 1000;
/** Seconds of operation rates sent with each event. */
const OPS_SECONDS = 120;

/** One event's data. */
export async function statusEvent(deps: HttpDeps, authorization: string | null): Promise<unknown> {
  await deps.metrics.registry.collect();
  const status = deps.node.status();
  const nowMs = Date.now();
  const members = await clusterView(status, {
    fetch: deps.fetch,
    timeoutMs: deps.statusIntervalMs,
    authorization,
    scheme: deps.scheme,
  });
  const { metrics } = deps;
  return {
    atMs: nowMs,
    node: status,
    members,
    leaders: metrics.leaders.since(nowMs - LEADER_WINDOW_MS),
    ops: metrics.recent.series(nowMs, OPS_SECONDS),
    disk: {
      walBytes: metrics.disk.walSizeBytes.value,
      snapshotBytes: metrics.snapshot.sizeBytes.value,
    },
  };
}

/** Mounts `/status/events`: the full status of every member, so the admin only. */
export function mountStatusFeed(routes: Routes, deps: HttpDeps): void {
  let open = 0;
  const encoder = new TextEncoder();
  routes.get("/status/events", adminOnly({ changes: false }), (c) => {
    if (open >= STATUS_STREAMS_MAX) {
      throw new UnavailableError(
        `Too many status streams open (${STATUS_STREAMS_MAX}); retry shortly`,
      );
    }
    const authorization = c.req.header("authorization") ?? null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let closed = false;
    open++;
    const close = () => {
      if (closed) return;
      closed = true;
      open--;
      clearTimeout(timer);
    };
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        const tick = async () => {
          try {
            const data = JSON.stringify(await statusEvent(deps, authorization));
            if (closed) return;
            controller.enqueue(encoder.encode(`event: status\ndata: ${data}\n\n`));
            timer = setTimeout(tick, deps.statusIntervalMs);
          } catch (error) {
            if (closed) return;
            close();
            controller.error(error);
          }
        };
        tick();
      },
      cancel: close,
    });
    return new Response(body, {
      headers: {
        "content-type": "text/event-stream",
        "cache-control": "no-store",
      },
    });
  });
}
