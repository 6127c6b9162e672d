import { assertEquals } from "../assert.ts";
import { fakeApp } from "./fake_node.ts";
import { send } from "./send.ts";

const BINARY = new Uint8Array([0, 0xff, 0xfe, 0x80, 0x41]);

function raw(
  app: ReturnType<typeof fakeApp>["app"],
  method: string,
  path: string,
  init: { body?: BodyInit | undefined; headers?: Record<string, string> } = {},
): Promise<Response> {
  const request: RequestInit = { method, headers: init.headers ?? {} };
  if (init.body !== undefined) request.body = init.body;
  return Promise.resolve(app.request(`http://127.0.0.1:8002${path}`, request));
}

Deno.test("PUT /kv/<key> stores the raw body; GET returns the same bytes with an ETag", async () => {
  const { node, app } = fakeApp();
  const created = await raw(app, "PUT", "/kv/files/a%20b/c.bin", { body: BINARY });
  assertEquals(created.status, 201);
  assertEquals(created.headers.get("etag"), '"1"');
  assertEquals(await created.json(), { key: "files/a b/c.bin", index: 1 });
  const read = await raw(app, "GET", "/kv/files/a%20b/c.bin");
  assertEquals(read.status, 200);
  assertEquals(read.headers.get("content-type"), "application/octet-stream");
  assertEquals(read.headers.get("etag"), '"1"');
  assertEquals(await read.bytes(), BINARY);
  const replaced = await raw(app, "PUT", "/kv/files/a%20b/c.bin", { body: "text" });
  assertEquals(replaced.status, 200);
  await replaced.body?.cancel();
  assertEquals(node.port.state.read("files/a b/c.bin")?.value, "text");
  // The JSON API shows bytes that are not UTF-8 as base64.
  await raw(app, "PUT", "/kv/bin", { body: BINARY }).then((r) => r.body?.cancel());
  const listed = await send(app, "GET", "/keys?prefix=bin");
  assertEquals(listed.body.items[0].value, "AP/+gEE=");
  assertEquals(listed.body.items[0].encoding, "base64");
});

Deno.test("If-Match is compare-and-swap and If-None-Match: * is create-only", async () => {
  const { app } = fakeApp();
  const create = await raw(app, "PUT", "/kv/k", { body: "1", headers: { "if-none-match": "*" } });
  assertEquals(create.status, 201);
  await create.body?.cancel();
  const again = await raw(app, "PUT", "/kv/k", { body: "2", headers: { "if-none-match": "*" } });
  assertEquals(again.status, 412);
  assertEquals((await again.json()).current.value, "1");
  const stale = await raw(app, "PUT", "/kv/k", { body: "2", headers: { "if-match": '"7"' } });
  assertEquals(stale.status, 412);
  await stale.body?.cancel();
  const swap = await raw(app, "PUT", "/kv/k", { body: "2", headers: { "if-match": '"1"' } });
  assertEquals([swap.status, swap.headers.get("etag")], [200, '"4"']);
  await swap.body?.cancel();
  const wrongDelete = await raw(app, "DELETE", "/kv/k", { headers: { "if-match": '"1"' } });
  assertEquals(wrongDelete.status, 412);
  await wrongDelete.body?.cancel();
  const deleted = await raw(app, "DELETE", "/kv/k", { headers: { "if-match": '"4"' } });
  assertEquals(await deleted.json(), { key: "k", deleted: true, index: 6 });
  const missing = await raw(app, "DELETE", "/kv/k");
  assertEquals(missing.status, 404);
  assertEquals(await missing.json(), { error: 'Key "k" not found' });
});

Deno.test("GET with a matching If-None-Match answers 304; a missing key 404", async () => {
  const { app } = fakeApp();
  await raw(app, "PUT", "/kv/k", { body: "v" }).then((r) => r.body?.cancel());
  const same = await raw(app, "GET", "/kv/k", { headers: { "if-none-match": '"1"' } });
  assertEquals([same.status, same.headers.get("etag")], [304, '"1"']);
  const other = await raw(app, "GET", "/kv/k?level=stale", { headers: { "if-none-match": '"0"' } });
  assertEquals(await other.text(), "v");
  const missing = await raw(app, "GET", "/kv/nope");
  assertEquals([missing.status, await missing.json()], [404, { error: 'Key "nope" not found' }]);
});

Deno.test("bad /kv input answers 400 and writes nothing; a body over the value limit too", async () => {
  const { node, app } = fakeApp({ valueBytesMax: 4 });
  const cases: [string, string, Record<string, string>, string][] = [
    ["PUT", "/kv/", {}, 'Field "key" must not be empty'],
    ["PUT", "/kv/%ZZ", {}, 'Key path "/kv/%ZZ" is not valid percent-encoded UTF-8'],
    ["PUT", "/kv/%C3", {}, "is not valid percent-encoded UTF-8"],
    ["PUT", "/kv/k", { "if-match": "*" }, 'Invalid If-Match "*": expected one ETag'],
    ["PUT", "/kv/k", { "if-match": "7" }, 'Invalid If-Match "7"'],
    ["PUT", "/kv/k", { "if-none-match": '"3"' }, 'Invalid If-None-Match ""3""'],
    ["PUT", "/kv/k", { "if-match": '"1"', "if-none-match": "*" }, "not both"],
    ["DELETE", "/kv/k", { "if-none-match": "*" }, "a delete takes none"],
    ["GET", "/kv/k?level=never", {}, 'Invalid read level "never"'],
  ];
  for (const [method, path, headers, message] of cases) {
    const answer = await raw(app, method, path, {
      headers,
      body: method === "PUT" ? "v" : undefined,
    });
    const body = await answer.json();
    assertEquals(answer.status, 400, `${method} ${path}`);
    assertEquals(body.error.includes(message), true, `${body.error} lacks ${message}`);
  }
  const big = await raw(app, "PUT", "/kv/k", { body: "12345" });
  assertEquals(await big.json(), { error: 'Value of "5" bytes exceeds the limit of "4" bytes' });
  assertEquals(node.port.state.appliedIndex, 0);
});
