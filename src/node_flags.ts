/**
 * What a node's `deno run` command line must carry, named in one place: the
 * V8 flags and the permissions. The `deno.json` tasks, the shebang of
 * `main.ts` (and so of the bundle), the compiled binary and the scripts,
 * benchmarks and tests that start nodes all pass these (a test checks the
 * tasks and the shebang).
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
 * import { NODE_V8_FLAGS } from "./node_flags.ts";
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
 * import { v8FlagsOption } from "./node_flags.ts";
 * if (v8FlagsOption() !== "--v8-flags=--max-semi-space-size=8,--heap-growing-percent=25") {
 *   throw new Error(v8FlagsOption());
 * }
 * ```
 */
export function v8FlagsOption(): string {
  return `--v8-flags=${NODE_V8_FLAGS.join(",")}`;
}

/**
 * The permissions a serving node needs: its ports, its data directory and
 * files it is pointed at, its environment, the machine's memory (the default
 * quota) and the C library (to give freed native memory back to the system,
 * `src/node/native_memory.ts`; a node without it runs the same, larger). The
 * `rafter` client commands add `--allow-run`.
 *
 * @example
 * ```ts
 * import { NODE_PERMISSIONS } from "./node_flags.ts";
 * if (!NODE_PERMISSIONS.includes("--allow-sys=systemMemoryInfo")) throw new Error();
 * ```
 */
export const NODE_PERMISSIONS: readonly string[] = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys=systemMemoryInfo",
  "--allow-ffi",
];

/**
 * The `deno run` options of a serving node: the V8 flags, then the permissions.
 *
 * @example
 * ```ts
 * import { nodeRunOptions, v8FlagsOption } from "./node_flags.ts";
 * if (nodeRunOptions()[0] !== v8FlagsOption()) throw new Error();
 * ```
 */
export function nodeRunOptions(): string[] {
  return [v8FlagsOption(), ...NODE_PERMISSIONS];
}
