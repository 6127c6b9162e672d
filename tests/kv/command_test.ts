import { assertEquals, assertThrows, assertTrue } from "../assert.ts";
import { decodeCommand, encodeCommand, encodeDelete, encodePut } from "../../src/kv/command.ts";
import {
  type Command,
  COMMAND_VERSION,
  commandVersionOf,
  UnknownCommandError,
} from "../../src/kv/command_types.ts";

/** A version 1 put as it decodes: no conditions, no lease, no quota. */
function plainPut(key: string, value: string): Command {
  return { kind: "put", key, value, prevIndex: -1, lease: 0, ttlMs: 0, quotaBytes: 0 };
}

function plainDelete(key: string): Command {
  return { kind: "delete", key, prevIndex: -1 };
}

Deno.test("a put round-trips through the codec", () => {
  assertEquals(decodeCommand(encodePut("raft", "paxos")), plainPut("raft", "paxos"));
});

Deno.test("a delete round-trips through the codec", () => {
  assertEquals(decodeCommand(encodeDelete("raft")), plainDelete("raft"));
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
    assertEquals(decodeCommand(encodePut(key, value)), plainPut(key, value));
    assertEquals(decodeCommand(encodeDelete(key)), plainDelete(key));
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
  assertEquals(decodeCommand(first), plainPut("first", "1"));
  assertEquals(first.byteOffset, 0);
  assertEquals(first.buffer.byteLength, first.length);
});

Deno.test("a large value beyond the shared scratch buffer round-trips", () => {
  const value = "é".repeat(700_000);
  assertEquals(decodeCommand(encodePut("big", value)), plainPut("big", value));
});

Deno.test("malformed commands are refused with a clear error", () => {
  assertThrows(() => decodeCommand(new Uint8Array()), /Cannot decode command: it is empty/);
  assertThrows(() => decodeCommand(new Uint8Array([0x60, 1])), /tag "96" is unknown to this node/);
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

const v2Commands: Command[] = [
  { kind: "put", key: "k", value: "v", prevIndex: 0, lease: 0, ttlMs: 0, quotaBytes: 0 },
  { kind: "put", key: "é", value: "🦀", prevIndex: 42, lease: 7, ttlMs: 0, quotaBytes: 1 << 30 },
  {
    kind: "put",
    key: "bin",
    value: new Uint8Array([0xff, 0, 0xfe]),
    prevIndex: -1,
    lease: 0,
    ttlMs: 5000,
    quotaBytes: 0,
  },
  { kind: "put", key: "empty", value: "", prevIndex: -1, lease: 0, ttlMs: 0, quotaBytes: 9 },
  { kind: "delete", key: "k", prevIndex: 0 },
  { kind: "delete", key: "k", prevIndex: -1 },
  { kind: "deletePrefix", prefix: "" },
  { kind: "deletePrefix", prefix: "svc/" },
  { kind: "leaseGrant", ttlMs: 1500 },
  { kind: "leaseRevoke", id: 123456789 },
  {
    kind: "txn",
    compare: [
      { key: "a", target: "modIndex", modIndex: 0 },
      { key: "b", target: "value", value: "x" },
      { key: "c", target: "value", value: new Uint8Array([0x80]) },
      { key: "d", target: "exists", exists: true },
      { key: "e", target: "exists", exists: false },
    ],
    success: [
      { op: "put", key: "a", value: "1", lease: 3 },
      { op: "delete", key: "b" },
      { op: "get", key: "c" },
      { op: "deletePrefix", prefix: "p/" },
    ],
    failure: [],
    quotaBytes: 77,
  },
];

Deno.test("every version 2 command round-trips, binary values included", () => {
  for (const command of v2Commands) assertEquals(decodeCommand(encodeCommand(command)), command);
});

Deno.test("command versions: the plain put and delete are version 1, the rest version 2", () => {
  assertEquals(COMMAND_VERSION, 2);
  assertEquals(commandVersionOf(encodePut("k", "v")[0]!), 1);
  assertEquals(commandVersionOf(encodeDelete("k")[0]!), 1);
  for (const command of v2Commands) {
    assertEquals(commandVersionOf(encodeCommand(command)[0]!), 2);
  }
});

Deno.test("an unknown tag is a typed error, distinct from corruption", () => {
  try {
    decodeCommand(new Uint8Array([0x09, 1, 2]));
    throw new Error("accepted");
  } catch (error) {
    assertTrue(error instanceof UnknownCommandError);
    assertEquals(error.tag, 9);
    assertTrue(error.message.includes('understands command versions up to "2"'));
  }
});

Deno.test("malformed version 2 commands are refused with a clear error", () => {
  const put = encodeCommand(v2Commands[1]!);
  assertThrows(() => decodeCommand(put.subarray(0, 4)), /Cannot decode command: text at byte "3"/);
  assertThrows(() => decodeCommand(put.subarray(0, 8)), /varint at byte "7" is truncated/);
  const flagged = put.slice();
  flagged[1] = 0x80;
  assertThrows(() => decodeCommand(flagged), /unknown flags "128"/);
  const grant = encodeCommand({ kind: "leaseGrant", ttlMs: 5 });
  assertThrows(
    () => decodeCommand(new Uint8Array([...grant, 0])),
    /"1" bytes follow the leaseGrant/,
  );
  const both = encodeCommand({ ...v2Commands[1]!, ttlMs: 9 } as Command);
  assertThrows(() => decodeCommand(both), /has both a lease and a TTL/);
  const txn = encodeCommand({ kind: "txn", compare: [], success: [], failure: [], quotaBytes: 0 });
  const tooMany = new Uint8Array([txn[0]!, 0, 0, 0x81, 0x01]);
  assertThrows(() => decodeCommand(tooMany), /"129" operations exceed "128"/);
});
