import { assertEquals, assertThrows, assertTrue } from "../assert.ts";
import {
  maxOpenFiles,
  registerProcessMetrics,
  statFields,
  statusBytes,
} from "../../src/metrics/process.ts";
import { Registry } from "../../src/metrics/registry.ts";

function sample(text: string, name: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

Deno.test("/proc parsers read a command name with spaces and kB figures", () => {
  const stat =
    "42 (my (odd) cmd) S 1 42 42 0 -1 4194304 10 0 0 0 250 50 0 0 20 0 1 0 99 123456 789";
  const fields = statFields(stat);
  assertEquals(fields[0], "S");
  assertEquals([fields[11], fields[12], fields[20]], ["250", "50", "123456"]);
  assertEquals(statusBytes("Name:\tdeno\nVmData:\t  2048 kB\n", "VmData"), 2048 * 1024);
  assertThrows(() => statusBytes("Name: x\n", "VmData"), /No "VmData"/);
  assertEquals(
    maxOpenFiles("Max open files            1024                 4096                 files\n"),
    1024,
  );
  assertEquals(
    maxOpenFiles("Max open files            unlimited            unlimited            files\n"),
    Infinity,
  );
});

Deno.test("process metrics come from a fake /proc, and are left out when it cannot be read", () => {
  const files: Record<string, string> = {
    "/proc/self/stat": "7 (deno) R 1 7 7 0 -1 0 0 0 0 0 350 150 0 0 20 0 4 0 9 5000000 100",
    "/proc/self/status": "VmData:\t 100 kB\n",
    "/proc/self/limits":
      "Max open files            512                  512                  files\n",
  };
  const registry = new Registry();
  registerProcessMetrics(registry, (path) => {
    const text = files[path];
    if (text === undefined) throw new Deno.errors.NotFound(path);
    return text;
  });
  const text = registry.render();
  assertEquals(sample(text, "process_cpu_seconds_total"), 5);
  assertEquals(sample(text, "process_virtual_memory_bytes"), 5000000);
  assertEquals(sample(text, "process_heap_bytes"), 102400);
  assertEquals(sample(text, "process_max_fds"), 512);
  const blind = new Registry();
  registerProcessMetrics(blind, () => {
    throw new Error("no /proc here");
  });
  const partial = blind.render();
  assertEquals(sample(partial, "process_cpu_seconds_total"), undefined);
  assertTrue((sample(partial, "process_resident_memory_bytes") ?? 0) > 0);
});

Deno.test({
  name: "process metrics of this process on Linux are plausible",
  ignore: Deno.build.os !== "linux",
  fn() {
    const registry = new Registry();
    registerProcessMetrics(registry);
    const text = registry.render();
    const rss = sample(text, "process_resident_memory_bytes") ?? 0;
    assertTrue(rss > 1024 * 1024, text);
    assertTrue((sample(text, "process_open_fds") ?? 0) >= 3, text);
    assertTrue((sample(text, "process_cpu_seconds_total") ?? -1) >= 0, text);
    const start = sample(text, "process_start_time_seconds") ?? 0;
    assertTrue(Math.abs(start - Date.now() / 1000) < 24 * 3600, `start ${start}`);
  },
});
