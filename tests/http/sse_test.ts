import { assertEquals } from "../assert.ts";
import type { Change } from "../../src/kv/results.ts";
import { WatchHistory } from "../../src/kv/watch_history.ts";
import { watchResponse } from "../../src/http/sse.ts";
import { put } from "../kv/changes.ts";

const decoder = new TextDecoder();

function events(chunk: string, kind: string): string[] {
  return chunk.split("\n\n").filter((block) => block.includes(`event: ${kind}\n`));
}

Deno.test("changes ready together go out in one chunk, in order, each a whole event", async () => {
  const history = new WatchHistory(0);
  const watch = history.subscribe({ prefix: "" });
  const reader = watchResponse(watch, { prevValue: false, progressMs: 60_000 }).body!.getReader();
  assertEquals(events(decoder.decode((await reader.read()).value), "progress").length, 1);
  for (let index = 1; index <= 5; index++) history.record(index, [put(`k${index}`, index)]);
  const chunk = decoder.decode((await reader.read()).value);
  assertEquals(events(chunk, "change").map((block) => block.split("\n")[0]), [
    "id: 1",
    "id: 2",
    "id: 3",
    "id: 4",
    "id: 5",
  ]);
  assertEquals(chunk.endsWith("\n\n"), true);
  await reader.cancel();
});

Deno.test("watches taking the same entry get the same text; one taking part of it gets its part", async () => {
  const history = new WatchHistory(0);
  const whole = [1, 2].map(() => history.subscribe({ prefix: "" }));
  const part = history.subscribe({ key: "b" });
  const readers = [...whole, part].map((watch) =>
    watchResponse(watch, { prevValue: false, progressMs: 60_000 }).body!.getReader()
  );
  for (const reader of readers) await reader.read();
  history.record(1, [put("a", 1), put("b", 1)]);
  const [first, second, third] = await Promise.all(
    readers.map(async (reader) => decoder.decode((await reader.read()).value)),
  );
  assertEquals(first, second);
  assertEquals(JSON.parse(first!.split("data: ")[1]!).changes.length, 2);
  assertEquals(JSON.parse(third!.split("data: ")[1]!).changes.map((c: Change) => c.key), ["b"]);
  for (const reader of readers) await reader.cancel();
});

Deno.test("an end ready behind changes is sent after them and closes the stream", async () => {
  const history = new WatchHistory(0);
  const reader = watchResponse(history.subscribe({ prefix: "" }), {
    prevValue: false,
    progressMs: 60_000,
  }).body!.getReader();
  await reader.read();
  history.record(1, [put("a", 1)]);
  history.reset(9);
  const chunk = decoder.decode((await reader.read()).value);
  assertEquals([events(chunk, "change").length, events(chunk, "error").length], [1, 1]);
  assertEquals((await reader.read()).done, true);
});

Deno.test("idle streams sharing the progress timer each get their next progress message", async () => {
  const history = new WatchHistory(3);
  const readers = [0, 1, 2].map(() =>
    watchResponse(history.subscribe({ prefix: "" }), { prevValue: false, progressMs: 40 })
      .body!.getReader()
  );
  for (const reader of readers) {
    // The first at once, then one more each with nothing written: only the shared timer wakes them.
    for (let i = 0; i < 2; i++) {
      assertEquals(events(decoder.decode((await reader.read()).value), "progress").length, 1);
    }
  }
  history.record(4, [put("k", 4)]);
  for (const reader of readers) {
    const chunk = decoder.decode((await reader.read()).value);
    assertEquals(events(chunk, "change").length + events(chunk, "progress").length >= 1, true);
    await reader.cancel();
  }
});
