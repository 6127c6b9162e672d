/**
 * The data-model checker's reads, and how any check reports a violation.
 * A read's window runs from `low` (the highest point of the operations
 * that finished before it was called; 0 for a stale read) to the highest
 * index any node had applied when it returned. A get's point is the lowest
 * index in its window at which the model holds what it read; a scan's
 * point is the index it reports, and the page must be the model's cut
 * there; a keep-alive needs its lease alive somewhere in its window; a
 * watch opened without a start index must start within it.
 *
 * @module
 */

import type { KvRecord, ScanResult } from "../../src/api.ts";
import { describeAsView, describeTxn, describeView } from "./dm_describe.ts";
import type { DmInput, DmOp } from "./dm_history.ts";
import { compareKeys } from "../client/fake_store.ts";
import type { DataModel } from "./dm_model.ts";

/** The point an operation took effect at, or null when it has none to offer. */
export type Point = number | null;

/** A violation found while checking one operation. */
export class Violation extends Error {}

/** One operation for failure messages. */
export function describeOp(op: DmOp): string {
  const input = { ...op.input } as Record<string, unknown>;
  if (op.input.kind === "txn") input.request = describeTxn(op.input.request);
  return `${op.client} [${op.call}, ${op.ret ?? "..."}] at ${op.atMs} ms ${JSON.stringify(input)}` +
    ` -> ${JSON.stringify(op.output)}`;
}

/** Throws the violation `message` about `op`. */
export function fail(op: DmOp, message: string): never {
  throw new Violation(`${message}\n  operation: ${describeOp(op)}`);
}

/** A get: the lowest index in its window at which the key held what it read. */
export function checkGet(
  model: DataModel,
  op: DmOp & { input: Extract<DmInput, { kind: "get" }> },
  record: KvRecord | null,
  low: number,
): Point {
  const stale = op.input.level === "stale";
  const from = stale ? 0 : low;
  const key = op.input.key;
  const seen = describeView(record);
  const candidates = [from, ...model.changesOf(key, from, op.appliedMax)];
  const point = candidates.find((r) => describeAsView(model.recordAt(key, r)) === seen);
  if (point === undefined) {
    const held = candidates.map((r) => `@${r} ${describeAsView(model.recordAt(key, r))}`);
    fail(
      op,
      `Read: it returned ${seen}, which the key never held from index ${from} to ` +
        `${op.appliedMax} (${held.join(", ")})`,
    );
  }
  return stale ? null : point;
}

/** A scan page: read at an index in its window, and the model's cut at that index. */
export function checkScan(
  model: DataModel,
  op: DmOp & { input: Extract<DmInput, { kind: "scan" }> },
  result: ScanResult,
  low: number,
): Point {
  const { request, level } = op.input;
  const from = level === "stale" ? 0 : low;
  if (result.index < from || result.index > op.appliedMax) {
    fail(
      op,
      `Scan: it read at index ${result.index}, outside its window ${from} to ${op.appliedMax}`,
    );
  }
  const page = model.scanAt(request, result.index);
  const got = result.items.map(describeView).join("; ");
  const expected = page.records.map((r) => describeAsView(r, request.keysOnly)).join("; ");
  const next = page.records[page.records.length - 1]?.key ?? "";
  if (got !== expected || result.more !== page.more || result.next !== next) {
    fail(
      op,
      `Scan: not the cut at index ${result.index}: got (${got}) more=${result.more} ` +
        `next=${JSON.stringify(result.next)}, the model (${expected}) more=${page.more}`,
    );
  }
  return level === "stale" ? null : result.index;
}

/** An acknowledged keep-alive: its lease existed somewhere in the window. */
export function checkKeepAlive(model: DataModel, op: DmOp, id: number, low: number): Point {
  const life = model.leases.get(id);
  if (life === undefined || life.granted > op.appliedMax || life.revoked <= low) {
    fail(
      op,
      `Lease: keep-alive of lease ${id} acknowledged, but the lease did not exist from index ` +
        `${low} to ${op.appliedMax} (${JSON.stringify(life ?? null)})`,
    );
  }
  return null;
}

/** A watch opened without a start index starts after an index in its window (above `stale`). */
export function checkWatchStart(op: DmOp, start: number, low: number): Point {
  if (op.input.kind !== "watchStart" || op.input.level === "stale") return null;
  if (start - 1 < low || start - 1 > op.appliedMax) {
    fail(
      op,
      `Watch: opened at level "${op.input.level}" it starts at index ${start}, outside its ` +
        `window ${low + 1} to ${op.appliedMax + 1}`,
    );
  }
  return start - 1;
}

/** Pages of one listing follow each other: each starts after the last key of the one before. */
export function checkListings(ops: readonly DmOp[]): void {
  const last = new Map<number, { next: string; more: boolean }>();
  for (const op of ops) {
    if (op.input.kind !== "scan" || op.output?.status !== "ok") continue;
    const page = op.output.result as ScanResult;
    const after = op.input.request.after;
    const before = last.get(op.input.listing);
    if (before !== undefined && (!before.more || after !== before.next)) {
      fail(
        op,
        `Scan: the page after ${JSON.stringify(before.next)} (more=${before.more}) asked ` +
          `after ${JSON.stringify(after)}`,
      );
    }
    const keys = page.items.map((item) => item.key);
    keys.forEach((key, i) => {
      const previous = i === 0 ? after : keys[i - 1]!;
      if ((i > 0 || after !== "") && compareKeys(key, previous) <= 0) {
        fail(
          op,
          `Scan: keys out of order or repeated: ${JSON.stringify(keys)} after ${
            JSON.stringify(after)
          }`,
        );
      }
    });
    last.set(op.input.listing, { next: page.next, more: page.more });
  }
}
