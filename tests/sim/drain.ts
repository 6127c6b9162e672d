/**
 * Letting every node run until it waits on something the simulation
 * controls. A message through a `MessageChannel` is a task, and the runtime
 * runs every queued microtask (every `await` continuation) before the next
 * task; since nothing in a run waits on real I/O or real timers, after one
 * drain every node is idle or waiting on the simulation. Unlike
 * `setTimeout(0)`, it has no minimum delay.
 *
 * @module
 */

/** A drain and the channel behind it, which must be closed when the run ends. */
export interface Drainer {
  drain(): Promise<void>;
  close(): void;
}

/**
 * A drainer for one run.
 *
 * @example
 * ```ts
 * import { drain } from "./drain.ts";
 * const drainer = drain();
 * let done = false;
 * Promise.resolve().then(() => Promise.resolve()).then(() => done = true);
 * await drainer.drain();
 * drainer.close();
 * if (!done) throw new Error("microtasks still queued");
 * ```
 */
export function drain(): Drainer {
  const channel = new MessageChannel();
  let waiting: (() => void) | null = null;
  channel.port1.onmessage = () => {
    const wake = waiting;
    waiting = null;
    wake?.();
  };
  return {
    drain: () =>
      new Promise<void>((resolve) => {
        waiting = resolve;
        channel.port2.postMessage(0);
      }),
    close: () => {
      channel.port1.close();
      channel.port2.close();
    },
  };
}
