import { assertEquals, assertRejects } from "../assert.ts";
import { Inbox } from "../../src/node/inbox.ts";
import type { Message } from "../../src/raft/types.ts";

/** A message told apart by its type and index. */
function message(type: Message["type"], index: number): Message {
  return { type, index } as Message;
}

const isAck = (m: Message) => m.type === "appResp";
const names = (messages: Message[]) => messages.map((m) => `${m.type}${m.index}`);
/** Lets every pending promise reaction and timer of this turn run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("inbox: acknowledgements are stepped as they arrive during the sync, the rest wait in order", async () => {
  const inbox = new Inbox();
  const sync = Promise.withResolvers<void>();
  const stepped: string[][] = [];
  const waiting = inbox.during(sync.promise, isAck, (picked) => stepped.push(names(picked)));
  inbox.push(message("app", 1));
  inbox.push(message("appResp", 2));
  await settle();
  assertEquals(stepped, [["appResp2"]]);
  inbox.push(message("appResp", 3));
  inbox.push(message("hb", 4));
  inbox.push(message("appResp", 5));
  await settle();
  assertEquals(stepped, [["appResp2"], ["appResp3", "appResp5"]]);
  sync.resolve();
  await waiting;
  assertEquals(names(inbox.take()), ["app1", "hb4"]);
  // Once the sync is over, pushes no longer step anything.
  inbox.push(message("appResp", 6));
  await settle();
  assertEquals(stepped.length, 2);
  assertEquals(names(inbox.take()), ["appResp6"]);
});

Deno.test("inbox: an acknowledgement that arrives with the sync's end is stepped before it settles", async () => {
  const inbox = new Inbox();
  const sync = Promise.withResolvers<void>();
  const stepped: string[] = [];
  const waiting = inbox.during(sync.promise, isAck, (picked) => stepped.push(...names(picked)));
  sync.resolve();
  inbox.push(message("appResp", 1));
  await waiting;
  assertEquals(stepped, ["appResp1"]);
  assertEquals(inbox.take(), []);
});

Deno.test("inbox: a failed sync rejects and steps nothing that arrived with its failure", async () => {
  const inbox = new Inbox();
  const sync = Promise.withResolvers<void>();
  const stepped: string[] = [];
  const waiting = inbox.during(sync.promise, isAck, (picked) => stepped.push(...names(picked)));
  inbox.push(message("appResp", 1));
  await settle();
  sync.reject(new Error("disk gone"));
  inbox.push(message("appResp", 2));
  await assertRejects(waiting, /disk gone/);
  assertEquals(stepped, ["appResp1"]);
  assertEquals(names(inbox.take()), ["appResp2"]);
});

Deno.test("inbox: many pushes during one sync are each stepped once, in order", async () => {
  const inbox = new Inbox();
  const sync = Promise.withResolvers<void>();
  const stepped: number[] = [];
  const waiting = inbox.during(sync.promise, isAck, (picked) => {
    for (const m of picked) stepped.push(m.index);
  });
  for (let i = 0; i < 200; i++) {
    inbox.push(message(i % 3 === 0 ? "hb" : "appResp", i));
    if (i % 7 === 0) await settle();
  }
  sync.resolve();
  await waiting;
  const all = Array.from({ length: 200 }, (_, i) => i);
  assertEquals(stepped, all.filter((i) => i % 3 !== 0));
  assertEquals(inbox.take().map((m) => m.index), all.filter((i) => i % 3 === 0));
});
