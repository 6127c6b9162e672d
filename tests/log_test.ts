import { assertEquals, assertTrue } from "./assert.ts";
import { createLogger } from "../src/log.ts";

Deno.test("JSON log lines carry ts, level, node, msg and the fields", () => {
  const lines: string[] = [];
  const log = createLogger("info", { sink: (l) => lines.push(l), prefix: "n3", format: "json" });
  log.debug("hidden");
  log.info("snapshot saved", { index: 10, bytes: 2048, durationMs: 12, ok: true });
  log.error("odd", { msg: "a field named msg", note: 'quote " and\nnewline' });
  assertEquals(lines.length, 2);
  const first = JSON.parse(lines[0]!);
  assertTrue(!Number.isNaN(Date.parse(first.ts)));
  assertEquals(Object.keys(first), [
    "ts",
    "level",
    "node",
    "msg",
    "index",
    "bytes",
    "durationMs",
    "ok",
  ]);
  assertEquals(first.msg, "snapshot saved");
  const second = JSON.parse(lines[1]!);
  assertEquals([second.msg, second.field_msg, second.note], [
    "odd",
    "a field named msg",
    'quote " and\nnewline',
  ]);
});

Deno.test("text log lines stay as they were", () => {
  const lines: string[] = [];
  const log = createLogger("warn", { sink: (l) => lines.push(l), prefix: "n1" });
  log.info("hidden");
  log.warn("peer unreachable", { peer: "n2", error: "connection refused" });
  assertEquals(lines.length, 1);
  assertTrue(lines[0]!.endsWith('n1 warn peer unreachable peer=n2 error="connection refused"'));
});
