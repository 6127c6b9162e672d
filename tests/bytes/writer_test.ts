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
