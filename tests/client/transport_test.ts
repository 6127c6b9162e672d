import { assertEquals, assertRejectsWith, assertTrue } from "../assert.ts";
import {
  BadRequestError,
  ForbiddenError,
  IndeterminateError,
  NotFoundError,
  PreconditionFailedError,
  RafterClient,
  RafterError,
  UnauthorizedError,
  UnavailableError,
} from "../../src/client/mod.ts";
import { FakeCluster } from "./fake_cluster.ts";

function writesSeen(fake: FakeCluster, path = "/key"): number {
  return fake.requests.filter((r) => r.method !== "GET" && r.path === path).length;
}

Deno.test("client: a follower-only endpoint list finds the leader by 307, keeps the token, caches it", async () => {
  const fake = new FakeCluster();
  fake.token = "s3cret";
  using client = fake.client([1, 2], { token: "s3cret" });
  assertEquals((await client.put("a", "1")).key, "a");
  assertEquals(client.leader, fake.origins[0]);
  assertEquals(fake.requests.map((r) => r.node), [1, 0]);
  assertEquals(fake.requests[1]!.headers.get("authorization"), "Bearer s3cret");
  await client.put("b", "2");
  await client.get("b");
  // Once known, the leader is asked directly.
  assertEquals(fake.requests.map((r) => r.node), [1, 0, 0, 0]);
  assertEquals(fake.store.get("a")?.value, "1");
});

Deno.test("client: a refused connection moves to the next endpoint, for reads and writes", async () => {
  const fake = new FakeCluster();
  fake.down.add(1);
  using client = fake.client([1, 0]);
  await client.put("a", "1");
  assertEquals((await client.get("a", { level: "stale" })).value, "1");
  assertEquals(fake.store.index, 2, "the write was applied once");
});

Deno.test("client: a write answered 503 with indeterminate false is sent again", async () => {
  const fake = new FakeCluster();
  fake.faults.push({ status: 503, body: { error: "No leader is known", indeterminate: false } });
  using client = fake.client();
  await client.put("a", "1");
  // The leader's 503, a follower's 307 to the leader, then the leader's answer.
  assertEquals(fake.requests.map((r) => r.node), [0, 1, 0]);
  assertEquals(fake.store.index, 2, "applied once");
});

Deno.test("client: a write answered 503 with indeterminate true, or without the field, is not retried", async () => {
  const fake = new FakeCluster();
  using client = fake.client();
  fake.faults.push({ status: 503, body: { error: "Leadership lost", indeterminate: true } });
  const error = await assertRejectsWith(client.put("a", "1"), IndeterminateError);
  assertEquals(error.status, 503);
  assertTrue(/Leadership lost/.test(error.message), error.message);
  fake.faults.push({ status: 503, body: { error: "Request timed out" } });
  await assertRejectsWith(client.delete("a"), IndeterminateError);
  assertEquals(writesSeen(fake), 2, "each write was sent once");
});

Deno.test("client: a read answered 503 is retried on another node", async () => {
  const fake = new FakeCluster();
  fake.store.put("a", "1");
  fake.faults.push({ status: 503, body: { error: "No leader is known" } });
  using client = fake.client();
  assertEquals((await client.get("a", { level: "consistent" })).value, "1");
  assertEquals(fake.requests.map((r) => r.node), [0, 1]);
});

Deno.test("client: a write whose answer is lost is IndeterminateError, and took effect once", async () => {
  const fake = new FakeCluster();
  fake.loseAnswers = 1;
  using client = fake.client();
  await assertRejectsWith(client.put("a", "1"), IndeterminateError);
  assertEquals(writesSeen(fake), 1);
  assertEquals(fake.store.get("a")?.value, "1");
});

Deno.test("client: a call with no answer before the timeout: reads unavailable, writes indeterminate", async () => {
  const fake = new FakeCluster();
  fake.hold = true;
  using client = fake.client([0], { timeoutMs: 100 });
  const read = await assertRejectsWith(client.get("a"), UnavailableError);
  assertTrue(/within 100 ms/.test(read.message), read.message);
  await assertRejectsWith(client.put("a", "1"), IndeterminateError);
});

