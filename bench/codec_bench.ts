/**
 * Encode and decode of the replication hot path: an `app` message with 256
 * entries of 100 bytes, and a heartbeat. Run: `deno bench bench/codec_bench.ts`.
 *
 * @module
 */

import { ByteWriter } from "../src/bytes/writer.ts";
import { decodeMessage, encodeMessage } from "../src/transport/codec.ts";
import type { Entry, Message } from "../src/raft/types.ts";

function entries(count: number, dataBytes: number): Entry[] {
  return Array.from({ length: count }, (_, i) => ({
    index: 1000 + i,
    term: 3,
    type: "normal" as const,
    data: new Uint8Array(dataBytes).fill(i & 0xff),
  }));
}

function message(type: Message["type"], list: Entry[]): Message {
  return {
    type,
    from: "n1",
    to: "n2",
    term: 3,
    index: 999,
    logTerm: 3,
    entries: list,
    commit: 990,
    reject: false,
    hint: 0,
    seq: 0,
    ctx: 0,
    snapshot: null,
  };
}

const app = message("app", entries(256, 100));
const hb = message("hb", []);
const out = new ByteWriter();
const appBytes = encodeMessage(app).slice();

Deno.bench("encode+decode app 256x100B", { group: "app", baseline: true }, () => {
  out.reset();
  decodeMessage(encodeMessage(app, out));
});

Deno.bench("encode app 256x100B", { group: "app" }, () => {
  out.reset();
  encodeMessage(app, out);
});

Deno.bench("decode app 256x100B", { group: "app" }, () => {
  decodeMessage(appBytes);
});

Deno.bench("encode+decode heartbeat", () => {
  out.reset();
  decodeMessage(encodeMessage(hb, out));
});
