import { assertEquals, assertTrue } from "../assert.ts";
import type { KvRecord, ReadLevel } from "../../src/api.ts";
import { createApp } from "../../src/http/mod.ts";
import { loggedUrl } from "../../src/http/redact.ts";
import { createLogger } from "../../src/log.ts";
import { FakeNode } from "./fake_node.ts";
import { send } from "./send.ts";

/** A node whose reads wait until `release()`. */
class StalledNode extends FakeNode {
  readonly gate = Promise.withResolvers<void>();
  override async get(key: string, level: ReadLevel): Promise<KvRecord | null> {
    await this.gate.promise;
    return super.get(key, level);
  }
}

Deno.test("requests past the in-flight bound answer 503 with Retry-After at once", async () => {
  const node = new StalledNode();
  node.records.set("k", { key: "k", value: "v", createIndex: 1, modIndex: 1 });
  const app = createApp(node, { requestsInflightMax: 2, retryAfterSeconds: 2 });
  const held = [send(app, "GET", "/key?key=k"), send(app, "GET", "/key?key=k")];
  const refused = await send(app, "GET", "/key?key=k");
  assertEquals(refused.status, 503);
  assertEquals(refused.headers.get("retry-after"), "2");
  assertEquals(refused.body, {
    error: "Too many requests in flight (limit 2); retry shortly",
    indeterminate: false,
  });
  node.gate.resolve();
  for (const answer of await Promise.all(held)) assertEquals(answer.status, 200);
  assertEquals((await send(app, "GET", "/key?key=k")).status, 200);
  // Counted under the pattern it would have matched, though no handler ran.
  const metrics = await (await app.request("/metrics")).text();
  assertTrue(
    metrics.includes('rafter_http_requests_total{method="GET",route="/key",code="503"} 1'),
    metrics,
  );
  assertTrue(
    metrics.includes('rafter_http_requests_total{method="GET",route="/key",code="200"} 3'),
  );
});

Deno.test("a body that does not arrive in time answers 408 and writes nothing", async () => {
  const node = new FakeNode();
  const app = createApp(node, { bodyReadTimeoutMs: 30 });
  const trickle = (length: boolean) => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"key":'));
      },
    });
    const headers: Record<string, string> = length ? { "content-length": "40" } : {};
    return send(app, "POST", "/key", body, headers);
  };
  for (const length of [false, true]) {
    const answer = await trickle(length);
    assertEquals(answer.status, 408);
    assertEquals(answer.body, { error: "Request body not received within 30 ms" });
  }
  assertEquals(node.calls, []);
});

Deno.test("an access_token never reaches the log, nor a /watch query string", async () => {
  const lines: string[] = [];
  const logger = createLogger("debug", { sink: (line) => lines.push(line) });
  const node = new FakeNode();
  node.error = new TypeError("boom");
  const app = createApp(node, { logger });
  const answer = await send(app, "GET", "/key?key=k&access_token=s3cret-token-value");
  assertEquals(answer.status, 500);
  assertEquals(lines.length, 1);
  assertTrue(!lines[0]!.includes("s3cret"), lines[0]);
  assertTrue(lines[0]!.includes("access_token=redacted"), lines[0]);
  const watch = new Request("http://n1:8001/watch/?prefix=app/&access_token=s3cret-token-value");
  assertEquals(loggedUrl(watch), "http://n1:8001/watch/");
});
