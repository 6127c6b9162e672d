/**
 * Server-sent events: a bounded parser of a `text/event-stream` body into events, following
 * the HTML standard's rules (any line ending, `:` comments, multi-line `data`).
 *
 * @module
 */

/** One dispatched event. */
export interface SseEvent {
  /** The `id:` of this event, or null when it had none. */
  id: string | null;
  /** The `event:` type, `message` when none was given. */
  event: string;
  /** The `data:` lines joined with newlines. */
  data: string;
}

/**
 * Largest event accepted, in UTF-16 units of buffered text (a 1 MiB value fits many times).
 *
 * @example
 * ```ts
 * import { SSE_EVENT_CHARS_MAX } from "./sse.ts";
 * if (SSE_EVENT_CHARS_MAX < 16 * 1024 * 1024) throw new Error();
 * ```
 */
export const SSE_EVENT_CHARS_MAX = 64 * 1024 * 1024;

/**
 * The stream broke the size bound.
 *
 * @example
 * ```ts
 * import { readSse, SseError, SSE_EVENT_CHARS_MAX } from "./sse.ts";
 * const huge = new Blob(["data: ", "x".repeat(SSE_EVENT_CHARS_MAX + 1)]).stream();
 * const failed = await (async () => {
 *   for await (const _ of readSse(huge)) return null;
 * })().catch((error) => error);
 * if (!(failed instanceof SseError)) throw new Error();
 * ```
 */
export class SseError extends Error {
  /** @param message what was wrong */
  constructor(message: string) {
    super(message);
    this.name = "SseError";
  }
}

class EventBuilder {
  id: string | null = null;
  event = "";
  data: string[] = [];
  chars = 0;

  field(line: string): void {
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const name = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    this.chars += value.length;
    if (this.chars > SSE_EVENT_CHARS_MAX) {
      throw new SseError(`Event exceeds the limit of "${SSE_EVENT_CHARS_MAX}" characters`);
    }
    if (name === "data") this.data.push(value);
    else if (name === "event") this.event = value;
    else if (name === "id" && !value.includes("\0")) this.id = value;
  }

  /** The event to dispatch at a blank line, or null when it has no data; then resets. */
  take(): SseEvent | null {
    const event = this.data.length === 0 ? null : {
      id: this.id,
      event: this.event === "" ? "message" : this.event,
      data: this.data.join("\n"),
    };
    this.id = null;
    this.event = "";
    this.data = [];
    this.chars = 0;
    return event;
  }
}

/**
 * Parses `body` into events as they arrive; ends when the stream ends (an event not yet
 * terminated by a blank line is dropped, as the standard says).
 *
 * @example
 * ```ts
 * import { readSse } from "./sse.ts";
 * const text = "id: 5\nevent: change\ndata: {\"index\":5}\n\n: a comment\r\ndata: a\r\ndata: b\r\n\r\n";
 * const events = [];
 * for await (const event of readSse(new Blob([text]).stream())) events.push(event);
 * if (events.length !== 2 || events[0]!.id !== "5" || events[1]!.data !== "a\nb") throw new Error();
 * ```
 */
export async function* readSse(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<SseEvent, void, undefined> {
  const builder = new EventBuilder();
  let pending = "";
  for await (const chunk of body.pipeThrough(new TextDecoderStream())) {
    pending += chunk;
    if (pending.length > SSE_EVENT_CHARS_MAX) {
      throw new SseError(`Line exceeds the limit of "${SSE_EVENT_CHARS_MAX}" characters`);
    }
    let start = 0;
    for (;;) {
      const end = lineEnd(pending, start);
      if (end === -1) break;
      const line = pending.slice(start, end);
      // A CR at the end of the text may be the first half of a CRLF: wait for more.
      if (pending[end] === "\r" && end + 1 === pending.length) break;
      start = end + (pending[end] === "\r" && pending[end + 1] === "\n" ? 2 : 1);
      if (line === "") {
        const event = builder.take();
        if (event !== null) yield event;
      } else {
        builder.field(line);
      }
    }
    pending = pending.slice(start);
  }
}

function lineEnd(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || c === 0x0d) return i;
  }
  return -1;
}
