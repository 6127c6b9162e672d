/**
 * Peer round trips timed on the leader: from a heartbeat round's send to
 * each follower's answer echoing that round (`hb` → `hbResp` with the same
 * `seq` and term). Observed at the transport's edge, so the time covers the
 * network both ways and the follower's turn, not this node's own queue.
 *
 * @module
 */

import type { Message, NodeId } from "../raft/types.ts";
import type { Clock, PeerTransport, TransportFactory } from "./ports.ts";

/** Heartbeat rounds remembered; an answer to an older round is not timed. */
export const ROUNDS_KEPT = 64;
const MS_PER_SECOND = 1000;

/**
 * The send times of the last {@link ROUNDS_KEPT} heartbeat rounds, in a
 * fixed ring: noting and answering allocate nothing.
 *
 * @example
 * ```ts
 * import { RoundTrips } from "./round_trips.ts";
 * import { newMessage } from "../raft/message.ts";
 * let nowMs = 1000;
 * const seen: string[] = [];
 * const trips = new RoundTrips({ nowMs: () => nowMs }, (to, s) => seen.push(`${to} ${s}`));
 * const hb = newMessage("hb", "n1", "n2", 3);
 * hb.seq = 7;
 * trips.sent([hb]);
 * nowMs += 4;
 * const answer = newMessage("hbResp", "n2", "n1", 3);
 * answer.seq = 7;
 * trips.answered(answer);
 * if (seen.join() !== "n2 0.004") throw new Error(seen.join());
 * ```
 */
export class RoundTrips {
  readonly #clock: Pick<Clock, "nowMs">;
  readonly #observe: (to: NodeId, seconds: number) => void;
  readonly #seqs = new Float64Array(ROUNDS_KEPT).fill(-1);
  readonly #terms = new Float64Array(ROUNDS_KEPT);
  readonly #sentMs = new Float64Array(ROUNDS_KEPT);

  /**
   * @param clock a monotonic clock
   * @param observe told each answered round trip, by the peer that answered
   */
  constructor(clock: Pick<Clock, "nowMs">, observe: (to: NodeId, seconds: number) => void) {
    this.#clock = clock;
    this.#observe = observe;
  }

  /** Notes when each heartbeat round among `messages` first went out. */
  sent(messages: readonly Message[]): void {
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      if (m.type !== "hb") continue;
      const slot = m.seq % ROUNDS_KEPT;
      // One round goes to every follower, maybe in several sends: time it from the first.
      if (this.#seqs[slot] === m.seq && this.#terms[slot] === m.term) continue;
      this.#seqs[slot] = m.seq;
      this.#terms[slot] = m.term;
      this.#sentMs[slot] = this.#clock.nowMs();
    }
  }

  /** Times `m` when it answers a heartbeat round still remembered. */
  answered(m: Message): void {
    if (m.type !== "hbResp") return;
    const slot = m.seq % ROUNDS_KEPT;
    if (this.#seqs[slot] !== m.seq || this.#terms[slot] !== m.term) return;
    this.#observe(m.from, (this.#clock.nowMs() - this.#sentMs[slot]!) / MS_PER_SECOND);
  }
}

/**
 * `factory`'s transports, with heartbeats and their answers shown to
 * `trips` on the way out and in.
 *
 * @example
 * ```ts ignore
 * const transport = timeRoundTrips(tcpFactory, new RoundTrips(systemClock, observe));
 * ```
 */
export function timeRoundTrips(factory: TransportFactory, trips: RoundTrips): TransportFactory {
  return (handlers, clusterId) => {
    const inner = factory({
      ...handlers,
      onMessage(m) {
        trips.answered(m);
        handlers.onMessage(m);
      },
    }, clusterId);
    const timed: PeerTransport = {
      listen: () => inner.listen(),
      send(messages) {
        trips.sent(messages);
        inner.send(messages);
      },
      sendSnapshot: (m, source) => inner.sendSnapshot(m, source),
      setPeer: (id, raftAddr) => inner.setPeer(id, raftAddr),
      removePeer: (id) => inner.removePeer(id),
      probe: (raftAddr, timeoutMs) => inner.probe(raftAddr, timeoutMs),
      inboundStats: () => inner.inboundStats(),
      close: () => inner.close(),
    };
    return timed;
  };
}
