import { assertEquals, assertTrue } from "../assert.ts";
import { isSettled, settleMemory } from "../../bench/memory_settle.ts";
import type { ProcessMemory } from "../../bench/memory.ts";
import { parseBenchOptions, UsageError } from "../../bench/options.ts";

Deno.test("memory counts as settled once no process fell by more than 1% over the hold", () => {
  assertTrue(!isSettled([[100, 200]], 1), "one reading spans no interval");
  assertTrue(!isSettled([[100, 200], [100, 150]], 1), "the second process fell 25%");
  assertTrue(isSettled([[100, 200], [99.5, 210]], 1), "within 1%, or rising");
  // Only the last `hold` intervals count: an earlier fall does not hold it back.
  assertTrue(isSettled([[300], [100], [100], [100]], 2));
  assertTrue(!isSettled([[300], [200], [100], [100]], 2));
});

/** A reader answering `series[i]` MB for process i at each call, then the last value again. */
function reader(series: number[][]) {
  let call = 0;
  const read = (pids: readonly number[]): Promise<(ProcessMemory | null)[]> => {
    const at = call++;
    return Promise.resolve(pids.map((_, i) => {
      const mb = series[i]![Math.min(at, series[i]!.length - 1)]!;
      return { rssBytes: mb * 1e6, peakBytes: 0 };
    }));
  };
  return { read, calls: () => call };
}

Deno.test("the wait reads until memory holds still and answers the last reading", async () => {
  const { read, calls } = reader([[450, 450, 410, 377, 377, 377, 377], [390, 330, 330, 330, 330]]);
  const got = await settleMemory([1, 2], 10_000, { sampleMs: 1, holdSamples: 3, read });
  assertTrue(got.settled);
  assertEquals(got.rssBytes, [377e6, 330e6]);
  // 377 from the fourth reading on; three intervals later is the seventh.
  assertEquals(calls(), 7);
});

Deno.test("the wait gives up after its longest wait and says memory was still falling", async () => {
  let mb = 1000;
  const read = (pids: readonly number[]) =>
    Promise.resolve(pids.map(() => ({ rssBytes: (mb -= 50) * 1e6, peakBytes: 0 })));
  const got = await settleMemory([1], 60, { sampleMs: 10, holdSamples: 2, read });
  assertTrue(!got.settled);
  assertTrue(got.afterMs <= 60, `waited ${got.afterMs} ms`);
});

Deno.test("--settle-s defaults to 60 s, takes 0 to skip, and applies to the cluster bench starts", () => {
  assertEquals(parseBenchOptions([]).settleS, 60);
  assertEquals(parseBenchOptions(["--settle-s", "0"]).settleS, 0);
  for (const bad of ["301", "ten", "1.5"]) {
    let refusal: unknown = null;
    try {
      parseBenchOptions(["--settle-s", bad]);
    } catch (thrown) {
      refusal = thrown;
    }
    assertTrue(
      refusal instanceof UsageError &&
        refusal.message.includes(`--settle-s must be an integer in 0..300, got "${bad}"`),
      `${refusal}`,
    );
  }
  let error: unknown = null;
  try {
    parseBenchOptions(["--settle-s", "5", "--url", "http://127.0.0.1:2379"]);
  } catch (thrown) {
    error = thrown;
  }
  assertTrue(error instanceof UsageError && /--settle-s applies/.test(error.message), `${error}`);
});
