// Body-read deadlines: many reads in flight, settling in any order, each answered once and only
// the late ones abandoned.
import { assertEquals } from "../assert.ts";
import { withinDeadline } from "../../src/http/read_deadlines.ts";

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

Deno.test("read deadlines: reads settling out of order keep their own answers; only the late are abandoned", async () => {
  const count = 60;
  const reads = Array.from({ length: count }, () => deferred<number>());
  const abandoned: number[] = [];
  const outcomes = reads.map((read, i) =>
    withinDeadline(
      read.promise,
      i % 3 === 0 ? 30 : 5_000,
      () => abandoned.push(i),
      () => new Error(`late ${i}`),
    )
      .then((value) => `ok ${value}`, (error: Error) => error.message)
  );
  // Settle every read that is not due soon, from the middle out, one failing in ten.
  const order = Array.from({ length: count }, (_, i) => (i * 37) % count).filter((i) =>
    i % 3 !== 0
  );
  for (const i of order) {
    if (i % 10 === 1) reads[i]!.reject(new Error(`failed ${i}`));
    else reads[i]!.resolve(i * 2);
  }
  // Bounded: a read the sweep loses track of would otherwise never answer.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stuck = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("a read never answered")), 10_000);
  });
  const answers = await Promise.race([Promise.all(outcomes), stuck]).finally(() =>
    clearTimeout(timer)
  );
  for (let i = 0; i < count; i++) {
    const expected = i % 3 === 0 ? `late ${i}` : i % 10 === 1 ? `failed ${i}` : `ok ${i * 2}`;
    assertEquals(answers[i], expected, `read ${i}`);
  }
  assertEquals(abandoned.sort((a, b) => a - b), reads.map((_, i) => i).filter((i) => i % 3 === 0));
  // A late read that settles after all changes nothing.
  reads[0]!.resolve(1);
  await Promise.resolve();
  assertEquals(abandoned.length, count / 3);
});
