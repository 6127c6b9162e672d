import { assertEquals, assertThrows } from "../assert.ts";
import { errorCount, runLoad } from "../../bench/load.ts";
import { parseBenchOptions } from "../../bench/options.ts";
import { makeCerts, OPENSSL } from "../tls_tools.ts";
import { skipWithout } from "../tools.ts";

Deno.test("--tls is parsed, and only for a cluster the benchmark starts", () => {
  assertEquals(parseBenchOptions(["--tls"]).tls, true);
  assertEquals(parseBenchOptions([]).tls, false);
  assertThrows(() => parseBenchOptions(["--tls", "--target", "etcd"]), /--tls starts a secure/);
  assertThrows(() => parseBenchOptions(["--tls", "--url", "http://x:1"]), /takes no --target/);
});

Deno.test({
  name: "over HTTPS both load clients trust the given CA and send the token with every request",
  ignore: skipWithout("openssl", OPENSSL),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "rafter_bench_tls_" });
    const files = await makeCerts(dir);
    const seen: (string | null)[] = [];
    const server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen() {},
      cert: await Deno.readTextFile(files.cert),
      key: await Deno.readTextFile(files.key),
    }, async (request) => {
      seen.push(request.headers.get("authorization"));
      await request.body?.cancel();
      const ok = request.headers.get("authorization") === "Bearer bench-token";
      return new Response(null, { status: ok ? 204 : 401 });
    });
    try {
      for (const client of ["raw", "fetch"] as const) {
        seen.length = 0;
        const result = await runLoad({
          target: "rafter",
          keys: 10,
          valueBytes: 10,
          timeoutMs: 2_000,
          url: `https://127.0.0.1:${server.addr.port}`,
          op: "write",
          mode: "preload",
          connections: 2,
          durationMs: 10_000,
          client,
          caCert: await Deno.readTextFile(files.ca),
          authorization: "Bearer bench-token",
        });
        assertEquals([result.requests, result.ok, errorCount(result)], [10, 10, 0], client);
        assertEquals(new Set(seen), new Set(["Bearer bench-token"]), client);
      }
    } finally {
      await server.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
