/**
 * A linearizability checker for histories of key-value operations, as the
 * simulator records them from its clients.
 *
 * The history is split by key: a key-value store is linearizable when each
 * key, seen as a register, is (linearizability is compositional, Herlihy &
 * Wing 1990). Each key is then searched with the algorithm of Wing & Gong as
 * improved by Lowe: walk a list of call and return events in time order, try to
 * linearize each call that no unlinearized return precedes, backtrack when a
 * return is reached, and remember every (set of linearized operations, register
 * value) pair already explored so no subtree is searched twice.
 *
 * Time rules:
 * - An operation that returns at time `t` precedes every operation called at
 *   time `t` or later: at equal times, returns are ordered before calls.
 * - An operation without a response (`ret === null`) may have taken effect at
 *   any point after its call, or never. A read without a response constrains
 *   nothing and is dropped. A write without a response gets an infinite return
 *   time; taking effect "never" is then the same as taking effect after every
 *   other operation, so the search succeeds as soon as every operation that did
 *   return is linearized.
 *
 * @module
 */

/** What a client asked for. */
export type OperationInput =
  | { kind: "put"; key: string; value: string }
  | { kind: "delete"; key: string }
  | { kind: "get"; key: string };

/** What the store answered: `deleted` for a delete, `value` for a get, null for a put. */
export type OperationOutput = { deleted: boolean } | { value: string | null } | null;

/** One client operation as recorded by the simulator. */
export interface Operation {
  /** The client id; a client has at most one operation outstanding. */
  client: number;
  input: OperationInput;
  /** Logical time the request was issued. */
  call: number;
  /** Logical time the response arrived, or null when none did (it may or may not have taken effect). */
  ret: number | null;
  /** The response; null when `ret` is null and for puts. */
  output: OperationOutput;
}

/** The verdict of {@linkcode checkLinearizable}. */
export interface CheckResult {
  /** True when every key's history is linearizable. */
  ok: boolean;
  /** True when the search for `key` gave up at `stepsMax` (then `ok` is false). */
  unknown?: boolean;
  /** The key whose history failed or could not be decided. */
  key?: string;
  /** For failures: that key's operations and the longest linearization found. */
  explanation?: string;
  /** Search steps taken over all keys checked. */
  steps: number;
}

/** Options of {@linkcode checkLinearizable}. */
export interface CheckOptions {
  /** Search steps allowed per key before the verdict is "unknown". */
  stepsMax?: number;
}

/** The default bound on search steps per key. */
export const CHECK_STEPS_MAX_DEFAULT = 5_000_000;

/**
 * Checks that `history` is linearizable against a key-value store where each
 * key holds a string or is absent. Throws when the history itself is
 * malformed (a return before its call, an output of the wrong shape): that is
 * a bug of the recorder, not of the store.
 *
 * @example
 * ```ts
 * import { checkLinearizable } from "./linearizability.ts";
 *
 * const result = checkLinearizable([
 *   { client: 1, input: { kind: "put", key: "k", value: "a" }, call: 0, ret: 2, output: null },
 *   { client: 2, input: { kind: "get", key: "k" }, call: 3, ret: 4, output: { value: null } },
 * ]);
 * if (result.ok || result.key !== "k") throw new Error("a stale read went unnoticed");
 * ```
 */
export function checkLinearizable(history: Operation[], options: CheckOptions = {}): CheckResult {
  const stepsMax = options.stepsMax ?? CHECK_STEPS_MAX_DEFAULT;
  if (!Number.isInteger(stepsMax) || stepsMax < 1) {
    throw new Error(`Invalid stepsMax: "${stepsMax}" is not a positive integer`);
  }
  history.forEach(validateOperation);
  let steps = 0;
  let undecided: CheckResult | null = null;
  for (const [key, ops] of partitionByKey(history)) {
    const search = searchKey(ops, stepsMax);
    steps += search.steps;
    if (search.verdict === "ok") continue;
    const explanation = explain(key, ops, search);
    if (search.verdict === "fail") return { ok: false, key, explanation, steps };
    // Keep looking: a definite failure on another key is the better report.
    undecided ??= { ok: false, unknown: true, key, explanation, steps: 0 };
  }
  return undecided === null ? { ok: true, steps } : { ...undecided, steps };
}

