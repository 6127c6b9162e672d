/**
 * The peer messages a node has received and not stepped yet, and the wait
 * for this node's own sync that steps some of them as they arrive (§10.2.1):
 * a leader's followers' acknowledgements then commit without waiting for
 * its disk.
 *
 * @module
 */

import type { Message } from "../raft/types.ts";

/**
 * Peer messages waiting for the loop.
 *
 * @example
 * ```ts
 * import { Inbox } from "./inbox.ts";
 * import type { Message } from "../raft/types.ts";
 * const inbox = new Inbox();
 * const sync = Promise.withResolvers<void>();
 * const stepped: Message[] = [];
 * const isAck = (m: Message) => m.type === "appResp";
 * const waiting = inbox.during(sync.promise, isAck, (messages) => stepped.push(...messages));
 * inbox.push({ type: "app" } as Message);
 * inbox.push({ type: "appResp" } as Message);
 * await new Promise((resolve) => setTimeout(resolve, 0));
 * if (stepped.length !== 1) throw new Error("the acknowledgement waits for the sync");
 * sync.resolve();
 * await waiting;
 * if (inbox.take().map((m) => m.type).join() !== "app") throw new Error("the append is lost");
 * ```
 */
export class Inbox {
  #messages: Message[] = [];
  #wake: (() => void) | null = null;

  /** Adds a message; a sync being waited for steps it now. */
  push(m: Message): void {
    this.#messages.push(m);
    this.#wake?.();
  }

  /** Every message waiting, in arrival order; the inbox is empty after. */
  take(): Message[] {
    const messages = this.#messages;
    this.#messages = [];
    return messages;
  }

  /**
   * Settles as `sync` does; meanwhile hands `step` the messages that `pick`
   * chooses as they arrive, in order (and those that arrived with the sync's
   * end, unless it failed). The others wait for {@link take}.
   */
  async during(
    sync: Promise<void>,
    pick: (m: Message) => boolean,
    step: (messages: Message[]) => void,
  ): Promise<void> {
    let settled = false;
    let failed = false;
    let wake: (() => void) | null = null;
    sync.then(() => {
      settled = true;
      wake?.();
    }, () => {
      settled = failed = true;
      wake?.();
    });
    this.#wake = () => wake?.();
    try {
      // A push or the sync's end can only come from another task, so each
      // wait's resolver is in place before either can call it.
      while (!settled) {
        await new Promise<void>((resolve) => wake = resolve);
        wake = null;
        if (!failed) this.#stepPicked(pick, step);
      }
    } finally {
      this.#wake = null;
    }
    await sync;
  }

  /** Hands `step` the waiting messages `pick` chooses, in order; keeps the others. */
  #stepPicked(pick: (m: Message) => boolean, step: (messages: Message[]) => void): void {
    const messages = this.#messages;
    let picked: Message[] | null = null;
    let kept = 0;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      if (pick(m)) (picked ??= []).push(m);
      else messages[kept++] = m;
    }
    if (picked === null) return;
    messages.length = kept;
    step(picked);
  }
}
