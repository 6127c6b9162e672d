import { assertEquals, assertThrows, assertTrue } from "../assert.ts";
import {
  checkLinearizable,
  formatHistory,
  type Operation,
  type OperationInput,
} from "./linearizability.ts";

function put(client: number, key: string, value: string, call: number, ret: number | null) {
  return { client, input: { kind: "put", key, value }, call, ret, output: null } as Operation;
}

function get(client: number, key: string, value: string | null, call: number, ret: number) {
  return { client, input: { kind: "get", key }, call, ret, output: { value } } as Operation;
}

function del(
  client: number,
  key: string,
  deleted: boolean | null,
  call: number,
  ret: number | null,
) {
  const output = deleted === null ? null : { deleted };
  return { client, input: { kind: "delete", key }, call, ret, output } as Operation;
}

/** A compare-and-swap of `expected` to `value`; `swapped` null when unanswered. */
function cas(
  client: number,
  swap: {
    expected: string | null;
    value: string;
    swapped: boolean | null;
    current?: string | null;
  },
  call: number,
  ret: number | null,
) {
  const { expected, value, swapped, current } = swap;
  const output = swapped === null
    ? null
    : { swapped, ...(current === undefined ? {} : { current }) };
  return {
    client,
    input: { kind: "cas", key: "k", expected, value },
    call,
    ret,
    output,
  } as Operation;
}

function assertLinearizable(history: Operation[]): void {
  const result = checkLinearizable(history);
  assertTrue(result.ok, result.explanation);
  assertEquals(result.unknown, undefined);
}

function assertViolation(history: Operation[], key: string): void {
  const result = checkLinearizable(history);
  assertEquals(result.ok, false, "expected a violation");
  assertEquals(result.unknown, undefined);
  assertEquals(result.key, key);
  assertTrue(result.explanation?.includes(`Key "${key}" is not linearizable`), result.explanation);
}

Deno.test("an empty history is linearizable", () => {
  assertEquals(checkLinearizable([]), { ok: true, steps: 0 });
});

Deno.test("sequential histories that follow the register are linearizable", () => {
  assertLinearizable([
    get(1, "k", null, 0, 1),
    put(1, "k", "a", 2, 3),
    get(2, "k", "a", 4, 5),
    put(2, "k", "b", 6, 7),
    get(1, "k", "b", 8, 9),
    del(1, "k", true, 10, 11),
    get(2, "k", null, 12, 13),
    del(2, "k", false, 14, 15),
  ]);
});

Deno.test("a read overlapping a write may see the old or the new value", () => {
  const write = put(1, "k", "b", 10, 20);
  const before = put(1, "k", "a", 0, 5);
  assertLinearizable([before, write, get(2, "k", "a", 12, 15)]);
  assertLinearizable([before, write, get(2, "k", "b", 12, 15)]);
  // A later read still sees the new value once an overlapping read did.
  assertLinearizable([before, write, get(2, "k", "b", 12, 15), get(3, "k", "b", 16, 18)]);
});

Deno.test("a stale read after a completed write is a violation", () => {
  assertViolation([put(1, "k", "a", 0, 5), put(1, "k", "b", 6, 10), get(2, "k", "a", 11, 12)], "k");
});

Deno.test("a read that sees an older value after another read saw the newer one is a violation", () => {
  assertViolation([
    put(1, "k", "a", 0, 5),
    put(1, "k", "b", 6, 30),
    get(2, "k", "b", 10, 12),
    get(3, "k", "a", 13, 14),
  ], "k");
});

Deno.test("a read of a value never written is a violation", () => {
  assertViolation([put(1, "k", "a", 0, 5), get(2, "k", "z", 2, 8)], "k");
  assertViolation([get(2, "k", "z", 2, 8)], "k");
});

Deno.test("a delete that reports no key while the key certainly existed is a violation", () => {
  assertViolation([put(1, "k", "a", 0, 5), del(2, "k", false, 6, 8)], "k");
  // Overlapping the put, either answer is possible.
  assertLinearizable([put(1, "k", "a", 0, 5), del(2, "k", false, 3, 8)]);
  assertLinearizable([put(1, "k", "a", 0, 5), del(2, "k", true, 3, 8)]);
});

