import { assertTrue } from "../assert.ts";
import { fuzzRaftPort } from "./raft_port.ts";

// Bounded runs; `deno task fuzz --cases N --runs R` runs longer ones.
const CASES = 600;
const SECURE_CASES = 1500;

Deno.test(`Raft port fuzz: ${CASES} hostile connections leave the cluster serving at its term`, async () => {
  const report = await fuzzRaftPort(20261128, CASES);
  assertTrue(report.frames > 2000, `only ${report.frames} frames were sent`);
  assertTrue(report.dropped > CASES / 2, `only ${report.dropped} inputs were counted as dropped`);
});

Deno.test(`Raft port fuzz with the cluster secret: ${SECURE_CASES} connections, half of them authenticated members sending bad frames`, async () => {
  const report = await fuzzRaftPort(20261129, SECURE_CASES, { secure: true, concurrency: 8 });
  assertTrue(report.frames > 4 * SECURE_CASES, `only ${report.frames} frames were sent`);
  assertTrue(
    report.dropped > SECURE_CASES / 2,
    `only ${report.dropped} inputs were counted as dropped`,
  );
});