/**
 * Prints operations one per line, numbered by position, for failure messages:
 * `#3 c2 [10, 14] put "k" = "a"`, `#4 c1 [12, 15] get "k" -> "a"`,
 * `#5 c3 [13, ...] delete "k" (no response)`.
 *
 * @example
 * ```ts
 * import { formatHistory } from "./linearizability.ts";
 *
 * const text = formatHistory([
 *   { client: 1, input: { kind: "get", key: "k" }, call: 0, ret: 1, output: { value: "a" } },
 * ]);
 * if (text !== '#0 c1 [0, 1] get "k" -> "a"') throw new Error(text);
 * ```
 */
export function formatHistory(ops: Operation[]): string {
  return ops.map((op, index) => `#${index} ${formatOperation(op)}`).join("\n");
}

function formatOperation(op: Operation): string {
  const span = `c${op.client} [${op.call}, ${op.ret ?? "..."}]`;
  const key = JSON.stringify(op.input.key);
  const input = op.input.kind === "put"
    ? `put ${key} = ${JSON.stringify(op.input.value)}`
    : `${op.input.kind} ${key}`;
  if (op.ret === null) return `${span} ${input} (no response)`;
  if (op.output === null) return `${span} ${input}`;
  if ("deleted" in op.output) return `${span} ${input} -> deleted: ${op.output.deleted}`;
  return `${span} ${input} -> ${JSON.stringify(op.output.value)}`;
}

function validateOperation(op: Operation, index: number): void {
  if (!Number.isFinite(op.call)) {
    throw new Error(`Invalid history: operation ${index} has call time "${op.call}"`);
  }
  if (op.ret === null) return;
  if (!Number.isFinite(op.ret) || op.ret <= op.call) {
    throw new Error(
      `Invalid history: operation ${index} returns at "${op.ret}", not after its call at ${op.call}`,
    );
  }
  const output = op.output;
  const kind = op.input.kind;
  if (kind === "get" && (output === null || !("value" in output))) {
    throw new Error(`Invalid history: get ${index} returned "${JSON.stringify(output)}"`);
  }
  if (kind === "delete" && (output === null || !("deleted" in output))) {
    throw new Error(`Invalid history: delete ${index} returned "${JSON.stringify(output)}"`);
  }
}

/** Groups by key in order of first appearance, each group sorted by call time; drops unanswered reads. */
function partitionByKey(history: Operation[]): Map<string, Operation[]> {
  const byKey = new Map<string, Operation[]>();
  for (const op of history) {
    if (op.ret === null && op.input.kind === "get") continue;
    const ops = byKey.get(op.input.key);
    if (ops === undefined) byKey.set(op.input.key, [op]);
    else ops.push(op);
  }
  for (const ops of byKey.values()) ops.sort((a, b) => a.call - b.call);
  return byKey;
}

/** The register's value after `op` from `state`, or undefined when `op`'s output rules it out. */
function applyOperation(state: string | null, op: Operation): string | null | undefined {
  const input = op.input;
  if (input.kind === "put") return input.value;
  const output = op.ret === null ? null : op.output;
  if (input.kind === "delete") {
    if (output !== null && "deleted" in output && output.deleted !== (state !== null)) {
      return undefined;
    }
    return null;
  }
  if (output !== null && "value" in output && output.value !== state) return undefined;
  return state;
}

/** One call or return event in the doubly linked list the search walks. */
interface Entry {
  /** Index of the operation in its key's list; -1 for the list head. */
  op: number;
  isCall: boolean;
  time: number;
  /** For a call, its return entry. */
  match: Entry | null;
  prev: Entry | null;
  next: Entry | null;
}

/** Builds the event list behind a head sentinel: time order, returns before calls at equal times. */
function buildEntries(ops: Operation[]): { head: Entry; calls: Entry[] } {
  const events: Entry[] = [];
  const calls: Entry[] = [];
  ops.forEach((op, index) => {
    const ret: Entry = {
      op: index,
      isCall: false,
      time: op.ret ?? Infinity,
      match: null,
      prev: null,
      next: null,
    };
    const call: Entry = {
      op: index,
      isCall: true,
      time: op.call,
      match: ret,
      prev: null,
      next: null,
    };
    events.push(call, ret);
    calls.push(call);
  });
  events.sort((a, b) =>
    a.time !== b.time ? a.time - b.time : a.isCall !== b.isCall ? (a.isCall ? 1 : -1) : a.op - b.op
  );
  const head: Entry = {
    op: -1,
    isCall: false,
    time: -Infinity,
    match: null,
    prev: null,
    next: null,
  };
  let last = head;
  for (const entry of events) {
    last.next = entry;
    entry.prev = last;
    last = entry;
  }
  return { head, calls };
}

