/**
 * `deno task cluster`: three local nodes in the foreground (Raft on
 * 7001-7003, HTTP on 8001-8003, data under data/); Ctrl-C stops them all.
 *
 * @module
 */

import { nodeRunOptions } from "../src/node_flags.ts";

const main = new URL("../main.ts", import.meta.url).pathname;

function start(i: number): Deno.ChildProcess {
  const role = i === 1 ? ["--bootstrap"] : ["--join", "http://127.0.0.1:8001"];
  const args = [
    "run",
    ...nodeRunOptions(),
    main,
    "--id",
    `n${i}`,
    "--raft-addr",
    `127.0.0.1:700${i}`,
    "--http-addr",
    `127.0.0.1:800${i}`,
    "--data-dir",
    `data/n${i}`,
    ...role,
  ];
  return new Deno.Command(Deno.execPath(), { args, stdin: "null" }).spawn();
}

const children = [1, 2, 3].map(start);
const stop = () => {
  for (const child of children) {
    try {
      child.kill("SIGTERM");
    } catch {
      // Already gone.
    }
  }
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
const codes = await Promise.all(children.map((child) => child.status));
Deno.exit(codes.every((s) => s.success) ? 0 : 1);
