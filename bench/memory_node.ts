/**
 * A rafter node that tells where its memory goes: exactly `main.ts`, plus,
 * on SIGUSR2, lines on stderr (each starting `memory`) with its resident
 * memory, the V8 heap (used and reserved, space by space) and the resident
 * bytes of its largest mappings (`[heap]` is the C allocator's), first as
 * they are, then after a full collection, then after the C allocator gave
 * its free pages back (`malloc_trim`; only with `--allow-ffi` on glibc). The
 * difference between the last two is native memory freed but still resident.
 *
 * Run: `deno run -A --v8-flags=--expose-gc,<the node's flags> bench/memory_node.ts
 * --id n1 --bootstrap ...`, load it (`deno task bench --url ...`), then
 * `kill -USR2 <pid>`. See docs/PERFORMANCE.md, "Resident memory at a million keys".
 *
 * @module
 */

import { getHeapSpaceStatistics } from "node:v8";
import { main } from "../main.ts";

const MIB = 1024 * 1024;
/** Mappings with less resident memory than this are left out. */
const MAPPING_KIB_MIN = 1024;

/** The resident KiB of each mapping of this process, largest first. */
function mappings(): [string, number][] {
  const sizes = new Map<string, number>();
  let name = "";
  for (const line of Deno.readTextFileSync("/proc/self/smaps").split("\n")) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head !== null) name = head[1] === "" ? "[anon]" : head[1]!;
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss !== null) sizes.set(name, (sizes.get(name) ?? 0) + Number(rss[1]));
  }
  return [...sizes].filter(([, kib]) => kib >= MAPPING_KIB_MIN).sort((a, b) => b[1] - a[1]);
}

function report(stage: string): void {
  const mb = (bytes: number) => (bytes / MIB).toFixed(1);
  const usage = Deno.memoryUsage();
  const spaces = getHeapSpaceStatistics()
    .filter((space) => space.space_size > 0)
    .map((space) => `${space.space_name}=${mb(space.space_used_size)}/${mb(space.space_size)}`);
  const maps = mappings().map(([name, kib]) => `${name}=${(kib / 1024).toFixed(1)}`);
  console.error(
    `memory ${stage}: rss=${mb(usage.rss)} heapUsed=${mb(usage.heapUsed)} ` +
      `heapTotal=${mb(usage.heapTotal)} external=${mb(usage.external)} MB`,
  );
  console.error(`memory ${stage}: heap spaces (used/reserved MB) ${spaces.join(" ")}`);
  console.error(`memory ${stage}: resident MB by mapping ${maps.join(" ")}`);
}

/** `malloc_trim(0)` of glibc, or null without FFI. */
function mallocTrim(): (() => void) | null {
  try {
    const libc = Deno.dlopen("libc.so.6", {
      malloc_trim: { parameters: ["usize"], result: "i32" },
    });
    return () => void libc.symbols.malloc_trim(0n);
  } catch {
    return null;
  }
}

const trim = mallocTrim();
const gc = (globalThis as { gc?: () => void }).gc;
Deno.addSignalListener("SIGUSR2", () => {
  report("as is");
  if (gc === undefined) return console.error("memory: run with --v8-flags=--expose-gc");
  gc();
  report("after a full collection");
  if (trim === null) return console.error("memory: run with --allow-ffi to trim");
  trim();
  report("after malloc_trim");
});
Deno.exit(await main(Deno.args));
