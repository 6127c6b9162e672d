/**
 * What the driver, storage and transport report happening, turned into the
 * operator's log lines and the metrics in one place: each report is one call
 * at its counting point. (Peers lost and regained are logged by the
 * transport.) The messages are the ones docs/OPERATIONS.md explains; change
 * both together. Without metrics (`--metrics off`, the simulator) the log
 * lines stay and nothing is counted.
 *
 * @module
 */

import type { Logger } from "../log.ts";
import type { RafterMetrics } from "./rafter_metrics.ts";

const MS_PER_SECOND = 1000;

/** Settings of {@link NodeEvents}. */
export interface NodeEventsOptions {
  /** Where the counts go; absent, reports only log. */
  metrics?: RafterMetrics;
  logger: Logger;
  /** This node's id, to tell "became leader" from "leader is known". */
  nodeId: string;
  /** A WAL sync slower than this is logged as a warning. */
  slowFsyncMs: number;
}

/** How a membership change went. */
export type MemberOp = "added" | "promoted" | "removed";

/**
 * The reports a node makes about itself.
 *
 * @example
 * ```ts
 * import { NodeEvents } from "./node_events.ts";
 * import { createMetrics } from "./rafter_metrics.ts";
 * import { createLogger } from "../log.ts";
 * const lines: string[] = [];
 * const logger = createLogger("info", { sink: (line) => lines.push(line), format: "json" });
 * const metrics = createMetrics();
 * const events = new NodeEvents({ metrics, logger, nodeId: "n1", slowFsyncMs: 100 });
 * events.walSynced(0.25, 4096);
 * if (metrics.disk.walFsyncSeconds.count !== 1) throw new Error();
 * if (JSON.parse(lines[0]!).msg !== "slow fsync") throw new Error(lines[0]);
 * ```
 */
export class NodeEvents {
  readonly #metrics: RafterMetrics | undefined;
  readonly #log: Logger;
  readonly #nodeId: string;
  readonly #slowFsyncSeconds: number;

  /** @param options metrics, logger, node id and slow-fsync threshold */
  constructor(options: NodeEventsOptions) {
    this.#metrics = options.metrics;
    this.#log = options.logger;
    this.#nodeId = options.nodeId;
    this.#slowFsyncSeconds = options.slowFsyncMs / MS_PER_SECOND;
  }

  /** Whether reports are counted (metrics were given). */
  get counting(): boolean {
    return this.#metrics !== undefined;
  }

  /** A (pre-)campaign for `term` began: `reason` is "election timeout", "leadership transfer", ... */
  electionStarted(term: number, reason: string): void {
    this.#log.info("election started", { term, reason });
  }

  /** The known leader changed (`""`: none known) at `nowMs` (Unix ms). */
  leaderChanged(term: number, leaderId: string, nowMs: number): void {
    this.#metrics?.leaders.observe(term, leaderId, nowMs);
    if (leaderId === this.#nodeId) this.#log.info("became leader", { term });
    else if (leaderId === "") this.#log.warn("leader lost", { term });
    else this.#log.info("leader is known", { leader: leaderId, term });
  }

  /** This node was the leader and no longer is. */
  steppedDown(term: number, reason: string): void {
    this.#log.info("stepped down", { term, reason });
  }

  /** A membership change applied at `index`. */
  memberChanged(op: MemberOp, id: string, index: number): void {
    this.#log.info(`member ${op}`, { id, index });
  }

  /** A proposal failed (leader change, timeout, refused). */
  proposalFailed(count = 1): void {
    this.#metrics?.server.proposalsFailed.inc(count);
  }

  /** A snapshot at `index` is being written. */
  snapshotStarted(index: number): void {
    this.#log.info("snapshot started", { index });
  }

  /** A snapshot at `index` of `bytes` was saved after `seconds`. */
  snapshotTaken(index: number, bytes: number, seconds: number): void {
    this.#metrics?.snapshot.saveSeconds.observe(seconds);
    this.#metrics?.snapshot.sizeBytes.set(bytes);
    this.#log.info("snapshot taken", {
      index,
      bytes,
      durationMs: Math.round(seconds * MS_PER_SECOND),
    });
  }

  /** A snapshot from the leader was installed. */
  snapshotInstalled(index: number, bytes: number): void {
    this.#log.info("installed snapshot", { index, bytes });
  }

  /** One WAL write of `bytes` was synced in `seconds`. */
  walSynced(seconds: number, bytes: number): void {
    const metrics = this.#metrics;
    if (metrics !== undefined) {
      metrics.disk.walFsyncSeconds.observe(seconds);
      metrics.disk.walWriteBytes.inc(bytes);
    }
    if (seconds > this.#slowFsyncSeconds) {
      this.#log.warn("slow fsync", {
        durationMs: Math.round(seconds * MS_PER_SECOND),
        thresholdMs: Math.round(this.#slowFsyncSeconds * MS_PER_SECOND),
        bytes,
      });
    }
  }

  /** `bytes` were written to peer `to`. */
  peerSent(to: string, bytes: number): void {
    this.#metrics?.network.peerSentBytes.labels(to).inc(bytes);
  }

  /** `bytes` arrived from peer `from`. */
  peerReceived(from: string, bytes: number): void {
    this.#metrics?.network.peerReceivedBytes.labels(from).inc(bytes);
  }

  /** `messages` to peer `to` were dropped unsent. */
  peerSendFailed(to: string, messages: number): void {
    this.#metrics?.network.peerSentFailures.labels(to).inc(messages);
  }

  /** Peer `to` answered a heartbeat `seconds` after it was sent. */
  heartbeatAnswered(to: string, seconds: number): void {
    this.#metrics?.network.peerRoundTripSeconds.labels(to).observe(seconds);
  }

  /** Storage failed; the node stops. */
  storageFailed(error: string): void {
    this.#log.error("storage failure; exiting", { error });
  }
}
