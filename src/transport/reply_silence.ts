/**
 * Whether an outbound link's peer has gone silent: a request it answers went
 * out and no answer has come from the peer since, for longer than a bound,
 * while its TCP stack took too little to show it is reading. The link then
 * dials again, and the connections the peer opened to us are closed (a
 * connection left silent by a healed partition can sit in TCP's
 * retransmission backoff for far longer than an election, in either
 * direction; the peer's own requests reaching us prove nothing about ours).
 *
 * @module
 */

import type { Message } from "../raft/types.ts";

/** How a link learns that its peer answered, and tells that the peer went silent. */
export interface PeerAnswers {
  /**
   * How many answers to our requests peer `id` has sent (a count that only
   * grows): a count read per message instead of a clock read per message.
   */
  answered(id: string): number;
  /**
   * Peer `id` went silent: its own link to us may be the dead one (its answers
   * travel on it), so the connections it opened to us are closed, which lets
   * it notice and dial again.
   */
  silent(id: string): void;
}

/** Answers to requests: only these show that the peer hears us and we hear it. */
const ANSWERS: ReadonlySet<Message["type"]> = new Set([
  "appResp",
  "hbResp",
  "voteResp",
  "preVoteResp",
  "readIndexResp",
]);

/** True for a message that answers a request (see {@link PeerAnswers}). */
export function isAnswer(type: Message["type"]): boolean {
  return ANSWERS.has(type);
}

/** Messages the peer answers: a link that sent one expects to hear from it. */
const ANSWERED: ReadonlySet<Message["type"]> = new Set([
  "app",
  "hb",
  "vote",
  "preVote",
  "snap",
  "readIndex",
]);

/**
 * Bytes the peer's TCP stack must have taken since a request for the link to
 * count as flowing though the peer has not answered yet (a large snapshot in
 * chunks is answered only at its end): more than the kernel's send buffer
 * and the peer's receive window can hold without the peer reading.
 */
const FLOWING_BYTES = 16 * 1024 * 1024;

/**
 * The requests one link has queued and written, against when the peer was
 * last heard from.
 *
 * @example
 * ```ts
 * import { ReplySilence } from "./reply_silence.ts";
 * const silence = new ReplySilence("n2", { answered: () => 0, silent: () => {} }, 0);
 * silence.queued({ type: "hb" } as import("../raft/types.ts").Message);
 * silence.writing(false);
 * if (silence.silentFor() === null) throw new Error("a request no one answered");
 * ```
 */
export class ReplySilence {
  #pendingAsks = false;
  #askedMs: number | null = null;
  /** The peer's answer count when {@link #askedMs} was taken: a higher count answered the ask. */
  #answersAtAsk = 0;
  #bytesSinceAsked = 0;
  readonly #id: string;
  readonly #answers: PeerAnswers;
  readonly #silenceMsMax: number;

  /**
   * @param id the peer's node id
   * @param answers when the peer last answered, and what to do when it is silent
   * @param silenceMsMax how long the peer may leave a request unanswered
   */
  constructor(id: string, answers: PeerAnswers, silenceMsMax: number) {
    this.#id = id;
    this.#answers = answers;
    this.#silenceMsMax = silenceMsMax;
  }

  /** `m` was queued for the next write. */
  queued(m: Message): void {
    if (ANSWERED.has(m.type)) this.#pendingAsks = true;
  }

  /** The queue was dropped unsent. */
  dropped(): void {
    this.#pendingAsks = false;
  }

  /**
   * A new connection, on which nothing was asked yet: checks it every quarter
   * of the bound and calls `silent` with the reason once the peer is silent.
   * Returns what stops the checks.
   */
  watch(silent: (reason: string) => void): () => void {
    this.#askedMs = null;
    const timer = setInterval(() => {
      const reason = this.silentFor();
      if (reason === null) return;
      this.#answers.silent(this.#id);
      silent(reason);
    }, Math.max(1, Math.floor(this.#silenceMsMax / 4)));
    return () => clearInterval(timer);
  }

  /** The queue (and a snapshot, with `snapshot`) is being written. */
  writing(snapshot: boolean): void {
    if ((this.#pendingAsks || snapshot) && this.#askedMs === null) this.#ask();
    this.#pendingAsks = false;
  }

  /** `bytes` were written: enough of them since the request shows the peer is reading. */
  flowed(bytes: number): void {
    if (this.#askedMs === null) return;
    this.#bytesSinceAsked += bytes;
    if (this.#bytesSinceAsked < FLOWING_BYTES) return;
    this.#ask();
  }

  /** Starts waiting for an answer from now on. */
  #ask(): void {
    this.#askedMs = performance.now();
    this.#answersAtAsk = this.#answers.answered(this.#id);
    this.#bytesSinceAsked = 0;
  }

  /**
   * Why the connection is presumed dead: a request went out and the peer has
   * said nothing since, for longer than the bound; or null.
   */
  silentFor(): string | null {
    if (this.#askedMs === null) return null;
    if (this.#answers.answered(this.#id) !== this.#answersAtAsk) {
      this.#askedMs = null;
      return null;
    }
    const silentMs = performance.now() - this.#askedMs;
    return silentMs < this.#silenceMsMax
      ? null
      : `no answer from the peer for ${this.#silenceMsMax} ms`;
  }
}
