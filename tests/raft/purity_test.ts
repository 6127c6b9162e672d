import { assertEquals, assertTrue } from "../assert.ts";

/** What the pure core must never touch: I/O, clocks, timers, global randomness, async. */
const FORBIDDEN: [string, RegExp][] = [
  ["Deno.", /\bDeno\./],
  ["setTimeout", /\bsetTimeout\b/],
  ["setInterval", /\bsetInterval\b/],
  ["Date", /\bDate\b/],
  ["Math.random", /\bMath\.random\b/],
  ["performance.now", /\bperformance\.now\b/],
  ["await", /\bawait\b/],
  ["async", /\basync\b/],
];

/** Drops block and line comments so documentation may name what the code must not use. */
function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

Deno.test("purity: stripping comments keeps code and drops documentation", () => {
  const stripped = stripComments("/** Date */\nconst a = 1; // await\nconst b = Date.now();\n");
  assertEquals(stripped, "\nconst a = 1; \nconst b = Date.now();\n");
});

Deno.test("purity: no file of the core uses I/O, clocks, timers, global randomness or await", async () => {
  const dir = new URL("../../src/raft/", import.meta.url);
  const offences: string[] = [];
  let files = 0;
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile || !entry.name.endsWith(".ts")) continue;
    files++;
    const code = stripComments(await Deno.readTextFile(new URL(entry.name, dir)));
    for (const [name, pattern] of FORBIDDEN) {
      if (pattern.test(code)) offences.push(`${entry.name} uses ${name}`);
    }
  }
  assertTrue(files >= 8, `found only ${files} files under src/raft/`);
  assertEquals(offences, []);
});
