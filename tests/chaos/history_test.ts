import { assertEquals, assertTrue } from "../assert.ts";
import { historyVerdicts } from "./checks.ts";
import {
  checkerHistory,
  classifyAnswer,
  classifyError,
  lostWrites,
  type OpRecord,
  staleReadViolations,
} from "./history.ts";

function op(fields: Partial<OpRecord> & Pick<OpRecord, "kind" | "call" | "ret">): OpRecord {
  return {
    worker: 0,
    key: "k",
    value: null,
    expected: null,
    level: null,
    outcome: "ok",
    read: null,
    deleted: false,
    swapped: false,
    index: null,
    node: "n1",
    status: 200,
    note: "",
    anomaly: false,
    ...fields,
  };
}

const put = (value: string, call: number, ret: number, outcome: OpRecord["outcome"] = "ok") =>
  op({ kind: "put", value, call, ret, outcome });
const read = (level: OpRecord["level"], value: string | null, call: number, ret: number) =>
  op({ kind: "get", level, read: value, call, ret });

const cas = (
  expected: string | null,
  value: string,
  call: number,
  ret: number,
  answer: { outcome?: OpRecord["outcome"]; swapped?: boolean; found?: string | null } = {},
) =>
  op({
    kind: "cas",
    expected,
    value,
    call,
    ret,
    outcome: answer.outcome ?? "ok",
    swapped: answer.swapped ?? false,
    read: answer.found ?? null,
  });

Deno.test("a 503 is indeterminate for a write unless it says it was never proposed", () => {
  assertEquals(classifyAnswer("put", 503, { error: "x" }).outcome, "indeterminate");
  assertEquals(classifyAnswer("put", 503, { indeterminate: true }).outcome, "indeterminate");
  assertEquals(classifyAnswer("delete", 503, { indeterminate: false }).outcome, "failed");
  assertEquals(classifyAnswer("get", 503, { error: "x" }).outcome, "failed");
  assertEquals(classifyAnswer("get", 404, { error: "x" }).outcome, "ok");
  assertEquals(classifyAnswer("put", 307, {}).outcome, "failed");
  assertEquals(classifyAnswer("put", 500, {}), { outcome: "indeterminate", anomaly: true });
  assertEquals(classifyAnswer("put", 400, {}), { outcome: "failed", anomaly: true });
});

Deno.test("a write that lost its connection is indeterminate; one never connected failed", () => {
  const refused = new TypeError("fetch failed", {
    cause: new Error("client error (Connect): tcp connect error: Connection refused"),
  });
  const closed = new TypeError("fetch failed", {
    cause: new Error("client error (SendRequest): connection closed before message completed"),
  });
  assertEquals(classifyError("put", refused).outcome, "failed");
  assertEquals(classifyError("put", closed).outcome, "indeterminate");
  assertEquals(
    classifyError("delete", new DOMException("timed out", "TimeoutError")).outcome,
    "indeterminate",
  );
  assertEquals(classifyError("get", closed).outcome, "failed");
});

Deno.test("the checker sees ok operations and open writes, not failures or stale reads", () => {
  const records = [
    put("a", 0, 1),
    put("b", 2, 3, "indeterminate"),
    put("c", 4, 5, "failed"),
    read("stale", "a", 6, 7),
    read("consistent", "a", 8, 9),
  ];
  const { ops, source } = checkerHistory(records);
  assertEquals(ops.map((o) => [o.input.kind, o.ret]), [["put", 1], ["put", null], ["get", 9]]);
  assertEquals(source.get(ops[2]!), records[4]);
});

Deno.test("a consistent read older than an acknowledged write is a violation with an excerpt", () => {
  const records = [put("a", 0, 1), put("b", 2, 3), read("consistent", "a", 4, 5)];
  const [linearizable] = historyVerdicts(records, new Map([["k", "b"]]));
  assertEquals(linearizable!.ok, false);
  assertTrue(linearizable!.excerpt?.includes('>> +0.004s..0.005s w0 n1 get consistent "k" -> "a"'));
  // An indeterminate write may take effect late: the same read is then fine.
  const late = [put("a", 0, 1), put("b", 2, 3, "indeterminate"), read("consistent", "a", 4, 5)];
  assertEquals(historyVerdicts(late, new Map([["k", "a"]])).every((v) => v.ok), true);
});

