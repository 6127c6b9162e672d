import { assertEquals } from "../assert.ts";
import { Watchers } from "../../bench/watchers.ts";

Deno.test("watchers time change events, skip progress, and count an error event as an end", async () => {
  const events = [
    'id: 4\nevent: progress\ndata: {"index":4}\n\n',
    'id: 5\nevent: change\ndata: {"index":5,"changes":[]}\n\nid: 6\nevent: change\ndata: {"index":6,',
    '"changes":[]}\n\nevent: error\ndata: {"error":"slow","reason":"slow"}\n\n',
  ];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        for (const event of events) {
          controller.enqueue(new TextEncoder().encode(event));
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        controller.close();
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  });
  try {
    const url = `http://127.0.0.1:${server.addr.port}`;
    const watchers = await Watchers.open(url, { perKey: 0, wholeSpace: 1, keys: 10 });
    for (let i = 0; i < 100 && watchers.tally().ended === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const tally = watchers.tally();
    await watchers.close();
    assertEquals([...tally.deliveries.indexes.subarray(0, tally.deliveries.count)], [5, 6]);
    assertEquals([...tally.wholeSpace[0]!], [5, 6]);
    assertEquals([tally.ended, tally.firstEnd], [1, '{"error":"slow","reason":"slow"}']);
  } finally {
    await server.shutdown();
  }
});
