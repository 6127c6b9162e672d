// The V8 flags and permissions reach every way a node is started, and V8 takes the flags.
import { assertEquals, assertTrue } from "./assert.ts";
import { NODE_PERMISSIONS, NODE_V8_FLAGS, v8FlagsOption } from "../src/node_flags.ts";

const ROOT = new URL("../", import.meta.url);
/** Bytes in a mebibyte. */
const MIB = 1024 * 1024;

Deno.test("node flags: the tasks, the shebang of main.ts and the README pass them", async () => {
  const option = v8FlagsOption();
  const tasks = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT))).tasks;
  for (const name of ["start", "rafter", "compile"]) {
    assertTrue(tasks[name].includes(` ${option} `), `task "${name}" passes ${option}`);
  }
  const shebang = (await Deno.readTextFile(new URL("main.ts", ROOT))).split("\n")[0]!;
  assertTrue(shebang.startsWith("#!/usr/bin/env -S deno run ") && shebang.includes(option));
  const readme = await Deno.readTextFile(new URL("README.md", ROOT));
  assertTrue(readme.includes(`deno run ${option} `), "the README's command for the bundle");
});

Deno.test("node flags: the tasks, the shebang of main.ts and the README grant the node's permissions", async () => {
  const tasks = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT))).tasks;
  const shebang = (await Deno.readTextFile(new URL("main.ts", ROOT))).split("\n")[0]!;
  const readme = await Deno.readTextFile(new URL("README.md", ROOT));
  const bundleLine = readme.split("\n").find((line) =>
    line.includes("dist/rafter.js; run it with")
  );
  const lines: [string, string][] = [
    ...["start", "rafter", "compile"].map((
      name,
    ): [string, string] => [`task "${name}"`, tasks[name]]),
    ["the shebang of main.ts", shebang],
    ["the README's command for the bundle", bundleLine ?? ""],
  ];
  for (const [where, line] of lines) {
    const words = line.split(/\s+/);
    for (const permission of NODE_PERMISSIONS) {
      assertTrue(words.includes(permission), `${where} grants ${permission}`);
    }
  }
});

Deno.test("node flags: V8 takes them, and the young generation stays small", async () => {
  // A V8 that did not know a flag would stop with an error. Without the flags,
  // keeping two million objects grows the young generation to 64 MiB.
  const code = `
    import v8 from "node:v8";
    const keep = [];
    for (let i = 0; i < 2_000_000; i++) keep.push({ i, s: "x" + i });
    const space = v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space");
    console.log(space.space_size, keep.length);
  `;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", v8FlagsOption(), code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(output.code, 0, new TextDecoder().decode(output.stderr));
  const newSpaceBytes = Number(new TextDecoder().decode(output.stdout).split(" ")[0]);
  const semiSpaceMib = Number(/--max-semi-space-size=(\d+)/.exec(NODE_V8_FLAGS.join(" "))![1]);
  // Two semi-spaces of the flag's size (V8's default reaches 64 MiB here); the bound allows twice
  // that, so a reading taken while the space resizes does not fail the test.
  assertTrue(newSpaceBytes > 0 && newSpaceBytes <= 4 * semiSpaceMib * MIB, String(newSpaceBytes));
});