Deno.test("client: an abort mid-call rejects at once with the signal's reason", async () => {
  const fake = new FakeCluster();
  fake.hold = true;
  using client = fake.client();
  const stop = new AbortController();
  const call = client.put("a", "1", { signal: stop.signal });
  setTimeout(() => stop.abort(new Error("caller gave up")), 20);
  const started = performance.now();
  const error = await assertRejectsWith(call, Error);
  assertEquals(error.message, "caller gave up");
  assertTrue(performance.now() - started < 5_000);
  fake.hold = false;
  await client.put("b", "2");
  await assertRejectsWith(client.get("b", { signal: AbortSignal.abort() }), DOMException);
});

Deno.test("client: every endpoint down is UnavailableError naming the last failure", async () => {
  const fake = new FakeCluster();
  for (const node of [0, 1, 2]) fake.down.add(node);
  using client = fake.client([0, 1, 2], { timeoutMs: 100 });
  const error = await assertRejectsWith(client.put("a", "1"), UnavailableError);
  assertEquals(error.status, 0);
  assertTrue(/Connection refused/.test(error.message), error.message);
  assertTrue(new Set(fake.requests.map((r) => r.node)).size === 0, "nothing reached a node");
});

Deno.test("client: answers map to typed errors", async () => {
  const fake = new FakeCluster();
  using client = fake.client();
  await assertRejectsWith(client.get("missing"), NotFoundError);
  const { index } = await client.put("a", "1");
  const failed = await assertRejectsWith(
    client.put("a", "2", { prevIndex: index + 5 }),
    PreconditionFailedError,
  );
  assertEquals(failed.current?.value, "1");
  assertEquals(failed.current?.modIndex, index);
  fake.faults.push({ status: 403, body: { error: "Read only" } });
  await assertRejectsWith(client.put("a", "3"), ForbiddenError);
  await assertRejectsWith(client.deletePrefix(""), BadRequestError);
  fake.token = "t";
  const denied = await assertRejectsWith(client.get("a"), UnauthorizedError);
  assertEquals(denied.message, "Missing or invalid token");
});

Deno.test("client: a redirect never downgrades https, and the token follows", async () => {
  const seen: { url: string; authorization: string | null }[] = [];
  const fetchStub = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    seen.push({ url: request.url, authorization: request.headers.get("authorization") });
    if (new URL(request.url).host === "a.test:8443") {
      return Promise.resolve(
        new Response("{}", { status: 307, headers: { location: "http://b.test:8443/key" } }),
      );
    }
    return Promise.resolve(Response.json({ key: "k", index: 3 }));
  };
  using client = new RafterClient({
    endpoints: ["https://a.test:8443"],
    token: "t",
    fetch: fetchStub,
  });
  await client.put("k", "v");
  assertEquals(seen.map((s) => s.url), ["https://a.test:8443/key", "https://b.test:8443/key"]);
  assertEquals(seen.map((s) => s.authorization), ["Bearer t", "Bearer t"]);
});

Deno.test("client: bad options are refused with the value quoted", () => {
  const cases: [unknown, RegExp][] = [
    [{ endpoints: [] }, /at least one endpoint/],
    [{ endpoints: ["ftp://a:1"] }, /Invalid endpoint "ftp:\/\/a:1"/],
    [{ endpoints: ["http://a:1/path"] }, /only scheme, host and port/],
    [{ endpoints: ["a:1"], timeoutMs: 0 }, /"timeoutMs" must be a positive integer, got "0"/],
    [{ endpoints: ["a:1"], backoffBaseMs: 50, backoffMaxMs: 10 }, /at least "backoffBaseMs"/],
  ];
  for (const [options, pattern] of cases) {
    let message = "";
    try {
      new RafterClient(options as never);
    } catch (error) {
      message = (error as Error).message;
    }
    assertTrue(pattern.test(message), `${JSON.stringify(options)}: ${message}`);
  }
});

Deno.test("client: a 2xx answer that is not JSON is a RafterError naming the node", async () => {
  const fetchStub = () => Promise.resolve(new Response("<html>proxy page</html>"));
  using client = new RafterClient({ endpoints: ["http://a.test:1"], fetch: fetchStub });
  const error = await assertRejectsWith(client.get("k"), RafterError);
  assertEquals(
    error.message,
    'Answer from "http://a.test:1" is not JSON: "<html>proxy page</html>"',
  );
});
