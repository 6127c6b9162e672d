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
   * chooses as they arrive, in order. The others wait for {@link take}.
   */
  async during(
    sync: Promise<void>,
    pick: (m: Message) => boolean,
    step: (messages: Message[]) => void,
  ): Promise<void> {
    let done = false;
    sync.then(() => done = true, () => done = true);
    while (!done) {
      await Promise.race([sync, new Promise<void>((resolve) => this.#wake = resolve)]);
      this.#wake = null;
      const picked = this.#messages.filter(pick);
      if (picked.length === 0) continue;
      this.#messages = this.#messages.filter((m) => !pick(m));
      step(picked);
    }
    await sync;
  }
}
