import { assertEquals, assertTrue } from "../assert.ts";
import { withFuzzCluster } from "./fuzz_cluster.ts";
import { appRoutes, fuzzHttpOf } from "./http_fuzz.ts";

// A bounded run; `deno task fuzz --target http --cases N --runs R` runs longer ones.
const CASES = 2500;

Deno.test(`HTTP fuzz: ${CASES} random and mutated requests on every route, no 5xx, the model holds`, async () => {
  await withFuzzCluster(true, async (fuzz) => {
    const report = await fuzzHttpOf(fuzz, 20261130, CASES, 8);
    assertEquals(report.failures, [], `${report.failureCount} requests broke the rule`);
    const routes = appRoutes().map(({ method, path }) => `${method} ${path}`).sort();
    assertEquals(Object.keys(report.routes).sort(), routes, "every declared route was fuzzed");
    assertTrue((report.statuses["200"] ?? 0) > CASES / 20, JSON.stringify(report.statuses));
    assertTrue((report.statuses["400"] ?? 0) > CASES / 20, JSON.stringify(report.statuses));
  });
});