/** Removes a call and its return from the list. */
function lift(call: Entry): void {
  const ret = call.match!;
  call.prev!.next = call.next;
  call.next!.prev = call.prev;
  ret.prev!.next = ret.next;
  if (ret.next !== null) ret.next.prev = ret.prev;
}

/** Puts back what {@linkcode lift} removed, in reverse order. */
function unlift(call: Entry): void {
  const ret = call.match!;
  ret.prev!.next = ret;
  if (ret.next !== null) ret.next.prev = ret;
  call.prev!.next = call;
  call.next!.prev = call;
}

/** A set of operation indexes that can name itself as a string for the memo. */
class Bitset {
  readonly #words: Uint32Array;
  constructor(size: number) {
    this.#words = new Uint32Array(Math.ceil(size / 32));
  }
  set(index: number): void {
    this.#words[index >>> 5]! |= 1 << (index & 31);
  }
  clear(index: number): void {
    this.#words[index >>> 5]! &= ~(1 << (index & 31));
  }
  key(): string {
    let text = "";
    for (const word of this.#words) text += word.toString(36) + ",";
    return text;
  }
}

interface KeySearch {
  verdict: "ok" | "fail" | "unknown";
  steps: number;
  /** Operation indexes of the longest linearization found, in order. */
  longest: number[];
}

/** A memo key: the linearized set plus an interned register value. */
class StateIds {
  readonly #ids = new Map<string, number>();
  id(state: string | null): number {
    if (state === null) return 0;
    let id = this.#ids.get(state);
    if (id === undefined) {
      id = this.#ids.size + 1;
      this.#ids.set(state, id);
    }
    return id;
  }
}

/** Runs the memoized Wing & Gong / Lowe search over one key's operations. */
function searchKey(ops: Operation[], stepsMax: number): KeySearch {
  const { head } = buildEntries(ops);
  const completedCount = ops.filter((op) => op.ret !== null).length;
  const linearized = new Bitset(ops.length);
  const memo = new Set<string>();
  const stateIds = new StateIds();
  const stack: { call: Entry; stateBefore: string | null }[] = [];
  let longest: number[] = [];
  let state: string | null = null;
  let completedLinearized = 0;
  let entry = head.next;
  let steps = 0;
  while (completedLinearized < completedCount) {
    if (steps >= stepsMax) return { verdict: "unknown", steps, longest };
    steps++;
    // Every call has its return later in the list, so the walk meets a return before the end.
    if (entry === null) throw new Error("Linearizability search ran off the event list");
    const op = ops[entry.op]!;
    if (entry.isCall) {
      const next = applyOperation(state, op);
      if (next !== undefined) {
        linearized.set(entry.op);
        const memoKey = linearized.key() + stateIds.id(next);
        if (!memo.has(memoKey)) {
          memo.add(memoKey);
          stack.push({ call: entry, stateBefore: state });
          state = next;
          lift(entry);
          if (op.ret !== null) completedLinearized++;
          if (stack.length > longest.length) longest = stack.map((frame) => frame.call.op);
          entry = head.next;
          continue;
        }
        linearized.clear(entry.op);
      }
      entry = entry.next;
      continue;
    }
    // A return reached: its operation cannot be linearized here, so undo the last choice.
    const frame = stack.pop();
    if (frame === undefined) return { verdict: "fail", steps, longest };
    state = frame.stateBefore;
    linearized.clear(frame.call.op);
    unlift(frame.call);
    if (ops[frame.call.op]!.ret !== null) completedLinearized--;
    entry = frame.call.next;
  }
  return { verdict: "ok", steps, longest };
}

function explain(key: string, ops: Operation[], search: KeySearch): string {
  const verdict = search.verdict === "fail"
    ? `Key ${JSON.stringify(key)} is not linearizable`
    : `Key ${JSON.stringify(key)} is undecided after ${search.steps} search steps`;
  const longest = search.longest.map((index) => `#${index}`).join(" ");
  return `${verdict} (${ops.length} operations).\n` +
    `Longest linearization found (${search.longest.length} operations): ${longest || "none"}\n` +
    formatHistory(ops);
}