Deno.test("a delete that reports a key that never existed is a violation", () => {
  assertViolation([del(1, "k", true, 0, 1)], "k");
  assertViolation([put(1, "k", "a", 0, 1), del(1, "k", true, 2, 3), del(2, "k", true, 4, 5)], "k");
});

Deno.test("an operation called when another returns follows it", () => {
  // The get is called at 5, when the put returns: it must see "a".
  assertViolation([put(1, "k", "a", 0, 5), get(2, "k", null, 5, 6)], "k");
  assertLinearizable([put(1, "k", "a", 0, 5), get(2, "k", "a", 5, 6)]);
});

Deno.test("a write without a response may have taken effect", () => {
  assertLinearizable([
    put(1, "k", "a", 0, 1),
    put(2, "k", "b", 2, null),
    get(3, "k", "b", 50, 51),
    get(3, "k", "b", 52, 53),
  ]);
  // ...late, long after its client gave up.
  assertLinearizable([
    put(1, "k", "a", 0, 1),
    put(2, "k", "b", 2, null),
    get(3, "k", "a", 50, 51),
    get(3, "k", "b", 52, 53),
  ]);
  assertLinearizable([put(1, "k", "a", 0, 1), del(2, "k", null, 2, null), get(3, "k", null, 5, 6)]);
});

Deno.test("a write without a response may never have taken effect", () => {
  assertLinearizable([
    put(1, "k", "a", 0, 1),
    put(2, "k", "b", 2, null),
    get(3, "k", "a", 50, 51),
    put(3, "k", "c", 52, 53),
    get(3, "k", "c", 54, 55),
  ]);
  assertLinearizable([put(1, "k", "a", 0, 1), del(2, "k", null, 2, null), get(3, "k", "a", 5, 6)]);
});

Deno.test("a write without a response cannot take effect before its call", () => {
  assertViolation([get(3, "k", "b", 0, 1), put(2, "k", "b", 2, null)], "k");
});

Deno.test("a write without a response that was seen cannot be unseen", () => {
  assertViolation([
    put(1, "k", "a", 0, 1),
    put(2, "k", "b", 2, null),
    get(3, "k", "b", 10, 11),
    get(3, "k", "a", 12, 13),
  ], "k");
});

Deno.test("a compare-and-swap takes effect only where the register held what it compared", () => {
  assertLinearizable([
    cas(1, { expected: null, value: "a", swapped: true }, 0, 1),
    cas(2, { expected: null, value: "b", swapped: false, current: "a" }, 2, 3),
    cas(2, { expected: "a", value: "b", swapped: true }, 4, 5),
    get(1, "k", "b", 6, 7),
  ]);
  // Swapped while the register certainly held something else.
  assertViolation([
    put(1, "k", "x", 0, 1),
    cas(2, { expected: "a", value: "b", swapped: true }, 2, 3),
  ], "k");
  // Refused while the register certainly held what it compared.
  assertViolation([
    put(1, "k", "a", 0, 1),
    cas(2, { expected: "a", value: "b", swapped: false }, 2, 3),
  ], "k");
  // Refused, saying it found a value the register did not hold.
  assertViolation([
    put(1, "k", "x", 0, 1),
    cas(2, { expected: "a", value: "b", swapped: false, current: "y" }, 2, 3),
  ], "k");
  // A swap's new value is what later reads see.
  assertViolation([
    put(1, "k", "a", 0, 1),
    cas(2, { expected: "a", value: "b", swapped: true }, 2, 3),
    get(1, "k", "a", 4, 5),
  ], "k");
});

Deno.test("a compare-and-swap without a response takes effect later or never", () => {
  const open = cas(2, { expected: "a", value: "b", swapped: null }, 2, null);
  assertLinearizable([
    put(1, "k", "a", 0, 1),
    open,
    get(3, "k", "a", 50, 51),
    get(3, "k", "b", 52, 53),
  ]);
  assertLinearizable([put(1, "k", "a", 0, 1), open, get(3, "k", "a", 50, 51)]);
  // Chained to a write without a response: it can only have swapped what that wrote.
  assertLinearizable([put(1, "k", "a", 0, null), open, get(3, "k", "b", 5, 6)]);
  // Never where the register held something else.
  assertViolation([put(1, "k", "x", 0, 1), open, get(3, "k", "b", 5, 6)], "k");
});

