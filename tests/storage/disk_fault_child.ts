/**
 * The process whose disk fails, for `disk_fault_test.ts`: it saves batches
 * to a `FileStorage` until one is refused, checks the refusal sticks, waits
 * for the fault to be cleared, then reopens the directory and reports, as
 * one JSON line, what was acknowledged, what recovery found and whether new
 * saves work.
 *
 *   deno run -A disk_fault_child.ts full DIR   (DIR on a small tmpfs; a filler file eats most of it)
 *   deno run -A disk_fault_child.ts eio DIR    (prints "ready", waits for "go" and "healed" on stdin)
 *
 * @module
 */

import { FileStorage } from "../../src/storage/file_storage.ts";
import { silentLogger } from "../../src/log.ts";
import { StorageError } from "../../src/storage/errors.ts";
import { entry } from "./helpers.ts";

/** Entry bytes per batch: a few pages, so a small disk fills in a few dozen batches. */
const ENTRY_BYTES = 8 * 1024;
/** Batches tried at most before the fault must have struck. */
const BATCHES_MAX = 10_000;
/** Batches saved before syncs start failing. */
const EIO_BATCHES_BEFORE = 5;
/** The filler leaves this much of the disk to the log. */
const ROOM_BYTES = 256 * 1024;

const [mode, dir] = Deno.args;
if ((mode !== "full" && mode !== "eio") || dir === undefined) {
  console.error(`Usage: disk_fault_child.ts full|eio DIR, got "${Deno.args.join(" ")}"`);
  Deno.exit(2);
}
const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream()).getReader();

async function waitFor(word: string): Promise<void> {
  let text = "";
  while (!text.includes(`${word}\n`)) {
    const { value, done } = await lines.read();
    if (done) throw new Error(`stdin closed before "${word}"`);
    text += value;
  }
}

async function fillAllBut(room: number): Promise<void> {
  const free = Number(
    (await new Deno.Command("df", { args: ["-B1", "--output=avail", dir!] })
      .output().then((o) => new TextDecoder().decode(o.stdout))).trim().split("\n").pop(),
  );
  await Deno.writeFile(`${dir}/filler`, new Uint8Array(Math.max(0, free - room)));
}

const storage = await FileStorage.open(`${dir}/data`, { nodeId: "n1", logger: silentLogger });
let acked = 0;
let refusal = "";

async function saveNext(): Promise<void> {
  try {
    await storage.save({
      hardState: { term: 1, vote: "n1", commit: acked },
      entries: [entry(acked + 1, 1, ENTRY_BYTES)],
    });
    acked++;
  } catch (error) {
    refusal = error instanceof StorageError ? error.message : `not a StorageError: ${error}`;
  }
}

if (mode === "full") await fillAllBut(ROOM_BYTES);
else {
  // Some batches are durable before the disk starts failing.
  for (let i = 0; i < EIO_BATCHES_BEFORE; i++) await saveNext();
  console.log("ready");
  await waitFor("go");
}
for (let i = 0; i < BATCHES_MAX && refusal === ""; i++) await saveNext();
let sticky = false;
try {
  await storage.save({ hardState: null, entries: [entry(acked + 1, 1, 1)] });
} catch (error) {
  sticky = error instanceof StorageError;
}
await storage.close().catch(() => {});
if (mode === "full") await Deno.remove(`${dir}/filler`);
else {
  console.log("failed");
  await waitFor("healed");
}
const reopened = await FileStorage.open(`${dir}/data`, { nodeId: "n1", logger: silentLogger });
const recovered = reopened.recovered().entries.map((e) => e.index);
const next = (recovered[recovered.length - 1] ?? 0) + 1;
let savesAgain = true;
try {
  await reopened.save({ hardState: null, entries: [entry(next, 1, ENTRY_BYTES)] });
} catch {
  savesAgain = false;
}
await reopened.close();
console.log(JSON.stringify({ acked, refusal, sticky, recovered, savesAgain }));
// Reading stdin keeps the process alive until it closes: end here.
Deno.exit(0);
