/**
 * Shared helpers of the storage tests: entries, temporary directories, a
 * logger that records lines, a seeded random source.
 *
 * @module
 */

import type { Entry, Snapshot } from "../../src/raft/types.ts";
import type { LogFields, Logger } from "../../src/log.ts";
import { FileStorage } from "../../src/storage/file_storage.ts";

/** An entry whose data is `bytes` bytes derived from its index and term. */
export function entry(
  index: number,
  term: number,
  bytes = 8,
  type: Entry["type"] = "normal",
): Entry {
  const data = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) data[i] = (index * 31 + term * 7 + i) & 0xff;
  return { index, term, type, data };
}

/** Consecutive entries `from..to` in `term`. */
export function entries(from: number, to: number, term: number, bytes = 8): Entry[] {
  const out: Entry[] = [];
  for (let index = from; index <= to; index++) out.push(entry(index, term, bytes));
  return out;
}

/** A snapshot at `index`/`term` with a one-member membership and some data. */
export function snapshot(index: number, term: number, bytes = 32): Snapshot {
  const data = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) data[i] = (index + i) & 0xff;
  return {
    meta: {
      index,
      term,
      membership: [{ id: "n1", voter: true, raftAddr: "127.0.0.1:7001", httpAddr: "" }],
    },
    data,
  };
}

/** A logger that keeps every line, for asserting on what recovery reported. */
export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const emit = (level: string) => (message: string, fields?: LogFields) => {
    lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  };
  return {
    lines,
    debug: emit("debug"),
    info: emit("info"),
    warn: emit("warn"),
    error: emit("error"),
  };
}

/** Runs `body` with a fresh temporary directory, removed afterwards. */
export async function withTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "rafter-storage-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Opens `dir` as node "n1" with a recording logger. */
export async function openStorage(
  dir: string,
  options: { segmentBytesMax?: number; nodeId?: string } = {},
): Promise<FileStorage & { log: string[] }> {
  const logger = recordingLogger();
  const storage = await FileStorage.open(dir, {
    nodeId: options.nodeId ?? "n1",
    logger,
    ...(options.segmentBytesMax === undefined ? {} : { segmentBytesMax: options.segmentBytesMax }),
  });
  return Object.assign(storage, { log: logger.lines });
}

/** The WAL segment files of `dir`, sorted. */
export async function segmentPaths(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const item of Deno.readDir(`${dir}/wal`)) names.push(item.name);
  return names.sort().map((name) => `${dir}/wal/${name}`);
}

/** The file names under `dir/sub`, sorted. */
export async function fileNames(dir: string, sub: string): Promise<string[]> {
  const names: string[] = [];
  for await (const item of Deno.readDir(`${dir}/${sub}`)) names.push(item.name);
  return names.sort();
}

/** A small seeded generator (mulberry32): same seed, same sequence. */
export class Random {
  #state: number;

  /** @param seed any 32-bit integer */
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }
}
