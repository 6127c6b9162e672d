/**
 * Transactions: a builder for `POST /txn` (compare, then the success or the failure
 * operations, all in one log entry) and helpers that build each operation.
 *
 * @module
 */

import type { CallOptions, Compare, TxnOp, TxnRequest, TxnResult } from "./types.ts";

/**
 * Builds the operations of a transaction.
 *
 * @example
 * ```ts
 * import { op } from "./txn.ts";
 * const put = op.put("a", "1", { lease: 7 });
 * if (!("put" in put) || put.put.lease !== 7) throw new Error();
 * ```
 */
export const op = {
  /** Writes `value` under `key`, attached to `lease` when given. */
  put(key: string, value: string, options: { lease?: number } = {}): TxnOp {
    return {
      put: options.lease === undefined ? { key, value } : { key, value, lease: options.lease },
    };
  },
  /** Deletes `key`. */
  delete(key: string): TxnOp {
    return { delete: { key } };
  },
  /** Reads `key` as of the transaction. */
  get(key: string): TxnOp {
    return { get: { key } };
  },
  /** Deletes every key under `prefix`. */
  deletePrefix(prefix: string): TxnOp {
    return { deletePrefix: { prefix } };
  },
};

/** Sends a transaction; the client passes its own. */
export type TxnSender = (request: TxnRequest, options: CallOptions) => Promise<TxnResult>;

/**
 * A transaction being built: conditions (all must hold), the operations to run when they
 * do, and those to run when they do not. `commit()` sends it as one write.
 *
 * @example
 * ```ts
 * import { RafterClient } from "./client.ts";
 * import { op } from "./txn.ts";
 * import { FakeCluster } from "../../tests/client/fake_cluster.ts";
 * // An in-memory stand-in for a cluster; pass your nodes' addresses instead.
 * const fake = new FakeCluster();
 * using client = new RafterClient({ endpoints: ["http://127.0.0.1:8001"], fetch: fake.fetch });
 * const { index } = await client.put("config", "v1");
 * const result = await client.txn()
 *   .compare({ key: "config", modIndex: index })
 *   .success(op.put("config", "v2"), op.put("config/changed", "yes"))
 *   .failure(op.get("config"))
 *   .commit();
 * if (!result.succeeded) throw new Error();
 * ```
 */
export class Txn {
  readonly #send: TxnSender;
  readonly #compare: Compare[];
  readonly #success: TxnOp[];
  readonly #failure: TxnOp[];

  /** @param send how the transaction is sent @param request a starting point, if any */
  constructor(send: TxnSender, request: Partial<TxnRequest> = {}) {
    this.#send = send;
    this.#compare = [...request.compare ?? []];
    this.#success = [...request.success ?? []];
    this.#failure = [...request.failure ?? []];
  }

  /** Adds conditions; every one must hold for the success operations to run. */
  compare(...conditions: Compare[]): this {
    this.#compare.push(...conditions);
    return this;
  }

  /** Adds operations to run when every condition holds. */
  success(...ops: TxnOp[]): this {
    this.#success.push(...ops);
    return this;
  }

  /** Adds operations to run when a condition does not hold. */
  failure(...ops: TxnOp[]): this {
    this.#failure.push(...ops);
    return this;
  }

  /** The request body as `POST /txn` takes it. */
  toJSON(): TxnRequest {
    return {
      compare: [...this.#compare],
      success: [...this.#success],
      failure: [...this.#failure],
    };
  }

  /**
   * Sends the transaction. A transaction is a write: it is retried only when it certainly
   * did not take effect, and otherwise fails with `IndeterminateError`. The server checks
   * the limits (at most 128 operations) and answers `BadRequestError` past them.
   */
  commit(options: CallOptions = {}): Promise<TxnResult> {
    return this.#send(this.toJSON(), options);
  }
}
