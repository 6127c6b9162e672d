/**
 * A real node in this process (files, TCP, HTTP on loopback): the WAL fsync
 * histogram counts every `syncData()` the node makes, and the WAL write
 * counter every byte its segments grow by. Each `syncData()` is counted
 * independently by wrapping `Deno.FsFile.prototype.syncData` for the test.
 */

import { assertEquals, assertTrue } from "../assert.ts";
import { defaultNodeConfig, validateNodeConfig } from "../../src/config.ts";
import { silentLogger } from "../../src/log.ts";
import { startServer } from "../../src/server.ts";
import { freePorts, putKey, waitFor } from "../cluster/harness.ts";
import { moved, sample, scrape } from "./scrape.ts";

const FSYNC_COUNT = "rafter_disk_wal_fsync_duration_seconds_count";
const FSYNC_SUM = "rafter_disk_wal_fsync_duration_seconds_sum";

/** Counts every `syncData()` of any file while installed. */
function countSyncs(): { calls: () => number; restore: () => void } {
  const prototype = Deno.FsFile.prototype;
  const original = prototype.syncData;
  let calls = 0;
  prototype.syncData = function (this: Deno.FsFile): Promise<void> {
    calls++;
    return original.call(this);
  };
  return { calls: () => calls, restore: () => prototype.syncData = original };
}

Deno.test({
  name: "the WAL fsync histogram counts every sync, and the write counter every byte written",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "rafter_fsync_" });
    const [raftPort, httpPort] = freePorts(2);
    const syncs = countSyncs();
    const server = await startServer(
      validateNodeConfig({
        ...defaultNodeConfig(),
        raftAddr: `127.0.0.1:${raftPort}`,
        httpAddr: `127.0.0.1:${httpPort}`,
        dataDir,
        bootstrap: true,
      }),
      { logger: silentLogger },
    );
    try {
      const addr = server.httpAddr;
      await waitFor(() => server.node.status().role === "leader", "leadership");
      // The node may sync on its own while a scrape is read (the hard state after a
      // write), so each scrape is bracketed by two readings of the syncs counted.
      const beforeFrom = syncs.calls();
      const before = await scrape(addr);
      const beforeTo = syncs.calls();
      const writes = 30;
      for (let i = 0; i < writes; i++) {
        assertEquals((await putKey(addr, `f/${i}`, "v")).status, 200);
      }
      const afterFrom = syncs.calls();
      const after = await scrape(addr);
      const afterTo = syncs.calls();
      assertTrue(afterFrom - beforeTo >= writes, "each acknowledged write waited for a sync");
      for (
        const metric of [FSYNC_COUNT, 'rafter_disk_wal_fsync_duration_seconds_bucket{le="+Inf"}']
      ) {
        const counted = moved(before, after, metric);
        const range = `${afterFrom - beforeTo}..${afterTo - beforeFrom}`;
        assertTrue(
          afterFrom - beforeTo <= counted && counted <= afterTo - beforeFrom,
          `${metric} moved by ${counted}, the syncs made by ${range}`,
        );
      }
      assertTrue(moved(before, after, FSYNC_SUM) > 0);
      assertEquals(
        sample(after, "rafter_disk_wal_write_bytes_total"),
        sample(after, "rafter_disk_wal_size_bytes"),
        "every byte in the WAL was counted once",
      );
    } finally {
      syncs.restore();
      await server.stop();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