Deno.test("a read without a response constrains nothing", () => {
  const lost: Operation = {
    client: 3,
    input: { kind: "get", key: "k" },
    call: 2,
    ret: null,
    output: null,
  };
  assertLinearizable([put(1, "k", "a", 0, 1), lost, get(2, "k", "a", 4, 5)]);
});

Deno.test("only the key that breaks is named", () => {
  const history = [
    put(1, "x", "1", 0, 2),
    put(2, "y", "1", 1, 3),
    get(3, "x", "1", 4, 5),
    put(1, "z", "1", 4, 6),
    get(2, "y", "1", 4, 6),
    put(1, "y", "2", 7, 8),
    get(3, "z", "1", 7, 9),
    get(2, "y", "1", 9, 10),
    get(3, "x", "1", 11, 12),
  ];
  assertViolation(history, "y");
  const result = checkLinearizable(history);
  assertTrue(result.explanation?.includes('put "y" = "2"'), result.explanation);
  assertTrue(!result.explanation?.includes('"x"'), result.explanation);
});

Deno.test("a search past its step bound is reported as undecided", () => {
  const history = [put(1, "k", "a", 0, 10), put(2, "k", "b", 1, 11), get(3, "k", "c", 12, 13)];
  const result = checkLinearizable(history, { stepsMax: 3 });
  assertEquals(result.ok, false);
  assertEquals(result.unknown, true);
  assertEquals(result.key, "k");
  assertEquals(result.steps, 3);
  assertTrue(result.explanation?.includes("undecided after 3 search steps"), result.explanation);
});

Deno.test("a definite violation is reported before an undecided key", () => {
  const hard = [
    put(1, "h", "a", 0, 10),
    put(2, "h", "b", 1, 11),
    put(3, "h", "c", 2, 12),
    get(4, "h", "d", 13, 14),
  ];
  const bad = [put(1, "k", "a", 0, 1), get(2, "k", null, 2, 3)];
  const result = checkLinearizable([...hard, ...bad], { stepsMax: 5 });
  assertEquals(result.unknown, undefined);
  assertEquals(result.key, "k");
});

Deno.test("malformed histories and options are refused", () => {
  assertThrows(() => checkLinearizable([put(1, "k", "a", 5, 5)]), /returns at "5", not after/);
  assertThrows(
    () => checkLinearizable([{ ...get(1, "k", "a", 0, 1), output: null }]),
    /get 0 returned "null"/,
  );
  assertThrows(() => checkLinearizable([del(1, "k", null, 0, 1)]), /delete 0 returned "null"/);
  assertThrows(() => checkLinearizable([], { stepsMax: 0 }), /Invalid stepsMax: "0"/);
});

Deno.test("formatHistory prints one numbered line per operation", () => {
  const text = formatHistory([
    put(2, "k", "a", 10, 14),
    get(1, "k", "a", 12, 15),
    del(3, "k", true, 16, 17),
    put(4, "k", "b", 13, null),
  ]);
  assertEquals(
    text,
    [
      '#0 c2 [10, 14] put "k" = "a"',
      '#1 c1 [12, 15] get "k" -> "a"',
      '#2 c3 [16, 17] delete "k" -> deleted: true',
      '#3 c4 [13, ...] put "k" = "b" (no response)',
    ].join("\n"),
  );
});

