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
 * - Only linearizations where every unanswered write is directly followed by
 *   an answered get or delete are searched: an unanswered write followed by
 *   anything else is overwritten before it is observed and can be left out.
 *   This keeps many timed-out writes from multiplying the search space. For
 *   the same reason a state is skipped when one explored before agrees with
 *   it but linearized only a subset of its unanswered writes (see `Memo`).
 *
 * A compare-and-swap `cas(expected, value)` is a write that observes: it
 * takes effect only when the register holds `expected` (null: absent),
 * which it then replaces with `value`. Answered `swapped: false`, it is a
 * read that saw something other than `expected` (`current`, when given).
 * Unanswered, it may take effect at any later point where the register
 * holds `expected`, or never; since it observes, it may directly follow an
 * unanswered write.
 *
 * @module
 */

/** What a client asked for. */
export type OperationInput =
  | { kind: "put"; key: string; value: string }
  | { kind: "delete"; key: string }
  | { kind: "get"; key: string }
  | { kind: "cas"; key: string; expected: string | null; value: string };

/**
 * What the store answered: `deleted` for a delete, `value` for a get,
 * `swapped` for a compare-and-swap (with the value it found instead,
 * `current`, when it says), null for a put.
 */
export type OperationOutput =
  | { deleted: boolean }
  | { value: string | null }
  | { swapped: boolean; current?: string | null }
  | null;

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
  /**
   * For failures: the answered operation that no linearization found could
   * place (the earliest to return outside the longest one), to show the
   * history around it.
   */
  stuck?: Operation;
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
    if (search.verdict === "fail") {
      return { ok: false, key, explanation, steps, ...stuckOf(ops, search.longest) };
    }
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
    : op.input.kind === "cas"
    ? `cas ${key} ${JSON.stringify(op.input.expected)} -> ${JSON.stringify(op.input.value)}`
    : `${op.input.kind} ${key}`;
  if (op.ret === null) return `${span} ${input} (no response)`;
  if (op.output === null) return `${span} ${input}`;
  if ("deleted" in op.output) return `${span} ${input} -> deleted: ${op.output.deleted}`;
  if ("swapped" in op.output) {
    const current = op.output.current === undefined
      ? ""
      : ` (found ${JSON.stringify(op.output.current)})`;
    return `${span} ${input} -> swapped: ${op.output.swapped}${current}`;
  }
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
  if (kind === "cas" && (output === null || !("swapped" in output))) {
    throw new Error(`Invalid history: cas ${index} returned "${JSON.stringify(output)}"`);
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
  if (input.kind === "cas") {
    // Unanswered, it is linearized only where it takes effect.
    const swapped = output === null || ("swapped" in output && output.swapped);
    if (swapped) return state === input.expected ? input.value : undefined;
    const current = output !== null && "current" in output ? output.current : undefined;
    if (state === input.expected || (current !== undefined && current !== state)) return undefined;
    return state;
  }
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
function buildEntries(ops: Operation[]): Entry {
  const events: Entry[] = [];
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
  return head;
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

/** A set of small integers. */
class Bitset {
  readonly words: Uint32Array;
  constructor(size: number) {
    this.words = new Uint32Array(Math.ceil(size / 32));
  }
  set(index: number): void {
    this.words[index >>> 5]! |= 1 << (index & 31);
  }
  clear(index: number): void {
    this.words[index >>> 5]! &= ~(1 << (index & 31));
  }
  /** A string naming the set, for use as a map key. */
  key(): string {
    let text = "";
    for (const word of this.words) text += word.toString(36) + ",";
    return text;
  }
}

/** Whether every member of `a` is in `b`. */
function isSubset(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < a.length; i++) {
    if ((a[i]! & ~b[i]!) !== 0) return false;
  }
  return true;
}

/**
 * The search states already explored. A state is the set of answered
 * operations linearized, the register value, whether the last operation was an
 * unanswered write (which limits what may follow), and the set of unanswered
 * writes linearized. A state is covered by an explored one that agrees on the
 * first two, is no more limited, and used a subset of the unanswered writes:
 * those are optional, so the explored state could do anything this one can.
 */
class Memo {
  readonly #pendingSets = new Map<string, Uint32Array[]>();

  /** Records the state; false when an explored state already covers it. */
  visit(base: string, afterPending: boolean, pending: Uint32Array): boolean {
    const open = this.#pendingSets.get(base + "/");
    if (open !== undefined && anySubset(open, pending)) return false;
    const limited = afterPending ? this.#pendingSets.get(base + "/p") : undefined;
    if (limited !== undefined && anySubset(limited, pending)) return false;
    const seen = afterPending ? limited : open;
    if (seen === undefined) {
      this.#pendingSets.set(base + (afterPending ? "/p" : "/"), [pending.slice()]);
      return true;
    }
    // Drop the states the new one covers; they would never match again.
    let kept = 0;
    for (const set of seen) {
      if (!isSubset(pending, set)) seen[kept++] = set;
    }
    seen.length = kept;
    seen.push(pending.slice());
    return true;
  }
}

function anySubset(sets: Uint32Array[], of: Uint32Array): boolean {
  for (const set of sets) {
    if (isSubset(set, of)) return true;
  }
  return false;
}

/** Interns register values as small integers for memo keys; 0 is absent. */
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

interface KeySearch {
  verdict: "ok" | "fail" | "unknown";
  steps: number;
  /** Operation indexes of the longest linearization found, in order. */
  longest: number[];
}

/**
 * Whether `op` may come right after the last linearized operation. After an
 * unanswered write only an answered get or delete, or a compare-and-swap,
 * may follow: a put overwrites it unobserved, so a linearization without it
 * exists too. Without this rule every subset of unanswered writes is a
 * distinct search state.
 */
function mayFollow(op: Operation, afterPending: boolean): boolean {
  if (!afterPending) return true;
  return op.input.kind === "cas" || (op.ret !== null && op.input.kind !== "put");
}

/**
 * The memoized Wing & Gong / Lowe search over one key's operations. At each
 * point it tries the answered operations first and the unanswered writes
 * second, so the states without an optional write are explored before the
 * ones with it, which the memo then finds covered.
 */
class KeySearcher {
  readonly #ops: Operation[];
  readonly #head: Entry;
  /** Each operation's index in `#completed` or `#pending`, by whether it was answered. */
  readonly #bitIndex: number[] = [];
  readonly #completed: Bitset;
  readonly #pending: Bitset;
  readonly #memo = new Memo();
  readonly #stateIds = new StateIds();
  readonly #stack: { call: Entry; stateBefore: string | null }[] = [];
  #state: string | null = null;
  #completedLinearized = 0;
  longest: number[] = [];

  constructor(ops: Operation[]) {
    this.#ops = ops;
    this.#head = buildEntries(ops);
    let completedCount = 0;
    let pendingCount = 0;
    for (const op of ops) this.#bitIndex.push(op.ret === null ? pendingCount++ : completedCount++);
    this.#completed = new Bitset(completedCount);
    this.#pending = new Bitset(pendingCount);
  }

  run(stepsMax: number): KeySearch {
    const completedCount = this.#ops.filter((op) => op.ret !== null).length;
    const hasPending = completedCount < this.#ops.length;
    // Only an unanswered compare-and-swap may directly follow an unanswered write.
    const pendingMayChain = this.#ops.some((op) => op.ret === null && op.input.kind === "cas");
    let entry = this.#head.next;
    let pendingPass = false;
    let steps = 0;
    while (this.#completedLinearized < completedCount) {
      if (steps >= stepsMax) return { verdict: "unknown", steps, longest: this.longest };
      steps++;
      // Every call has its return later in the list, so the walk meets a return before the end.
      if (entry === null) throw new Error("Linearizability search ran off the event list");
      if (entry.isCall) {
        const tried = (this.#ops[entry.op]!.ret === null) === pendingPass;
        const done = tried && this.#tryLinearize(entry);
        entry = done ? this.#head.next : entry.next;
        if (done) pendingPass = false;
        continue;
      }
      // A return reached: no candidate before it is left to try in this pass.
      if (!pendingPass && hasPending && (pendingMayChain || !this.#afterPending())) {
        pendingPass = true;
        entry = this.#head.next;
        continue;
      }
      const undone = this.#undo();
      if (undone === null) return { verdict: "fail", steps, longest: this.longest };
      pendingPass = this.#ops[undone.op]!.ret === null;
      entry = undone.next;
    }
    return { verdict: "ok", steps, longest: this.longest };
  }

  /** Whether the last linearized operation is an unanswered write, after which none may come. */
  #afterPending(): boolean {
    const top = this.#stack[this.#stack.length - 1];
    return top !== undefined && this.#ops[top.call.op]!.ret === null;
  }

  /** Linearizes `call` next when the model allows it and the outcome is unexplored. */
  #tryLinearize(call: Entry): boolean {
    const op = this.#ops[call.op]!;
    if (!mayFollow(op, this.#afterPending())) return false;
    const next = applyOperation(this.#state, op);
    if (next === undefined) return false;
    const bits = op.ret === null ? this.#pending : this.#completed;
    const bit = this.#bitIndex[call.op]!;
    bits.set(bit);
    const base = this.#completed.key() + this.#stateIds.id(next);
    if (!this.#memo.visit(base, op.ret === null, this.#pending.words)) {
      bits.clear(bit);
      return false;
    }
    this.#stack.push({ call, stateBefore: this.#state });
    this.#state = next;
    lift(call);
    if (op.ret !== null) this.#completedLinearized++;
    if (this.#stack.length > this.longest.length) {
      this.longest = this.#stack.map((frame) => frame.call.op);
    }
    return true;
  }

  /** Takes back the last linearized call and returns it, or null when there is none. */
  #undo(): Entry | null {
    const frame = this.#stack.pop();
    if (frame === undefined) return null;
    const op = this.#ops[frame.call.op]!;
    this.#state = frame.stateBefore;
    (op.ret === null ? this.#pending : this.#completed).clear(this.#bitIndex[frame.call.op]!);
    unlift(frame.call);
    if (op.ret !== null) this.#completedLinearized--;
    return frame.call;
  }
}

function searchKey(ops: Operation[], stepsMax: number): KeySearch {
  return new KeySearcher(ops).run(stepsMax);
}

/** The earliest-returning answered operation outside `longest`, if any. */
function stuckOf(ops: Operation[], longest: number[]): { stuck?: Operation } {
  const placed = new Set(longest);
  let stuck: Operation | undefined;
  ops.forEach((op, index) => {
    if (placed.has(index) || op.ret === null) return;
    if (stuck === undefined || op.ret < stuck.ret!) stuck = op;
  });
  return stuck === undefined ? {} : { stuck };
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
