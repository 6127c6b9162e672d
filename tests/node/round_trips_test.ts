/**
 * Heartbeat round trips: timed from a round's first send to each answer of
 * that round and term; answers to rounds not remembered are not timed.
 */

import { assertEquals } from "../assert.ts";
import { newMessage } from "../../src/raft/message.ts";
import type { Message, MessageType } from "../../src/raft/types.ts";
import { ROUNDS_KEPT, RoundTrips, timeRoundTrips } from "../../src/node/round_trips.ts";
import type { PeerTransport } from "../../src/node/ports.ts";

function message(type: MessageType, from: string, to: string, term: number, seq: number): Message {
  return { ...newMessage(type, from, to, term), seq };
}

function setup() {
  const clock = { nowMs: 0 };
  const seen: string[] = [];
  const trips = new RoundTrips(
    { nowMs: () => clock.nowMs },
    (to, seconds) => seen.push(`${to}:${Math.round(seconds * 1000)}ms`),
  );
  return { clock, seen, trips };
}

Deno.test("round trips: each follower's answer is timed from the round's first send", () => {
  const { clock, seen, trips } = setup();
  trips.sent([message("hb", "n1", "n2", 3, 1), message("app", "n1", "n2", 3, 0)]);
  clock.nowMs = 2;
  trips.sent([message("hb", "n1", "n3", 3, 1)]);
  clock.nowMs = 5;
  trips.answered(message("hbResp", "n3", "n1", 3, 1));
  clock.nowMs = 9;
  trips.answered(message("hbResp", "n2", "n1", 3, 1));
  trips.answered(message("appResp", "n2", "n1", 3, 1));
  assertEquals(seen, ["n3:5ms", "n2:9ms"]);
});

Deno.test("round trips: a round of another term, or one too old, is not timed", () => {
  const { clock, seen, trips } = setup();
  trips.sent([message("hb", "n1", "n2", 3, 1)]);
  clock.nowMs = 1;
  trips.answered(message("hbResp", "n2", "n1", 4, 1));
  trips.answered(message("hbResp", "n2", "n1", 3, 2));
  // A new term's rounds count from 1 again: the old time is not reused.
  clock.nowMs = 10;
  trips.sent([message("hb", "n1", "n2", 5, 1)]);
  clock.nowMs = 13;
  trips.answered(message("hbResp", "n2", "n1", 5, 1));
  assertEquals(seen, ["n2:3ms"]);
  for (let seq = 2; seq <= ROUNDS_KEPT + 2; seq++) trips.sent([message("hb", "n1", "n2", 5, seq)]);
  trips.answered(message("hbResp", "n2", "n1", 5, 2));
  assertEquals(seen, ["n2:3ms"], "round 2 was overwritten by a later round");
  trips.answered(message("hbResp", "n2", "n1", 5, ROUNDS_KEPT + 2));
  assertEquals(seen, ["n2:3ms", "n2:0ms"]);
});

Deno.test("round trips: a timed transport shows heartbeats out and answers in, and passes all on", async () => {
  const { clock, seen, trips } = setup();
  const sent: Message[][] = [];
  let deliver: (m: Message) => void = () => {};
  const inner = {
    send: (messages: Message[]) => sent.push(messages),
    listen: () => Promise.resolve(),
    close: () => Promise.resolve(),
  } as unknown as PeerTransport;
  const received: Message[] = [];
  const transport = timeRoundTrips((handlers) => {
    deliver = handlers.onMessage;
    return inner;
  }, trips)({ onMessage: (m) => received.push(m) }, () => "c1");
  await transport.listen();
  transport.send([message("hb", "n1", "n2", 2, 1)]);
  clock.nowMs = 7;
  deliver(message("hbResp", "n2", "n1", 2, 1));
  assertEquals(sent.length, 1);
  assertEquals(received.map((m) => m.type), ["hbResp"]);
  assertEquals(seen, ["n2:7ms"]);
  await transport.close();
});
