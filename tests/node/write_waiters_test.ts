// The queue of writes waiting to apply: in order, out of turn, out of order, and long.
import { assertEquals } from "../assert.ts";
import { WriteWaiters } from "../../src/node/write_waiters.ts";

interface Waiter {
  term: number;
  deadline: number;
  name: string;
}

function waiter(name: string, deadline = 1_000): Waiter {
  return { term: 1, deadline, name };
}

Deno.test("write waiters: taken in index order, each once; an index nobody waits for answers nothing", () => {
  const waiters = new WriteWaiters<Waiter>();
  for (let index = 10; index < 20; index++) waiters.add(index, waiter(`w${index}`));
  assertEquals(waiters.take(9), undefined);
  for (let index = 10; index < 20; index++) {
    assertEquals(waiters.take(index)?.name, `w${index}`);
    assertEquals(waiters.take(index), undefined, "taken once");
  }
  assertEquals(waiters.size, 0);
});

Deno.test("write waiters: expiry leaves holes that the front skips, and gaps in the indexes are fine", () => {
  const waiters = new WriteWaiters<Waiter>();
  waiters.add(1, waiter("a", 50));
  waiters.add(3, waiter("b", 500));
  waiters.add(4, waiter("c", 50));
  waiters.add(9, waiter("d", 500));
  assertEquals(waiters.takeExpired(100).map((w) => w.name), ["a", "c"]);
  assertEquals(waiters.size, 2);
  assertEquals([waiters.take(1), waiters.take(4)], [undefined, undefined]);
  // Taken out of turn: 9 before 3.
  assertEquals(waiters.take(9)?.name, "d");
  assertEquals(waiters.take(3)?.name, "b");
  assertEquals(waiters.size, 0);
});

Deno.test("write waiters: an index below the last one waits beside the queue and is still found", () => {
  const waiters = new WriteWaiters<Waiter>();
  waiters.add(5, waiter("five"));
  waiters.add(7, waiter("seven"));
  waiters.add(6, waiter("six", 10));
  waiters.add(7, waiter("seven again"));
  assertEquals(waiters.size, 4);
  assertEquals(waiters.take(6)?.name, "six");
  assertEquals(waiters.take(7)?.name, "seven again", "the later waiter for the same index first");
  assertEquals(waiters.take(7)?.name, "seven");
  waiters.add(8, waiter("stray expires", 10));
  waiters.add(2, waiter("stray", 10));
  assertEquals(waiters.takeExpired(20).map((w) => w.name).sort(), ["stray", "stray expires"]);
  assertEquals(waiters.takeAll().map((w) => w.name), ["five"]);
  assertEquals([waiters.size, waiters.take(5)], [0, undefined]);
});

Deno.test("write waiters: a long queue moves down as its front advances and keeps every waiter", () => {
  const waiters = new WriteWaiters<Waiter>();
  let next = 1;
  let taken = 1;
  // Always about 300 waiting while 5,000 pass through: the front passes slot 1,024 many times.
  for (; next <= 300; next++) waiters.add(next, waiter(`w${next}`));
  for (; next <= 5_000; next++) {
    waiters.add(next, waiter(`w${next}`));
    assertEquals(waiters.take(taken)?.name, `w${taken}`);
    taken++;
  }
  assertEquals(waiters.size, 300);
  const rest = waiters.takeAll().map((w) => w.name);
  assertEquals(rest, Array.from({ length: 300 }, (_, i) => `w${4_701 + i}`));
  waiters.add(6_000, waiter("after"));
  assertEquals(waiters.take(6_000)?.name, "after");
});
