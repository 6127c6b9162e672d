/**
 * Disks that fail under a real process: a tmpfs that fills up, and syncs
 * that fail with EIO (strace injects the error into `fdatasync` and `fsync`).
 * The storage refuses the batch that could not be made durable and every
 * later one, so nothing unsynced is ever acknowledged; once the fault is
 * gone the directory reopens with every acknowledged batch, cuts what was
 * torn, and takes new saves.
 */

import { assertEquals, assertTrue } from "../assert.ts";
import { failSyncs, type SyncFault } from "../chaos/faults.ts";
import { labUnavailable, sh, skipWithoutLab } from "../chaos/lab.ts";

const CHILD = new URL("./disk_fault_child.ts", import.meta.url).pathname;
/** Size of the tmpfs the full-disk child writes to. */
const DISK_BYTES = 1024 * 1024;
/** Polls while strace attaches. */
const ATTACH_POLLS_MAX = 500;

/** Without the lab's tools the tests are skipped (saying why), except under CI where they fail. */
const skip = skipWithoutLab(await labUnavailable());

interface ChildReport {
  acked: number;
  refusal: string;
  sticky: boolean;
  recovered: number[];
  savesAgain: boolean;
}

function expectRecovered(report: ChildReport, refusal: RegExp): void {
  assertTrue(report.acked > 0, `some batches were acknowledged: ${JSON.stringify(report)}`);
  assertTrue(refusal.test(report.refusal), report.refusal);
  assertTrue(report.sticky, "the storage keeps refusing after the failure");
  const expected = Array.from({ length: report.acked }, (_, i) => i + 1);
  // Every acknowledged batch is there; at most the refused one more, never a gap.
  assertEquals(report.recovered.slice(0, report.acked), expected);
  assertTrue(report.recovered.length <= report.acked + 1, JSON.stringify(report.recovered));
  assertTrue(report.savesAgain, "the reopened directory takes new saves");
}

Deno.test({
  name:
    "a full disk: the batch that did not fit is refused, and every later one; reopening keeps all acknowledged",
  ignore: skip,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "rafter_disk_full_" });
    try {
      // A private mount namespace: the tmpfs vanishes with the process.
      const script = `mount -t tmpfs -o size=${DISK_BYTES} tmpfs "$1" && ` +
        `exec "$2" run -A "$3" full "$1"`;
      const result = await sh([
        "unshare",
        "--mount",
        "sh",
        "-c",
        script,
        "sh",
        dir,
        Deno.execPath(),
        CHILD,
      ]);
      const report = JSON.parse(result.stdout.trim().split("\n").pop()!) as ChildReport;
      expectRecovered(report, /^Cannot write ".*\.wal": No space left on device/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "syncs failing with EIO: nothing is acknowledged after the failure; reopening keeps all acknowledged",
  ignore: skip,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "rafter_disk_eio_" });
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", CHILD, "eio", dir],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const writer = child.stdin.getWriter();
    const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let syncFault: SyncFault | null = null;
    try {
      await readUntil(lines, "ready");
      syncFault = failSyncs(child.pid);
      await waitTraced(child.pid);
      await writer.write(new TextEncoder().encode("go\n"));
      await readUntil(lines, "failed");
      await syncFault.stop();
      syncFault = null;
      await writer.write(new TextEncoder().encode("healed\n"));
      const report = JSON.parse((await readUntil(lines, "{")).trim()) as ChildReport;
      expectRecovered(report, /^Cannot sync ".*\.wal": Input\/output error/);
      assertEquals(report.acked, 5, "no batch is acknowledged once syncs fail");
      assertEquals((await child.status).code, 0);
    } finally {
      await syncFault?.stop();
      await writer.close().catch(() => {});
      try {
        child.kill("SIGKILL");
      } catch {
        // Already exited.
      }
      await child.status;
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** Reads lines until one contains `marker`; answers that line. */
async function readUntil(
  lines: ReadableStreamDefaultReader<string>,
  marker: string,
): Promise<string> {
  let text = "";
  for (;;) {
    const found = text.split("\n").find((line) => line.includes(marker));
    if (found !== undefined) return found;
    const { value, done } = await lines.read();
    if (done) throw new Error(`The child ended before printing "${marker}": ${text}`);
    text += value;
  }
}

/** Waits until every thread of `pid` is traced. */
async function waitTraced(pid: number): Promise<void> {
  for (let i = 0; i < ATTACH_POLLS_MAX; i++) {
    const tasks = [...Deno.readDirSync(`/proc/${pid}/task`)].map((t) => t.name);
    const traced = tasks.every((task) => {
      const status = Deno.readTextFileSync(`/proc/${pid}/task/${task}/status`);
      return !/^TracerPid:\s+0$/m.test(status);
    });
    if (traced) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`strace did not attach to ${pid}`);
}
