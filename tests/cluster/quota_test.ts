// The quota on real processes: writes that would take keys plus values past
// `--quota-bytes` answer 507 naming the size and the quota, and change nothing; writes that
// shrink the state, deletes, prefix deletes and revocations still work; `/status` on every
// node shows the size and the quota.
import { assertEquals, assertMatch, assertTrue } from "../assert.ts";
import { call, STEADY_TIMING } from "./data_model.ts";
import { type Answer, type Cluster, request, waitFor, withCluster } from "./harness.ts";

const QUOTA_BYTES = 4_096;
const VALUE = "v".repeat(200);
/** Puts at most before the quota must have been reached. */
const PUTS_MAX = 100;

interface QuotaBody {
  error: string;
  dataBytes: number;
  quotaBytes: number;
}

function expectQuota(answer: Answer, what: string): QuotaBody {
  assertEquals(answer.status, 507, `${what}: ${answer.text}`);
  const body = answer.json() as QuotaBody;
  assertEquals(body.quotaBytes, QUOTA_BYTES, what);
  assertMatch(
    body.error,
    new RegExp(`keys and values take "${body.dataBytes}" bytes .* quota of "${QUOTA_BYTES}" bytes`),
  );
  return body;
}

/** Waits until every node's `/status` shows `dataBytes` and the quota; answers the size. */
async function sizeEverywhere(cluster: Cluster, dataBytes: (n: number) => boolean) {
  return await waitFor(async () => {
    const statuses = await Promise.all(cluster.running().map((n) => cluster.status(n)));
    const sizes = statuses.map((s) => s?.quotaBytes === QUOTA_BYTES ? s.dataBytes : undefined);
    return sizes.every((n) => n !== undefined && n === sizes[0] && dataBytes(n)) ? sizes[0] : null;
  }, "every node to show the same size and the quota");
}

Deno.test("quota: 507 with the size and the quota, nothing written; deletes still work; /status shows both", async () => {
  await withCluster(
    { ...STEADY_TIMING, extraArgs: ["--quota-bytes", String(QUOTA_BYTES)] },
    async (cluster) => {
      const leader = await cluster.form(3);
      const l = leader.httpAddr;
      assertEquals(await sizeEverywhere(cluster, (n) => n === 0), 0);

      let refused: Answer | null = null;
      let written = 0;
      for (; written < PUTS_MAX; written++) {
        const answer = await call(l, "POST", "/key", { key: `q/${written}`, value: VALUE });
        if (answer.status !== 200) {
          refused = answer;
          break;
        }
      }
      assertTrue(refused !== null, `no 507 after ${PUTS_MAX} puts`);
      const full = expectQuota(refused, "the put past the quota");
      assertTrue(full.dataBytes <= QUOTA_BYTES && full.dataBytes + VALUE.length > QUOTA_BYTES - 8);
      assertEquals(await sizeEverywhere(cluster, () => true), full.dataBytes);

      // Every other way to grow the state is refused whole, and nothing changes.
      const txn = {
        success: [{ put: { key: "t/small", value: "x" } }, { put: { key: "t/big", value: VALUE } }],
      };
      expectQuota(await call(l, "POST", "/txn", txn), "a transaction");
      const raw = await request(`http://${l}/kv/raw`, { method: "PUT", body: VALUE });
      expectQuota(raw, "PUT /kv/");
      expectQuota(
        await call(l, "POST", "/key", { key: "q/new", value: VALUE, ttlMs: 5_000 }),
        "a TTL put",
      );
      for (const key of ["q/new", "t/small", "t/big", "raw"]) {
        assertEquals((await call(l, "GET", `/key?key=${key}&level=consistent`)).status, 404, key);
      }
      assertEquals(await sizeEverywhere(cluster, () => true), full.dataBytes, "nothing written");

      // A write that shrinks the state works over the quota; so do deletes.
      assertEquals((await call(l, "POST", "/key", { key: "q/0", value: "short" })).status, 200);
      assertEquals((await call(l, "DELETE", "/key?key=q/1")).status, 200);
      const lease = (await call(l, "POST", "/lease", { ttlMs: 5_000 })).json() as { id: number };
      assertEquals((await call(l, "DELETE", `/lease?id=${lease.id}`)).status, 200);
      const emptied = await call(l, "DELETE", "/keys?prefix=q/");
      assertEquals(emptied.status, 200, emptied.text);
      assertEquals((emptied.json() as { deleted: number }).deleted, written - 1);
      assertEquals(await sizeEverywhere(cluster, (n) => n === 0), 0, "room again, on every node");
      assertEquals((await call(l, "POST", "/key", { key: "q/new", value: VALUE })).status, 200);
    },
  );
});

Deno.test("quota: without --quota-bytes it is one eighth of the machine's memory, as --help says", async () => {
  // The node runs with the permissions its command lines grant, which must let it read the
  // machine's memory; without them it would fall back to 1 GiB.
  const expected = Math.floor(Deno.systemMemoryInfo().total / 8);
  await withCluster(STEADY_TIMING, async (cluster) => {
    const leader = await cluster.form(1);
    const quota = await waitFor(async () => {
      const status = await cluster.status(leader);
      return status?.quotaBytes ?? null;
    }, "the node to show its quota");
    assertEquals(quota, expected);
  });
});
