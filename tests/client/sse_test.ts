import { assertEquals, assertRejectsWith, assertTrue } from "../assert.ts";
import { readSse, SseError, type SseEvent } from "../../src/client/sse.ts";
import { backoffMs } from "../../src/client/backoff.ts";

/** A body that delivers `chunks` one by one, as a network would. */
function body(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function events(chunks: string[]): Promise<SseEvent[]> {
  const seen: SseEvent[] = [];
  for await (const event of readSse(body(chunks))) seen.push(event);
  return seen;
}

Deno.test("sse: events split anywhere across chunks, CRLF split between chunks", async () => {
  const text = 'id: 7\r\nevent: change\r\ndata: {"index":7}\r\n\r\nid: 8\ndata: x\n\n';
  const whole = await events([text]);
  for (let cut = 1; cut < text.length; cut++) {
    assertEquals(await events([text.slice(0, cut), text.slice(cut)]), whole, `cut at ${cut}`);
  }
  assertEquals(whole, [
    { id: "7", event: "change", data: '{"index":7}' },
    { id: "8", event: "message", data: "x" },
  ]);
});

Deno.test("sse: comments, fields without a colon or space, events without data, an unfinished tail", async () => {
  const seen = await events([
    ": keep-alive\n\n",
    "event: progress\n\n",
    "data\ndata:two\n\n",
    "id: a\0b\ndata: nul\n\n",
    "data: never finished\n",
  ]);
  assertEquals(seen, [
    { id: null, event: "message", data: "\ntwo" },
    { id: null, event: "message", data: "nul" },
  ]);
});

Deno.test("sse: a line past the size bound is refused rather than buffered", async () => {
  const huge = "data: " + "x".repeat(64 * 1024 * 1024 + 1);
  await assertRejectsWith(events([huge]), SseError);
});

Deno.test("backoff: grows by doubling from the base, capped, with half of it jittered", () => {
  const low = [0, 1, 2, 3, 10, 100].map((n) => backoffMs(n, 20, 500, () => 0));
  assertEquals(low, [10, 20, 40, 80, 250, 250]);
  const high = [0, 1, 2, 3, 10, 100].map((n) => backoffMs(n, 20, 500, () => 0.999999));
  assertTrue(high.every((ms, i) => ms >= low[i]! && ms < low[i]! * 2), String(high));
});
