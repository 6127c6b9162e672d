/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of
 * every WAL record and snapshot file. Slice-by-8: eight 256-entry tables let
 * the main loop consume eight bytes per step, which keeps checksumming far
 * below the cost of the sync it protects.
 *
 * @module
 */

const POLYNOMIAL = 0x82f63b78;
const TABLE_COUNT = 8;

function buildTables(): Uint32Array {
  const tables = new Uint32Array(TABLE_COUNT * 256);
  for (let n = 0; n < 256; n++) {
    let crc = n;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ POLYNOMIAL : crc >>> 1;
    tables[n] = crc >>> 0;
  }
  // Table k advances a byte through k further zero bytes.
  for (let n = 0; n < 256; n++) {
    let crc = tables[n]!;
    for (let k = 1; k < TABLE_COUNT; k++) {
      crc = tables[crc & 0xff]! ^ (crc >>> 8);
      tables[k * 256 + n] = crc >>> 0;
    }
  }
  return tables;
}

const TABLES = buildTables();

/**
 * Continues a CRC-32C over `bytes[start, end)`. Start with `crc = 0`; feed
 * the result of one call into the next to checksum discontiguous ranges.
 *
 * @example
 * ```ts
 * import { crc32cUpdate } from "./crc32c.ts";
 * const bytes = new TextEncoder().encode("123456789");
 * const split = crc32cUpdate(crc32cUpdate(0, bytes, 0, 4), bytes, 4, 9);
 * if (split !== 0xe3069283) throw new Error("incremental checksum differs");
 * ```
 */
export function crc32cUpdate(
  crc: number,
  bytes: Uint8Array,
  start = 0,
  end: number = bytes.length,
): number {
  const t = TABLES;
  let c = ~crc >>> 0;
  let i = start;
  const end8 = start + ((end - start) & ~7);
  while (i < end8) {
    const lo = c ^
      (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
    c = t[1792 + (lo & 0xff)]! ^ t[1536 + ((lo >>> 8) & 0xff)]! ^
      t[1280 + ((lo >>> 16) & 0xff)]! ^ t[1024 + (lo >>> 24)]! ^
      t[768 + bytes[i + 4]!]! ^ t[512 + bytes[i + 5]!]! ^
      t[256 + bytes[i + 6]!]! ^ t[bytes[i + 7]!]!;
    i += 8;
  }
  while (i < end) c = t[(c ^ bytes[i++]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/**
 * The CRC-32C of `bytes`, as an unsigned 32-bit number.
 *
 * @example
 * ```ts
 * import { crc32c } from "./crc32c.ts";
 * if (crc32c(new TextEncoder().encode("123456789")) !== 0xe3069283) throw new Error("bad crc");
 * ```
 */
export function crc32c(bytes: Uint8Array): number {
  return crc32cUpdate(0, bytes, 0, bytes.length);
}
