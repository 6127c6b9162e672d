import { assertEquals } from "../assert.ts";
import { crc32c, crc32cUpdate } from "../../src/storage/crc32c.ts";
import { Random } from "./helpers.ts";

/** Bit-at-a-time reference, to check the slice-by-8 tables against. */
function reference(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

Deno.test("crc32c matches the published check value and RFC 3720 vectors", () => {
  assertEquals(crc32c(new TextEncoder().encode("123456789")), 0xe3069283);
  assertEquals(crc32c(new Uint8Array(0)), 0);
  assertEquals(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assertEquals(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  assertEquals(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
  assertEquals(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c);
});

Deno.test("crc32c agrees with a bitwise reference at every length and alignment", () => {
  const random = new Random(7);
  const bytes = Uint8Array.from({ length: 300 }, () => random.int(0, 255));
  for (let start = 0; start < 9; start++) {
    for (let end = start; end <= bytes.length; end += 1 + (end % 7)) {
      const slice = bytes.subarray(start, end);
      assertEquals(crc32c(slice), reference(slice), `start ${start} end ${end}`);
      assertEquals(crc32cUpdate(0, bytes, start, end), reference(slice), `range ${start}-${end}`);
    }
  }
});

Deno.test("crc32c continues across split ranges", () => {
  const bytes = new TextEncoder().encode("The quick brown fox jumps over the lazy dog");
  const whole = crc32c(bytes);
  for (let split = 0; split <= bytes.length; split++) {
    assertEquals(crc32cUpdate(crc32cUpdate(0, bytes, 0, split), bytes, split), whole);
  }
  assertEquals(whole, 0x22620404);
});
