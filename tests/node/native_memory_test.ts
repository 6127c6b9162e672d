// Freed native memory goes back to the system on an interval, one trim at a time, when the C
// library can be loaded; without it the node says so once and runs as before.
import { assertEquals, assertTrue } from "../assert.ts";
import { createLogger } from "../../src/log.ts";
import { openNativeTrim, startNativeTrimming } from "../../src/node/native_memory.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("native memory: trims on the interval, never two at once, and stops", async () => {
  let running = 0;
  let most = 0;
  let calls = 0;
  const trimming = startNativeTrimming(createLogger("error"), {
    intervalMs: 2,
    trim: async () => {
      calls++;
      running++;
      most = Math.max(most, running);
      await sleep(15);
      running--;
      return true;
    },
  });
  assertTrue(trimming.active, "active with a trim");
  await sleep(80);
  trimming.stop();
  await sleep(20);
  const stopped = calls;
  assertTrue(calls >= 2, `trimmed ${calls} times`);
  assertEquals(most, 1, "one trim at a time although the interval is shorter than a trim");
  assertTrue(trimming.trims >= calls - 1, `${trimming.trims} of ${calls} finished`);
  await sleep(20);
  assertEquals(calls, stopped, "no trim after stop");
});

Deno.test("native memory: a failing trim is logged and the next one still runs", async () => {
  const lines: string[] = [];
  let calls = 0;
  const trimming = startNativeTrimming(createLogger("debug", { sink: (l) => lines.push(l) }), {
    intervalMs: 2,
    trim: () => ++calls === 1 ? Promise.reject(new Error("boom")) : Promise.resolve(false),
  });
  await sleep(40);
  trimming.stop();
  assertTrue(calls >= 2, `trimmed ${calls} times`);
  assertTrue(lines.some((l) => l.includes("trimming native memory failed") && l.includes("boom")));
});

Deno.test("native memory: without the C library the node says so and does nothing", () => {
  const lines: string[] = [];
  const trimming = startNativeTrimming(createLogger("info", { sink: (l) => lines.push(l) }), {
    trim: null,
  });
  assertTrue(!trimming.active, "inactive");
  trimming.stop();
  assertEquals(lines.length, 1);
  assertTrue(lines[0]!.includes("grant --allow-ffi"), lines[0]!);
});

Deno.test({
  name: "native memory: glibc's malloc_trim is loaded and runs off the main thread",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const trim = openNativeTrim();
    assertTrue(trim !== null, "the tests run with every permission on glibc");
    // Leave freed buffers behind for it to find; either answer is right, a throw is not.
    let held: Uint8Array[] = Array.from({ length: 2000 }, () => new Uint8Array(4096));
    held = held.filter((_, i) => i % 7 === 0);
    const answer = trim();
    assertTrue(answer instanceof Promise, "nonblocking: a promise");
    assertEquals(typeof await answer, "boolean");
    assertTrue(held.length > 0);
  },
});