/** A small seeded generator (xorshift32) so every random history replays from its seed. */
function seededRandom(seed: number): () => number {
  let x = (seed * 2654435761) >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

interface Effect {
  op: Operation;
  at: number;
}

/**
 * Runs clients against one real register per key: each operation takes effect
 * at a random instant inside [call, ret]; an unanswered write takes effect at
 * some later instant or never. The result is linearizable by construction.
 */
function randomHistory(seed: number, opsPerClient: number): Operation[] {
  const random = seededRandom(seed);
  const pick = (count: number) => Math.floor(random() * count);
  const keys = ["a", "b", "c"];
  const history: Operation[] = [];
  const effects: Effect[] = [];
  let valueCount = 0;
  for (let client = 0; client < 4; client++) {
    let time = pick(3);
    for (let i = 0; i < opsPerClient; i++) {
      const key = keys[pick(keys.length)]!;
      const roll = random();
      const input: OperationInput = roll < 0.5
        ? { kind: "get", key }
        : roll < 0.85
        ? { kind: "put", key, value: `v${valueCount++}` }
        : { kind: "delete", key };
      const call = time + pick(3);
      const duration = 1 + pick(10);
      const answered = random() > 0.1;
      const op: Operation = {
        client,
        input,
        call,
        ret: answered ? call + duration : null,
        output: null,
      };
      history.push(op);
      const at = call + (answered ? (0.01 + 0.98 * random()) * duration : 0.01 + random() * 40);
      if (answered || random() < 0.5) effects.push({ op, at });
      time = call + (answered ? duration : 12);
    }
  }
  applyEffects(effects);
  return history;
}

/** Fills in outputs by applying the effects to the registers in the order they happened. */
function applyEffects(effects: Effect[]): void {
  const registers = new Map<string, string>();
  effects.sort((a, b) => a.at - b.at);
  for (const { op } of effects) {
    const input = op.input;
    const current = registers.get(input.key) ?? null;
    if (input.kind === "put") registers.set(input.key, input.value);
    else if (input.kind === "delete") registers.delete(input.key);
    if (op.ret === null) continue;
    if (input.kind === "get") op.output = { value: current };
    if (input.kind === "delete") op.output = { deleted: current !== null };
  }
}

const SEEDS = Array.from({ length: 40 }, (_, i) => i + 1);

Deno.test("random histories of a real register are linearizable", () => {
  for (const seed of SEEDS) {
    const history = randomHistory(seed, 30);
    const result = checkLinearizable(history);
    assertTrue(result.ok, `seed ${seed}: ${result.explanation}`);
  }
});

Deno.test("random histories with a read of a value never written are caught", () => {
  for (const seed of SEEDS) {
    const history = randomHistory(seed, 30);
    const reads = history.filter((op) => op.input.kind === "get" && op.ret !== null);
    const read = reads[seededRandom(seed + 1000)() * reads.length | 0]!;
    read.output = { value: "never-written" };
    const result = checkLinearizable(history);
    assertEquals(result.ok, false, `seed ${seed}`);
    assertEquals(result.key, read.input.key, `seed ${seed}`);
  }
});

Deno.test("random histories with a read of a value written only later are caught", () => {
  let corrupted = 0;
  for (const seed of SEEDS) {
    const history = randomHistory(seed, 30);
    const read = history.find((op) =>
      op.input.kind === "get" && op.ret !== null && laterPut(history, op) !== undefined
    );
    if (read === undefined) continue;
    const value = laterPut(history, read)!;
    read.output = { value };
    const result = checkLinearizable(history);
    assertEquals(result.ok, false, `seed ${seed}: reading "${value}" too early`);
    assertEquals(result.key, read.input.key, `seed ${seed}`);
    corrupted++;
  }
  assertTrue(corrupted > SEEDS.length / 2, `only ${corrupted} histories had a later put`);
});

Deno.test("random histories with a read of an overwritten value are caught", () => {
  let corrupted = 0;
  for (const seed of SEEDS) {
    const history = randomHistory(seed, 30);
    for (const read of history) {
      const answeredGet = read.input.kind === "get" && read.ret !== null;
      const value = answeredGet ? overwrittenValue(history, read) : undefined;
      if (value === undefined) continue;
      read.output = { value };
      const result = checkLinearizable(history);
      assertEquals(result.ok, false, `seed ${seed}: reading overwritten "${value}"`);
      assertEquals(result.key, read.input.key, `seed ${seed}`);
      corrupted++;
      break;
    }
  }
  assertTrue(corrupted > SEEDS.length / 2, `only ${corrupted} histories had an overwritten value`);
});

/**
 * A value that `read` cannot see: put (answered) before an answered write of
 * another value or a delete returned before `read` was called. Values are unique.
 */
function overwrittenValue(history: Operation[], read: Operation): string | undefined {
  const key = read.input.key;
  const answered = history.filter((op) => op.input.key === key && op.ret !== null);
  for (const old of answered) {
    if (old.input.kind !== "put" || old.ret === null) continue;
    const overwritten = answered.some((op) =>
      op.input.kind !== "get" && op !== old && op.call >= old.ret! && op.ret! <= read.call
    );
    if (overwritten) return old.input.value;
  }
  return undefined;
}

/** A value put to `read`'s key by an operation called after `read` returned. */
function laterPut(history: Operation[], read: Operation): string | undefined {
  for (const op of history) {
    if (op.input.kind !== "put" || op.input.key !== read.input.key) continue;
    if (op.call >= read.ret!) return op.input.value;
  }
  return undefined;
}

/**
 * The definition, searched naively: some order of all answered operations and
 * any of the unanswered ones that respects real time and the register.
 */
function bruteForceLinearizable(ops: Operation[]): boolean {
  const used = ops.map(() => false);
  const completedCount = ops.filter((op) => op.ret !== null).length;
  const extend = (state: string | null, placed: number): boolean => {
    if (placed === completedCount) return true;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      if (
        used[i] || ops.some((other, j) => !used[j] && other.ret !== null && other.ret <= op.call)
      ) {
        continue;
      }
      const next = registerStep(state, op);
      if (next === undefined) continue;
      used[i] = true;
      const found = extend(next, placed + (op.ret === null ? 0 : 1));
      used[i] = false;
      if (found) return true;
    }
    return false;
  };
  return extend(null, 0);
}