Deno.test("stale reads may lag but must not see a value no live put wrote", () => {
  const records = [
    put("a", 0, 1),
    put("b", 2, 3),
    put("x", 4, 5, "failed"),
    read("stale", "a", 6, 7),
    read("stale", "x", 8, 9),
    read("stale", "z", 10, 11),
  ];
  const violations = staleReadViolations(records);
  assertEquals(violations.length, 2);
  assertTrue(violations[0]!.includes('returned "x"'));
  assertTrue(violations[1]!.includes('returned "z"'));
});

Deno.test("a final value older than an acknowledged write means that write was lost", () => {
  const records = [put("a", 0, 1), put("b", 2, 3), op({ kind: "delete", call: 4, ret: 5 })];
  assertEquals(lostWrites(records, new Map([["k", null]])), []);
  const lost = lostWrites(records, new Map([["k", "a"]]));
  assertEquals(lost.length, 2, lost.join("\n"));
  assertTrue(lost[0]!.includes('acknowledged put of "b"'));
  // A delete that may still apply explains a missing value; nothing else does.
  const open = [put("a", 0, 1), op({ kind: "delete", call: 2, ret: 3, outcome: "indeterminate" })];
  assertEquals(lostWrites(open, new Map([["k", null]])), []);
  assertEquals(lostWrites([put("a", 0, 1)], new Map([["k", null]])).length, 1);
});

Deno.test("compare-and-swaps: a swap of a value the key did not hold is refused", () => {
  const finals = new Map([["k", "c"]]);
  const accepted = [
    put("a", 0, 1),
    cas("a", "b", 2, 3, { swapped: true }),
    cas("a", "x", 4, 5, { found: "b" }),
    cas("b", "c", 6, 7, { swapped: true }),
    read("consistent", "c", 8, 9),
  ];
  const verdicts = historyVerdicts(accepted, finals);
  assertTrue(verdicts.every((v) => v.ok), verdicts.map((v) => v.detail).join("\n"));
  // The key held "b", not "a", when the second swap was acknowledged.
  const refused = [
    put("a", 0, 1),
    cas("a", "b", 2, 3, { swapped: true }),
    cas("a", "c", 4, 5, { swapped: true }),
    read("consistent", "c", 8, 9),
  ];
  const [linearizable] = historyVerdicts(refused, finals);
  assertEquals(linearizable!.ok, false);
  assertTrue(linearizable!.excerpt?.includes('cas "k" "a" -> "c" swapped'), linearizable!.excerpt);
});

Deno.test("compare-and-swaps: a refusal while the key held the value compared is caught", () => {
  const records = [put("a", 0, 1), cas("a", "b", 2, 3, { found: "a" })];
  assertEquals(historyVerdicts(records, new Map([["k", "a"]]))[0]!.ok, false);
  // Compared with absence: refused only when the key exists.
  const absent = [cas(null, "a", 0, 1, { swapped: true }), cas(null, "b", 2, 3, { found: "a" })];
  assertTrue(historyVerdicts(absent, new Map([["k", "a"]])).every((v) => v.ok));
});

Deno.test("compare-and-swaps: an indeterminate one may take effect later, a refused one never", () => {
  const late = [
    put("a", 0, 1),
    cas("a", "b", 2, 3, { outcome: "indeterminate" }),
    read("consistent", "a", 4, 5),
    read("consistent", "b", 6, 7),
  ];
  assertTrue(historyVerdicts(late, new Map([["k", "b"]])).every((v) => v.ok));
  const refused = [put("a", 0, 1), cas("x", "b", 2, 3, { found: "a" })];
  const [linearizable, , lost] = historyVerdicts(refused, new Map([["k", "b"]]));
  assertEquals(linearizable!.ok, true);
  assertTrue(lost!.detail.includes('ends with "b", which no live put wrote'), lost!.detail);
  assertEquals(staleReadViolations([...refused, read("stale", "b", 4, 5)]).length, 1);
});

Deno.test("an acknowledged swap the final value does not reflect was lost", () => {
  const records = [put("a", 0, 1), cas("a", "b", 2, 3, { swapped: true })];
  const lost = lostWrites(records, new Map([["k", "a"]]));
  assertEquals(lost.length, 1, lost.join("\n"));
  assertTrue(lost[0]!.includes('acknowledged cas of "b"'));
  assertEquals(lostWrites(records, new Map([["k", "b"]])), []);
});
