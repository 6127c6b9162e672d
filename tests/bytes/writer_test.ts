import { assertEquals } from "../assert.ts";
import { ByteWriter } from "../../src/bytes/writer.ts";
import { ByteReader } from "../../src/bytes/reader.ts";

/** A varint byte length and the UTF-8 bytes, the form `string` must write. */
function expected(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  const prefix: number[] = [];
  let length = bytes.length;
  while (length >= 0x80) {
    prefix.push((length % 0x80) | 0x80);
    length = Math.floor(length / 0x80);
  }
  prefix.push(length);
  return [...prefix, ...bytes];
}

const TEXTS = [
  "",
  "k1",
  "a".repeat(64),
  "a".repeat(65),
  "a".repeat(200),
  "é",
  "k" + "a".repeat(62) + "é",
  "a".repeat(63) + "🦀",
  "€".repeat(50),
  "key/with/slashes and spaces",
  // The edge of the in-place form: up to 42 UTF-16 units always fit a one-byte length.
  "a".repeat(42),
  "a".repeat(43),
  "€".repeat(42),
  "€".repeat(43),
  "🦀".repeat(21),
  "x" + "🦀".repeat(21),
];

Deno.test("string writes a varint byte length and UTF-8 bytes, ASCII or not, short or long", () => {
  for (const text of TEXTS) {
    const writer = new ByteWriter(1);
    writer.string(text);
    assertEquals([...writer.written()], expected(text), JSON.stringify(text));
  }
});

Deno.test("strings written one after another, the buffer growing, read back in order", () => {
  const writer = new ByteWriter(2);
  for (const text of TEXTS) writer.string(text);
  assertEquals([...writer.written()], TEXTS.flatMap(expected));
  const reader = new ByteReader(writer.written().slice(), "strings");
  assertEquals(TEXTS.map(() => reader.prefixedString()), TEXTS);
  reader.end();
});

Deno.test("bytes: fixed-width integers and floats read back whole at every width's edges, from any offset", () => {
  const u16s = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff];
  const u32s = [0, 1, 0xff, 0x100, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
  const u64s = [0, 0xffffffff, 2 ** 32, 2 ** 40 + 5, Number.MAX_SAFE_INTEGER];
  const writer = new ByteWriter();
  writer.u8(9); // everything after starts at an odd offset
  for (const value of u16s) writer.u16(value);
  for (const value of u32s) writer.u32(value);
  for (const value of u64s) writer.u64(value);
  for (const value of u64s) writer.f64(value);
  const bytes = writer.written();
  // A view into a larger buffer, not at its start, reads the same.
  const shifted = new Uint8Array(bytes.length + 3);
  shifted.set(bytes, 3);
  for (const input of [bytes, shifted.subarray(3)]) {
    const reader = new ByteReader(input, "test");
    assertEquals(reader.u8(), 9);
    assertEquals(u16s.map(() => reader.u16()), u16s);
    assertEquals(u32s.map(() => reader.u32()), u32s);
    assertEquals(u64s.map(() => reader.u64()), u64s);
    assertEquals(u64s.map(() => reader.int("value")), u64s);
    assertEquals(reader.remaining, 0);
  }
});
