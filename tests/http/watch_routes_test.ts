import { assertEquals, assertTrue } from "../assert.ts";
import { fakeApp } from "./fake_node.ts";
import { post, send } from "./send.ts";

/** One parsed server-sent event. */
interface Sse {
  id?: string;
  event: string;
  // deno-lint-ignore no-explicit-any
  data: any;
}

const READ_TIMEOUT_MS = 5000;

/** Reads events from an event stream until `count` arrived (bounded in time). */
class EventReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  #buffer = "";

  constructor(response: Response) {
    this.#reader = response.body!.getReader();
  }

  async next(count: number): Promise<Sse[]> {
    const events: Sse[] = [];
    const deadline = performance.now() + READ_TIMEOUT_MS;
    while (events.length < count) {
      const end = this.#buffer.indexOf("\n\n");
      if (end >= 0) {
        events.push(parse(this.#buffer.slice(0, end)));
        this.#buffer = this.#buffer.slice(end + 2);
        continue;
      }
      if (performance.now() > deadline) throw new Error(`only ${events.length} of ${count} events`);
      const { done, value } = await this.#reader.read();
      if (done) break;
      this.#buffer += this.#decoder.decode(value);
    }
    return events;
  }

  async close(): Promise<void> {
    await this.#reader.cancel();
  }
}

function parse(block: string): Sse {
  const fields = Object.fromEntries(
    block.split("\n").map((line) => {
      const at = line.indexOf(": ");
      return [line.slice(0, at), line.slice(at + 2)];
    }),
  );
  return {
    ...(fields.id === undefined ? {} : { id: fields.id }),
    event: fields.event ?? "",
    data: JSON.parse(fields.data ?? "null"),
  };
}

async function watch(
  app: ReturnType<typeof fakeApp>["app"],
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; events: EventReader }> {
  const response = await app.request(`http://127.0.0.1:8002${path}`, { headers });
  return { status: response.status, headers: response.headers, events: new EventReader(response) };
}

Deno.test("GET /watch streams one change event per entry, with id, event and data", async () => {
  const { app } = fakeApp();
  const opened = await watch(app, "/watch?prefix=app/&prevValue=true");
  assertEquals(opened.status, 200);
  assertEquals(opened.headers.get("content-type"), "text/event-stream");
  assertEquals(await opened.events.next(1), [{ id: "0", event: "progress", data: { index: 0 } }]);
  await post(app, "/key", { key: "app/x", value: "1", prevIndex: 0 });
  await post(app, "/key", { key: "other", value: "1", prevIndex: 0 });
  await post(app, "/txn", {
    success: [{ put: { key: "app/x", value: "2" } }, { put: { key: "app/y", value: "3" } }],
  });
  const [first, second] = await opened.events.next(2);
  assertEquals(first, {
    id: "1",
    event: "change",
    data: {
      index: 1,
      changes: [{ type: "put", key: "app/x", value: "1", createIndex: 1, modIndex: 1 }],
    },
  });
  assertEquals(second!.id, "3");
  assertEquals(second!.data.changes.map((c: { key: string }) => c.key), ["app/x", "app/y"]);
  assertEquals(second!.data.changes[0].prev.value, "1");
  await opened.events.close();
});

Deno.test("fromIndex replays; Last-Event-ID resumes after the last id, with no gap or repeat", async () => {
  const { app } = fakeApp();
  for (let i = 1; i <= 6; i++) {
    await post(app, "/key", { key: "k", value: `${i}`, prevIndex: i - 1 });
  }
  const fromThree = await watch(app, "/watch?key=k&fromIndex=3");
  const events = await fromThree.events.next(5);
  assertEquals(events.map((e) => `${e.event}:${e.id}`), [
    "progress:2",
    "change:3",
    "change:4",
    "change:5",
    "change:6",
  ]);
  await fromThree.events.close();
  const resumed = await watch(app, "/watch?key=k&fromIndex=1", { "last-event-id": "4" });
  const again = await resumed.events.next(3);
  assertEquals(again.map((e) => e.id), ["4", "5", "6"]);
  assertEquals(again[1]!.data.changes[0].value, "5");
  await resumed.events.close();
});

Deno.test("a fromIndex older than the history answers 410 before streaming", async () => {
  const { node, app } = fakeApp();
  for (let i = 0; i < 1005; i++) await node.data.put(`k${i}`, "v");
  const answer = await send(app, "GET", "/watch?prefix=&fromIndex=2");
  assertEquals(answer.status, 410);
  assertEquals(answer.body.compactedIndex, 5);
  assertEquals(answer.body.currentIndex, 1005);
  assertTrue(answer.body.error.startsWith('Cannot watch from index "2"'));
});

Deno.test("progress events arrive while nothing changes", async () => {
  const { app } = fakeApp({ watchProgressMs: 30 });
  const opened = await watch(app, "/watch?key=quiet");
  const events = await opened.events.next(3);
  assertEquals(events.map((e) => e.event), ["progress", "progress", "progress"]);
  await opened.events.close();
});

Deno.test("a snapshot install ends open watches with an error event", async () => {
  const { node, app } = fakeApp();
  const opened = await watch(app, "/watch?prefix=");
  await opened.events.next(1);
  node.port.watchHistory.reset(50);
  const [ended] = await opened.events.next(1);
  assertEquals(ended!.event, "error");
  assertEquals(ended!.data.reason, "reset");
  assertEquals(ended!.data.error, 'This node installed a snapshot at index "50"; watch again');
  assertEquals(await opened.events.next(1), []);
});

Deno.test("bad watch input answers 400 and opens nothing", async () => {
  const { node, app } = fakeApp();
  const cases: [string, Record<string, string>, string][] = [
    ["/watch", {}, 'Missing field "key" or "prefix"'],
    ["/watch?key=a&prefix=b", {}, 'Give "key" or "prefix", not both'],
    ["/watch?key=a&fromIndex=0", {}, 'Invalid "fromIndex" "0": expected an integer from 1 up'],
    ["/watch?key=a&fromIndex=x", {}, 'Invalid "fromIndex" "x"'],
    ["/watch?key=a", { "last-event-id": "-1" }, 'Invalid "Last-Event-ID" "-1"'],
    ["/watch?key=", {}, 'Field "key" must not be empty'],
    ["/watch?key=a&prevValue=1", {}, 'Invalid "prevValue" "1"'],
  ];
  for (const [path, headers, message] of cases) {
    const answer = await send(app, "GET", path, undefined, headers);
    assertEquals(answer.status, 400, path);
    assertTrue(answer.body.error.includes(message), `${answer.body.error} lacks ${message}`);
  }
  assertEquals(node.port.watchHistory.watchCount, 0);
});

Deno.test("closing the stream closes the watch", async () => {
  const { node, app } = fakeApp();
  const opened = await watch(app, "/watch?key=k");
  await opened.events.next(1);
  assertEquals(node.port.watchHistory.watchCount, 1);
  await opened.events.close();
  assertEquals(node.port.watchHistory.watchCount, 0);
});
