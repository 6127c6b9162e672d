import { assertTrue } from "../assert.ts";
import { fuzzRaftPort } from "./raft_port.ts";

// A bounded run; `deno task fuzz --cases N --runs R` runs longer ones.
const CASES = 600;

Deno.test(`Raft port fuzz: ${CASES} hostile connections leave the cluster serving at its term`, async () => {
  const report = await fuzzRaftPort(20261128, CASES);
  assertTrue(report.frames > 2000, `only ${report.frames} frames were sent`);
  assertTrue(report.dropped > CASES / 2, `only ${report.dropped} inputs were counted as dropped`);
});