function registerStep(state: string | null, op: Operation): string | null | undefined {
  const input = op.input;
  if (input.kind === "put") return input.value;
  if (op.ret === null) return input.kind === "get" ? state : null;
  const output = op.output as { value?: string | null; deleted?: boolean };
  if (input.kind === "get") return output.value === state ? state : undefined;
  return output.deleted === (state !== null) ? null : undefined;
}

/** Small single-key histories with few values, ties, and unanswered operations of every kind. */
function smallRandomHistory(random: () => number): Operation[] {
  const pick = (count: number) => Math.floor(random() * count);
  const values = ["a", "b", null];
  return Array.from({ length: 3 + pick(5) }, (_, client) => {
    const call = pick(8);
    const ret = random() < 0.25 ? null : call + 1 + pick(5);
    const roll = random();
    if (roll < 0.4) return get(client, "k", values[pick(3)]!, call, ret!);
    if (roll < 0.75) return put(client, "k", values[pick(2)]!, call, ret);
    return del(client, "k", ret === null ? null : random() < 0.5, call, ret);
  }).map((op) => op.ret === null && op.input.kind === "get" ? { ...op, output: null } : op);
}

Deno.test("small random histories get the verdict of a naive search", () => {
  const random = seededRandom(7);
  const verdicts = { ok: 0, violation: 0 };
  for (let round = 0; round < 2000; round++) {
    const history = smallRandomHistory(random);
    const expected = bruteForceLinearizable(history);
    const result = checkLinearizable(history);
    assertEquals(result.ok, expected, `round ${round}:\n${formatHistory(history)}`);
    verdicts[expected ? "ok" : "violation"]++;
  }
  assertTrue(verdicts.ok > 200 && verdicts.violation > 200, JSON.stringify(verdicts));
});

Deno.test("a violation names the answered operation no linearization could place", () => {
  const stale = get(2, "k", "a", 11, 12);
  const result = checkLinearizable([put(1, "k", "a", 0, 5), put(1, "k", "b", 6, 10), stale]);
  assertEquals(result.ok, false);
  assertEquals(result.stuck, stale);
  assertEquals(checkLinearizable([put(1, "k", "a", 0, 5)]).stuck, undefined);
});
