import { runSimulation } from "./simulation.ts";
import { assertTrue } from "../assert.ts";

// A bounded batch; `deno task sim --seeds 10000` runs the long version. A seed with the
// data-model clients, keepers and watchers costs about 1.6 times one without them: 120 seeds
// cost what 200 did before.
const SEEDS = 120;
const STEPS = 400;

Deno.test(`simulation: ${SEEDS} seeds of faults keep every safety property and stay live`, async () => {
  let writes = 0;
  for (let seed = 1; seed <= SEEDS; seed++) {
    const result = await runSimulation({ seed, steps: STEPS });
    writes += result.ops.ok;
  }
  assertTrue(writes > SEEDS * 10, `clients completed operations (${writes})`);
});
