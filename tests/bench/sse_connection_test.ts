import { assertEquals, assertMatch, assertRejectsWith } from "../assert.ts";
import { SseConnection, SseConnectionError } from "../../bench/sse_connection.ts";
import { HttpProtocolError } from "../../bench/http_response.ts";

/** A TCP server that answers one connection with `pieces`, written one at a time. */
function rawServer(pieces: string[]): { url: string; done: Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const done = (async () => {
    const conn = await listener.accept();
    listener.close();
    await conn.read(new Uint8Array(4096));
    for (const piece of pieces) {
      await conn.write(new TextEncoder().encode(piece));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    conn.close();
  })();
  return { url: `http://127.0.0.1:${listener.addr.port}/watch?prefix=`, done };
}

Deno.test("an SSE connection undoes chunks split anywhere and hands over whole messages", async () => {
  const body = "id: 1\nevent: change\ndata: {}\n\nid: 2\nevent: progress\ndata: {}\n\n";
  const chunk1 = body.slice(0, 17);
  const chunk2 = body.slice(17);
  const server = rawServer([
    "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n",
    `${chunk1.length.toString(16)};ext=1\r`,
    `\n${chunk1}\r`,
    `\n${chunk2.length.toString(16).toUpperCase()}\r\n${chunk2.slice(0, 3)}`,
    `${chunk2.slice(3)}\r\n0\r\n\r\n`,
  ]);
  const connection = await SseConnection.open(server.url, 5000);
  const messages: string[] = [];
  await connection.read((bytes, start, end) =>
    messages.push(new TextDecoder().decode(bytes.subarray(start, end)))
  );
  await server.done;
  assertEquals(messages, ["id: 1\nevent: change\ndata: {}", "id: 2\nevent: progress\ndata: {}"]);
});

Deno.test("an SSE connection refuses an answer other than 200 with its body", async () => {
  const server = rawServer([
    'HTTP/1.1 410 Gone\r\ncontent-length: 17\r\n\r\n{"error":"gone"}\n',
  ]);
  const error = await assertRejectsWith(SseConnection.open(server.url, 5000), SseConnectionError);
  assertMatch(error.message, /answered 410: \{"error":"gone"\}/);
  await server.done;
});

Deno.test("an SSE connection finds a blank line split between two reads, and refuses a bad chunk size", async () => {
  const server = rawServer([
    "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n",
    "1d\r\nid: 1\nevent: change\ndata: {}\n\r\n",
    "1\r\n\n\r\n",
    "zz\r\n",
  ]);
  const connection = await SseConnection.open(server.url, 5000);
  const messages: string[] = [];
  const error = await assertRejectsWith(
    connection.read((bytes, start, end) =>
      messages.push(new TextDecoder().decode(bytes.subarray(start, end)))
    ),
    HttpProtocolError,
  );
  await server.done;
  assertEquals(messages, ["id: 1\nevent: change\ndata: {}"]);
  assertMatch(error.message, /malformed chunk size/);
});
