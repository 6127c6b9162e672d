import { assertEquals, assertThrows } from "../assert.ts";
import { decodeCommand, encodeDelete, encodePut } from "../../src/kv/command.ts";

Deno.test("a put round-trips through the codec", () => {
  assertEquals(decodeCommand(encodePut("raft", "paxos")), {
    kind: "put",
    key: "raft",
    value: "paxos",
  });
});

Deno.test("a delete round-trips through the codec", () => {
  assertEquals(decodeCommand(encodeDelete("raft")), { kind: "delete", key: "raft" });
});

Deno.test("unicode keys and values, empty values and a leading BOM survive the codec", () => {
  const cases: [string, string][] = [
    ["clé-日本-🦀", "välue 🚀 ünïcödé"],
    ["k", ""],
    ["\uFEFFbom", "\uFEFFvalue"],
    ["nul\u0000key", "a\u0000b"],
    ["replacement \uFFFD", "\uFFFD"],
  ];
  for (const [key, value] of cases) {
    assertEquals(decodeCommand(encodePut(key, value)), { kind: "put", key, value });
    assertEquals(decodeCommand(encodeDelete(key)), { kind: "delete", key });
  }
});

Deno.test("the put encoding is compact: one tag, a 4-byte key length, then the UTF-8", () => {
  const bytes = encodePut("ab", "é");
  assertEquals([...bytes], [1, 2, 0, 0, 0, 0x61, 0x62, 0xc3, 0xa9]);
  assertEquals([...encodeDelete("ab")], [2, 0x61, 0x62]);
});

Deno.test("encoded commands are independent copies, not views of a shared buffer", () => {
  const first = encodePut("first", "1");
  encodePut("second", "2");
  assertEquals(decodeCommand(first), { kind: "put", key: "first", value: "1" });
  assertEquals(first.byteOffset, 0);
  assertEquals(first.buffer.byteLength, first.length);
});

Deno.test("a large value beyond the shared scratch buffer round-trips", () => {
  const value = "é".repeat(700_000);
  assertEquals(decodeCommand(encodePut("big", value)), { kind: "put", key: "big", value });
});

Deno.test("malformed commands are refused with a clear error", () => {
  assertThrows(() => decodeCommand(new Uint8Array()), /Cannot decode command: it is empty/);
  assertThrows(() => decodeCommand(new Uint8Array([7, 1])), /unknown command tag "7"/);
  assertThrows(() => decodeCommand(new Uint8Array([1, 3, 0])), /truncated/);
  assertThrows(
    () => decodeCommand(new Uint8Array([1, 9, 0, 0, 0, 0x61])),
    /key length "9" exceeds/,
  );
  assertThrows(() => decodeCommand(new Uint8Array([2, 0xff])), /key is not valid UTF-8/);
  assertThrows(
    () => decodeCommand(new Uint8Array([1, 1, 0, 0, 0, 0x61, 0xc3])),
    /value is not valid UTF-8/,
  );
});
