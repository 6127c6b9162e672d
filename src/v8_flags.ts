/**
 * The V8 flags a node runs with, and the one place that names them: the
 * `deno.json` tasks, the shebang of `main.ts` (and so of the bundle) and the
 * scripts that start nodes all pass these.
 *
 * A node keeps its whole state in the engine's heap, so what the heap
 * reserves beyond what it uses is most of a node's memory: by default V8
 * lets the old generation grow to up to four times what survived the last
 * full collection before collecting again, and keeps up to 32 MiB per
 * semi-space for the young generation. With a 1,000,000-key state (about
 * 220 MB live) that was 650-900 MB reserved; growing by a quarter at most,
 * with 8 MiB semi-spaces, keeps it near 300 MB. The flags must be given on
 * the command line: V8 reads them when it starts.
 *
 * @module
 */

/**
 * The flags, each as V8 takes it.
 *
 * @example
 * ```ts
 * import { NODE_V8_FLAGS } from "./v8_flags.ts";
 * if (!NODE_V8_FLAGS.includes("--heap-growing-percent=25")) throw new Error();
 * ```
 */
export const NODE_V8_FLAGS: readonly string[] = [
  "--max-semi-space-size=8",
  "--heap-growing-percent=25",
];

/**
 * The `deno run` option that passes {@link NODE_V8_FLAGS}.
 *
 * @example
 * ```ts
 * import { v8FlagsOption } from "./v8_flags.ts";
 * if (v8FlagsOption() !== "--v8-flags=--max-semi-space-size=8,--heap-growing-percent=25") {
 *   throw new Error(v8FlagsOption());
 * }
 * ```
 */
export function v8FlagsOption(): string {
  return `--v8-flags=${NODE_V8_FLAGS.join(",")}`;
}
