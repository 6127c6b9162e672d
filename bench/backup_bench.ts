/**
 * What a backup costs a node: a state machine of N keys with 100-byte values
 * served by the real HTTP app on a loopback socket, `GET /snapshot` read to
 * its end through the frame checks `rafter snapshot save` makes: timed alone
 * and while the machine keeps applying puts between chunks, then once more
 * sampling the live memory above the state itself (heap plus external after
 * a full collection, every 50 chunks), next to encoding the same state into
 * one buffer as a node's own snapshots do.
 *
 * Run: `deno task bench:backup [keys]` (default 1000000)
 *
 * @module
 */

import type { KvApi } from "../src/api.ts";
import { createApp } from "../src/http/mod.ts";
import { encodePut } from "../src/kv/command.ts";
import { encodeSnapshot } from "../src/kv/snapshot.ts";
import type { KvStateMachine } from "../src/kv/state_machine.ts";
import { backupOf } from "../src/node/backup.ts";
import { BackupReader } from "../src/storage/backup_file.ts";
import { benchKey, fillMachine, liveBytes, requireGc } from "./machine_fill.ts";

const KEYS_DEFAULT = 1_000_000;
/** Puts applied between two chunks read: the writes a busy node goes on applying. */
const PUTS_PER_CHUNK = 50;
const MB = 1e6;

/** Chunks read between two samples of live memory (each after a full collection). */
const CHUNKS_PER_SAMPLE = 50;

requireGc();

/**
 * Reads `/snapshot` from `origin` through the frame checks, applying `putsPerChunk` puts
 * between chunks; samples the live memory (after a full collection) every few chunks.
 */
async function download(
  origin: string,
  machine: KvStateMachine,
  options: { putsPerChunk: number; sample: boolean },
) {
  const { putsPerChunk, sample } = options;
  const start = performance.now();
  const response = await fetch(`${origin}/snapshot`);
  const reader = new BackupReader();
  let peak = 0;
  let puts = 0;
  let chunks = 0;
  for await (const chunk of response.body!) {
    reader.push(chunk);
    for (let i = 0; i < putsPerChunk; i++, puts++) {
      const index = machine.appliedIndex + 1;
      const data = encodePut(benchKey(puts % machine.size), `changed ${puts}`);
      machine.apply({ index, term: 1, type: "normal", data });
    }
    if (sample && ++chunks % CHUNKS_PER_SAMPLE === 0) peak = Math.max(peak, liveBytes());
  }
  const summary = reader.finish();
  return { summary, seconds: (performance.now() - start) / 1000, peak, puts };
}

async function timed(origin: string, machine: KvStateMachine, putsPerChunk: number) {
  const streamed = await download(origin, machine, { putsPerChunk, sample: false });
  const bytes = streamed.summary.backupBytes;
  const rate = (bytes / MB / streamed.seconds).toFixed(0);
  console.log(
    `GET /snapshot of ${machine.size} keys: ${(bytes / MB).toFixed(1)} MB in ` +
      `${streamed.seconds.toFixed(2)} s (${rate} MB/s), ${streamed.puts} puts applied meanwhile`,
  );
}

async function sampled(origin: string, machine: KvStateMachine) {
  const before = liveBytes();
  const streamed = await download(origin, machine, { putsPerChunk: 0, sample: true });
  console.log(
    `GET /snapshot, live memory above the state (sampled after a collection every ` +
      `${CHUNKS_PER_SAMPLE} chunks): at most ${((streamed.peak - before) / MB).toFixed(1)} MB`,
  );
}

const keys = Number(Deno.args[0] ?? KEYS_DEFAULT);
const machine = fillMachine(keys);
const node = { backup: () => backupOf(machine.freeze(), 1) } as unknown as KvApi;
const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, createApp(node).fetch);
const origin = `http://127.0.0.1:${server.addr.port}`;
try {
  await timed(origin, machine, 0);
  await timed(origin, machine, PUTS_PER_CHUNK);
  await sampled(origin, machine);
  const beforeBuffer = liveBytes();
  const start = performance.now();
  const whole = encodeSnapshot(machine.freeze());
  const seconds = (performance.now() - start) / 1000;
  console.log(
    `one buffer (a node's own snapshot): ${(whole.length / MB).toFixed(1)} MB in ` +
      `${seconds.toFixed(2)} s; memory above the state: ` +
      `${((liveBytes() - beforeBuffer) / MB).toFixed(1)} MB`,
  );
} finally {
  await server.shutdown();
}
