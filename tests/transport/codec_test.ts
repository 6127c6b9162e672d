import { assertEquals, assertThrows, assertTrue } from "../assert.ts";
import { ByteWriter } from "../../src/bytes/writer.ts";
import { decodeMessage, encodeMessage } from "../../src/transport/codec.ts";
import type { Message, MessageType } from "../../src/raft/types.ts";
import { makeEntries, makeMessage, makeSnapMessage, seededRandom } from "./messages.ts";

const ALL_TYPES: MessageType[] = [
  "app",
  "appResp",
  "hb",
  "hbResp",
  "vote",
  "voteResp",
  "preVote",
  "preVoteResp",
  "snap",
  "timeoutNow",
  "readIndex",
  "readIndexResp",
];

function sample(type: MessageType): Message {
  if (type === "snap") return makeSnapMessage("n1", "n2", 3000);
  return makeMessage(type, "n1", "nöde-2", {
    term: 2 ** 48 - 1,
    index: 1234567,
    logTerm: 9,
    entries: type === "app"
      ? [...makeEntries(1234568, 3, 100), {
        index: 1234571,
        term: 9,
        type: "conf",
        data: new Uint8Array(),
      }]
      : [],
    commit: 1234000,
    reject: type === "appResp",
    hint: 77,
    seq: 2 ** 53 - 1,
    ctx: 42,
  });
}

function assertDecodeFails(bytes: Uint8Array, pattern: RegExp = /Cannot decode message/): void {
  assertThrows(() => decodeMessage(bytes), pattern);
}

Deno.test("codec round-trips every message type", () => {
  for (const type of ALL_TYPES) {
    const m = sample(type);
    assertEquals(decodeMessage(encodeMessage(m)), m, type);
  }
});

Deno.test("codec appends to a shared writer and returns the encoded view", () => {
  const out = new ByteWriter(16);
  const first = sample("hb");
  const second = sample("app");
  const a = encodeMessage(first, out).slice();
  const b = encodeMessage(second, out).slice();
  assertEquals(out.length, a.length + b.length);
  assertEquals(decodeMessage(out.written().subarray(0, a.length)), first);
  assertEquals(decodeMessage(out.written().subarray(a.length)), second);
});

Deno.test("decoded data does not alias the input buffer", () => {
  const m = sample("app");
  const bytes = encodeMessage(m).slice();
  const decoded = decodeMessage(bytes);
  bytes.fill(0xee);
  assertEquals(decoded, m);
});

Deno.test("codec refuses to encode values the decoder would reject", () => {
  const cases: [Partial<Message>, RegExp][] = [
    [{ term: -1 }, /term "-1" is not an integer in 0..281474976710655/],
    [{ term: 2 ** 48 }, /term "281474976710656" is not an integer in 0..281474976710655/],
    [{ index: 1.5 }, /index "1.5"/],
    [{ index: 2 ** 48 }, /index "281474976710656"/],
    [{ commit: 2 ** 53 }, /commit/],
    [{ seq: Number.NaN }, /seq "NaN"/],
    [{ ctx: -1 }, /ctx "-1"/],
    [{ from: "" }, /from "" or to "n2" is empty/],
    [{ to: "x".repeat(256) }, /longer than 255 bytes/],
    [{ type: "bogus" as MessageType }, /unknown type "bogus"/],
    [{ snapshot: makeSnapMessage("n1", "n2", 1).snapshot }, /type "hb" with snapshot true/],
    [
      { entries: [{ index: 1, term: 1, type: "x" as "conf", data: new Uint8Array() }] },
      /entry type "x"/,
    ],
  ];
  const out = new ByteWriter();
  out.u8(9);
  for (const [fields, pattern] of cases) {
    assertThrows(() => encodeMessage(makeMessage("hb", "n1", "n2", fields), out), pattern);
    assertEquals(out.length, 1, "a failed encode leaves the writer as it was");
  }
  assertThrows(
    () => encodeMessage(makeMessage("snap", "n1", "n2")),
    /type "snap" with snapshot false/,
  );
});

