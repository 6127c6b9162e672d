/**
 * Forwarding over real sockets, with the server's own way of sending
 * (`peerFetch`): a leader that reads a forwarded write and dies before
 * answering leaves the write's fate unknown, whatever the next connection
 * attempt says.
 */

import { assertEquals } from "../assert.ts";
import { createApp } from "../../src/http/mod.ts";
import { peerFetch } from "../../src/security.ts";
import { FakeNode } from "./fake_node.ts";
import { send } from "./send.ts";

/**
 * A stand-in leader on a free port: it answers the first request, then
 * reads the second and closes the connection and its listener without
 * answering, as a process that dies there would.
 */
function dyingLeader(): { addr: string; requests: string[]; done: Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const requests: string[] = [];
  const ok = new TextEncoder().encode(
    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}",
  );
  const serve = async (conn: Deno.Conn) => {
    const buffer = new Uint8Array(64 * 1024);
    for (;;) {
      const read = await conn.read(buffer).catch(() => null);
      if (read === null) return;
      requests.push(new TextDecoder().decode(buffer.subarray(0, read)).split("\r\n")[0]!);
      if (requests.length === 1) {
        await conn.write(ok);
        continue;
      }
      listener.close();
      conn.close();
      return;
    }
  };
  const done = (async () => {
    const served: Promise<void>[] = [];
    try {
      for await (const conn of listener) served.push(serve(conn));
    } catch {
      // Closed.
    }
    await Promise.all(served);
  })();
  return { addr: `127.0.0.1:${(listener.addr as Deno.NetAddr).port}`, requests, done };
}

Deno.test("a forwarded write the leader read but never answered is indeterminate, not refused", async () => {
  const leader = dyingLeader();
  const follower = new FakeNode();
  follower.leaderHttpAddr = leader.addr;
  using peer = disposable(peerFetch(null));
  const app = createApp(follower, { fetch: peer.fetch });
  const first = await send(app, "PUT", "/put", JSON.stringify({ key: "a", value: "1" }));
  assertEquals(first.status, 200);
  const second = await send(app, "PUT", "/put", JSON.stringify({ key: "a", value: "2" }));
  await leader.done;
  assertEquals(leader.requests, ["PUT /put HTTP/1.1", "PUT /put HTTP/1.1"]);
  assertEquals(second.status, 503);
  assertEquals(second.body.indeterminate, true, JSON.stringify(second.body));
});

Deno.test("a leader that refuses the connection never got the forwarded write", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const addr = `127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
  listener.close();
  const follower = new FakeNode();
  follower.leaderHttpAddr = addr;
  using peer = disposable(peerFetch(null));
  const answer = await send(createApp(follower, { fetch: peer.fetch }), "DELETE", "/delete?key=a");
  assertEquals(answer.status, 503);
  assertEquals(answer.body.indeterminate, false, JSON.stringify(answer.body));
});

/** `peer` closed when the block ends. */
function disposable<T extends { close(): void }>(peer: T): T & Disposable {
  return Object.assign(peer, { [Symbol.dispose]: () => peer.close() });
}
