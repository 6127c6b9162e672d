import { assertEquals } from "../assert.ts";
import { createApp, DEFAULT_LIMITS } from "../../src/http/mod.ts";
import { fakeApp, FakeNode } from "./fake_node.ts";
import { post, send } from "./send.ts";

Deno.test("the documented limits are 4 KiB keys, 1 MiB values and 1.5 MiB bodies within 10 s", () => {
  assertEquals(DEFAULT_LIMITS, {
    keyBytesMax: 4096,
    valueBytesMax: 1048576,
    bodyBytesMax: 1572864,
    bodyReadTimeoutMs: 10_000,
  });
});

Deno.test("malformed JSON, a non-object body and an empty body answer 400", async () => {
  const { node, app } = fakeApp();
  const malformed = await post(app, "/key", '{"key": "a",');
  assertEquals(malformed.status, 400);
  assertEquals(malformed.body.error.startsWith("Request body is not valid JSON"), true);
  assertEquals((await post(app, "/key", "[1]")).body, {
    error: "Request body must be a JSON object",
  });
  assertEquals((await post(app, "/key", "null")).status, 400);
  assertEquals((await send(app, "POST", "/key")).body, {
    error: "Request body is empty: expected a JSON object",
  });
  const invalid = await send(app, "POST", "/key", new Uint8Array([0x7b, 0xff, 0x7d]));
  assertEquals(invalid.body, { error: "Request body is not valid UTF-8" });
  assertEquals(node.calls, []);
});

Deno.test("missing and ill-typed fields answer 400 naming the field", async () => {
  const { node, app } = fakeApp();
  assertEquals((await post(app, "/key", { value: "v" })).body, { error: 'Missing field "key"' });
  assertEquals((await post(app, "/key", { key: "k" })).body, { error: 'Missing field "value"' });
  assertEquals((await post(app, "/key", { key: 1, value: "v" })).body, {
    error: 'Field "key" must be a string',
  });
  assertEquals((await post(app, "/key", { key: "k", value: { a: 1 } })).status, 400);
  assertEquals((await post(app, "/key", { key: "", value: "v" })).body, {
    error: 'Field "key" must not be empty',
  });
  assertEquals((await post(app, "/key", '{"key":"\\ud800","value":"v"}')).body, {
    error: 'Field "key" holds an unpaired surrogate',
  });
  assertEquals(node.calls, []);
});

Deno.test("keys of 4096 UTF-8 bytes are accepted and of 4097 refused", async () => {
  const { node, app } = fakeApp();
  const ascii = "k".repeat(4096);
  // "€" takes three UTF-8 bytes: 1365 of them make 4095 bytes.
  const euro = "€".repeat(1365) + "k";
  const pair = "🦀".repeat(1024);
  for (const key of [ascii, euro, pair]) {
    assertEquals((await post(app, "/key", { key, value: "v" })).status, 200);
    assertEquals((await send(app, "GET", `/key?key=${encodeURIComponent(key)}`)).status, 200);
  }
  for (const key of [ascii + "k", euro + "k", pair + "k"]) {
    const answer = await post(app, "/key", { key, value: "v" });
    assertEquals(answer.status, 400);
    assertEquals(answer.body, { error: 'Field "key" exceeds the limit of "4096" UTF-8 bytes' });
    const read = await send(app, "GET", `/key?key=${encodeURIComponent(key)}`);
    assertEquals(read.status, 400);
  }
  assertEquals(node.records.size, 3);
});

Deno.test("values of 1 MiB are accepted and of 1 MiB and one byte refused", async () => {
  const { node, app } = fakeApp();
  const value = "é".repeat(512 * 1024);
  assertEquals((await post(app, "/key", { key: "big", value })).status, 200);
  assertEquals(node.records.get("big")?.value.length, 512 * 1024);
  const over = await post(app, "/key", { key: "big", value: value + "x" });
  assertEquals(over.status, 400);
  assertEquals(over.body, { error: 'Field "value" exceeds the limit of "1048576" UTF-8 bytes' });
});

const bigBody = JSON.stringify({ key: "k", value: "v".repeat(1572864) });

Deno.test("a body announced larger than 1.5 MiB answers 413 before it is read", async () => {
  const { node, app } = fakeApp();
  const answer = await send(app, "POST", "/key", "{}", { "content-length": "1572865" });
  assertEquals(answer.status, 413);
  assertEquals(answer.body, {
    error: 'Request body of "1572865" bytes exceeds the limit of "1572864" bytes',
  });
  assertEquals(node.calls, []);
});

Deno.test("a body larger than 1.5 MiB answers 413 even when its Content-Length lies", async () => {
  const { node, app } = fakeApp();
  const answer = await send(app, "POST", "/key", bigBody, { "content-length": "20" });
  assertEquals(answer.status, 413);
  assertEquals(node.calls, []);
});

Deno.test("a streamed body larger than 1.5 MiB without Content-Length answers 413", async () => {
  const { node, app } = fakeApp();
  const chunk = new TextEncoder().encode("v".repeat(64 * 1024));
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      // Bounded: far past the limit, then the stream ends.
      if (sent++ < 40) controller.enqueue(chunk);
      else controller.close();
    },
  });
  const answer = await send(app, "POST", "/key", stream);
  assertEquals(answer.status, 413);
  assertEquals(answer.body, {
    error: 'Request body of "more than 1572864" bytes exceeds the limit of "1572864" bytes',
  });
  assertEquals(node.calls, []);
});

Deno.test("a streamed body in many small chunks within the limit is accepted", async () => {
  const { node, app } = fakeApp();
  const bytes = new TextEncoder().encode(JSON.stringify({ key: "k", value: "x".repeat(5000) }));
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let at = 0; at < bytes.length; at += 1000) {
        controller.enqueue(bytes.subarray(at, at + 1000));
      }
      controller.close();
    },
  });
  assertEquals((await send(app, "POST", "/key", stream)).status, 200);
  assertEquals(node.records.get("k")?.value.length, 5000);
});

Deno.test("smaller configured limits apply", async () => {
  const node = new FakeNode();
  const app = createApp(node, { keyBytesMax: 3, valueBytesMax: 2, bodyBytesMax: 40 });
  assertEquals((await post(app, "/key", { key: "abcd", value: "v" })).status, 400);
  assertEquals((await post(app, "/key", { key: "abc", value: "vvv" })).status, 400);
  assertEquals((await post(app, "/key", { key: "abc", value: "vv" })).status, 200);
  assertEquals(
    (await post(app, "/key", { key: "a", value: "v", pad: "x".repeat(40) })).status,
    413,
  );
});