Deno.test("every truncation of a message fails to decode with a clear error", () => {
  for (const m of [sample("app"), sample("snap"), sample("hb")]) {
    const bytes = encodeMessage(m);
    for (let length = 0; length < bytes.length; length++) {
      assertDecodeFails(bytes.subarray(0, length));
    }
  }
});

Deno.test("malformed fields fail to decode with a clear error", () => {
  const hb = encodeMessage(sample("hb")).slice();
  const patch = (offset: number, bytes: number[]) => {
    const copy = hb.slice();
    copy.set(bytes, offset);
    return copy;
  };
  // Layout: type(0) flags(1) from len(2..3) "n1"(4..5) to len(6..7) "nöde-2"(8..14) term(15..22)
  assertDecodeFails(patch(0, [200]), /unknown message type tag "200"/);
  assertDecodeFails(patch(1, [4]), /unknown flags "4"/);
  assertDecodeFails(patch(1, [2]), /type "hb" with snapshot true/);
  assertDecodeFails(patch(4, [0xff]), /from is not valid UTF-8/);
  assertDecodeFails(patch(2, [0, 0]), /from is empty/);
  assertDecodeFails(patch(2, [0xff, 0xff]), /from length "65535" exceeds 255 bytes/);
  const half = new Uint8Array(new Float64Array([0.5]).buffer);
  assertDecodeFails(patch(15, [...half]), /term "0.5" is not an integer in 0..281474976710655/);
  const negative = new Uint8Array(new Float64Array([-3]).buffer);
  assertDecodeFails(patch(15, [...negative]), /term "-3"/);
  const huge = new Uint8Array(new Float64Array([2 ** 60]).buffer);
  assertDecodeFails(patch(15, [...huge]), /term/);
  // The term that once stopped a whole cluster: far beyond any real one.
  const absurd = new Uint8Array(new Float64Array([2 ** 53 - 1]).buffer);
  assertDecodeFails(patch(15, [...absurd]), /term "9007199254740991" is not an integer/);
  assertDecodeFails(patch(hb.length - 4, [0xff, 0xff, 0xff, 0xff]), /entry count "4294967295"/);
  assertDecodeFails(Uint8Array.of(...hb, 0), /1 trailing bytes/);
});

Deno.test("malformed snapshot membership fails to decode", () => {
  const encodeWithMembership = (membership: unknown) => {
    const m = makeSnapMessage("n1", "n2", 10);
    m.snapshot!.meta.membership = membership as [];
    return encodeMessage(m);
  };
  assertDecodeFails(encodeWithMembership({ not: "an array" }), /membership is not an array/);
  assertDecodeFails(encodeWithMembership([{ id: "n1", voter: "yes" }]), /no voter flag/);
  assertDecodeFails(encodeWithMembership([null]), /not an object/);
  assertDecodeFails(
    encodeWithMembership([{ id: "n1", voter: true, raftAddr: "x".repeat(513), httpAddr: "" }]),
    /bad address/,
  );
  const bytes = encodeMessage(makeSnapMessage("n1", "n2", 10)).slice();
  const jsonStart = bytes.indexOf(0x5b); // "["
  bytes[jsonStart] = 0x7b; // "{"
  assertDecodeFails(bytes, /membership is not valid JSON/);
});

Deno.test("random garbage and bit flips never crash the decoder", () => {
  const random = seededRandom(7);
  const valid = encodeMessage(sample("app")).slice();
  let decoded = 0;
  for (let round = 0; round < 3000; round++) {
    let bytes: Uint8Array;
    if (round % 2 === 0) {
      bytes = new Uint8Array(Math.floor(random() * 200));
      for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
    } else {
      bytes = valid.slice();
      bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
    }
    try {
      decodeMessage(bytes);
      decoded++;
    } catch (error) {
      assertTrue(error instanceof Error && error.message.startsWith("Cannot decode message"));
    }
  }
  // Flips inside entry data still decode; pure garbage almost never does.
  assertTrue(decoded > 0 && decoded < 3000);
});
