import { assertEquals, assertTrue } from "../assert.ts";
import type { NodeStatus } from "../../src/api.ts";
import { STATUS_STREAMS_MAX } from "../../src/http/routes_status_feed.ts";
import { DASHBOARD_SCRIPT } from "../../src/ui/page.ts";
import { fakeApp, member } from "./fake_node.ts";

Deno.test("GET /ui serves one self-contained page that may load nothing from elsewhere", async () => {
  const { app } = fakeApp();
  const response = await app.request("/ui");
  const html = await response.text();
  assertEquals(response.status, 200);
  assertEquals(response.headers.get("content-type"), "text/html; charset=utf-8");
  const csp = response.headers.get("content-security-policy") ?? "";
  assertTrue(csp.includes("default-src 'none'") && csp.includes("connect-src 'self'"), csp);
  assertTrue(!/\b(src|href)=["']?(https?:)?\/\//i.test(html), "no external resource");
  assertTrue(html.includes('id="members"') && html.includes('id="keys-rows"'));
});

Deno.test("the dashboard script is valid JavaScript", () => {
  // Parsing only: the script needs a browser to run (tests/ui/ runs it).
  new Function(DASHBOARD_SCRIPT);
});

async function firstEvent(
  body: ReadableStream<Uint8Array>,
): Promise<{ event: string; data: unknown }> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  try {
    for (let i = 0; i < 100 && !text.includes("\n\n"); i++) {
      const { done, value } = await reader.read();
      if (done) break;
      text += value;
    }
  } finally {
    await reader.cancel();
  }
  const block = text.split("\n\n")[0]!;
  const event = /^event: (.*)$/m.exec(block)?.[1] ?? "";
  const data = JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? "null");
  return { event, data };
}

function peerStatus(id: string, role: "leader" | "follower", applied: number): NodeStatus {
  return {
    id,
    clusterId: "c0ffee",
    role,
    term: 2,
    leaderId: "n2",
    leaderHttpAddr: "127.0.0.1:8002",
    commitIndex: 10,
    appliedIndex: applied,
    lastLogIndex: 10,
    snapshotIndex: 0,
    droppedPeerMessages: 0,
    members: [
      { ...member("n1", "127.0.0.1:7001", "127.0.0.1:8001"), matchIndex: 8, lastContactMs: 40 },
      { ...member("n2", "127.0.0.1:7002", "127.0.0.1:8002"), matchIndex: 10, lastContactMs: 0 },
      { ...member("n3", "127.0.0.1:7003", "127.0.0.1:8003"), matchIndex: 3, lastContactMs: 2500 },
    ],
  };
}

Deno.test("GET /status/events streams each member's view, with the leader's match and lag", async () => {
  const asked: string[] = [];
  const { node, app } = fakeApp({
    fetch: (input, init) => {
      const url = String(input);
      asked.push(`${url} ${new Headers(init?.headers).get("authorization")}`);
      if (url === "http://127.0.0.1:8002/status") {
        return Promise.resolve(Response.json(peerStatus("n2", "leader", 10)));
      }
      return Promise.reject(new TypeError("connection refused"));
    },
  });
  for (let i = 0; i < 7; i++) await node.put(`k${i}`, "v");
  node.leaderHttpAddr = "127.0.0.1:8002";
  node.followerLeaderId = "n2";
  node.members = peerStatus("n1", "follower", 8).members;
  const response = await app.request("/status/events", {
    headers: { authorization: "Bearer t0k" },
  });
  assertEquals(response.headers.get("content-type"), "text/event-stream");
  // deno-lint-ignore no-explicit-any
  const { event, data } = await firstEvent(response.body!) as { event: string; data: any };
  assertEquals(event, "status");
  assertEquals(asked.sort(), [
    "http://127.0.0.1:8002/status Bearer t0k",
    "http://127.0.0.1:8003/status Bearer t0k",
  ]);
  assertEquals(data.node.id, "n1");
  const rows = data.members.map((m: Record<string, unknown>) => [
    m.id,
    m.self,
    m.reachable,
    m.role,
    m.appliedIndex,
    m.matchIndex,
    m.lagEntries,
    m.lastContactMs,
  ]);
  assertEquals(rows, [
    ["n1", true, true, "follower", 8, 8, 2, 40],
    ["n2", false, true, "leader", 10, 10, 0, 0],
    ["n3", false, false, "unknown", 0, 3, -1, 2500],
  ]);
  assertEquals(data.leaders.map((l: { leaderId: string }) => l.leaderId), ["n2"]);
  assertEquals(data.ops.writes.length, 120);
  assertEquals(data.ops.writes.reduce((a: number, b: number) => a + b, 0), 0);
  assertEquals(Object.keys(data.disk), ["walBytes", "snapshotBytes"]);
});

Deno.test("GET /status/events allows a bounded number of streams and frees one on cancel", async () => {
  const { app } = fakeApp({ statusIntervalMs: 50 });
  const open: ReadableStream<Uint8Array>[] = [];
  try {
    for (let i = 0; i < STATUS_STREAMS_MAX; i++) {
      const response = await app.request("/status/events");
      assertEquals(response.status, 200);
      open.push(response.body!);
    }
    const refused = await app.request("/status/events");
    assertEquals(refused.status, 503);
    assertTrue((await refused.json()).error.startsWith("Too many status streams open"));
    await open.pop()!.cancel();
    const again = await app.request("/status/events");
    assertEquals(again.status, 200);
    open.push(again.body!);
  } finally {
    for (const body of open) await body.cancel();
  }
});
