/**
 * The simulated data-model clients: each runs one operation at a time from
 * `dm_ops.ts` (a scan listing runs page after page), through the calls the
 * HTTP layer makes, and learns from every answer: the `modIndex` of keys it
 * saw (for its next CAS) and the leases it was granted (kept alive by
 * `lease_keepers.ts`, some left to expire, some revoked).
 *
 * @module
 */

import type {
  KvRecord,
  PutResult,
  ReadLevel,
  ScanRequest,
  ScanResult,
  TxnResult,
} from "../../src/api.ts";
import type { RaftKvNode } from "../../src/node/kv_node.ts";
import type { Rng } from "../../src/raft/rng.ts";
import { pickNode, type SimCalls } from "./dm_calls.ts";
import type { DmInput, DmOutput, DmResult } from "./dm_history.ts";
import { type ClientView, nextInput } from "./dm_ops.ts";
import type { Machine } from "./sim_cluster.ts";

/** Most pages one listing reads. */
const LISTING_PAGES_MAX = 6;

interface Listing {
  id: number;
  request: ScanRequest;
  level: ReadLevel;
  pages: number;
}

interface Client {
  name: string;
  busy: boolean;
  known: Map<string, number>;
  listing: Listing | null;
}

/** What the clients share with the run. */
export interface DmClientDeps {
  rng: Rng;
  calls: SimCalls;
  ttlMsMin: number;
  /** A value never written before, for `key`. */
  newValue(key: string): string;
  /** A lease was granted to a client: keep it alive, perhaps. */
  granted(id: number, ttlMs: number): void;
}

/** Sends `input` to `node` through the call the HTTP layer makes. */
async function run(node: RaftKvNode, input: DmInput): Promise<DmResult> {
  switch (input.kind) {
    case "put":
      return await node.putValue(input.key, input.value, input.options);
    case "delete":
      return await node.deleteValue(
        input.key,
        input.prevIndex === undefined ? {} : { prevIndex: input.prevIndex },
      );
    case "get":
      return { record: await node.get(input.key, input.level) };
    case "scan":
      return await node.scan(input.request, input.level);
    case "deletePrefix":
      return await node.deletePrefix(input.prefix);
    case "txn":
      return await node.txn(input.request);
    case "leaseGrant":
      return await node.leaseGrant(input.ttlMs);
    case "leaseRevoke":
      return await node.leaseRevoke(input.id);
    case "keepAlive":
      return await node.leaseKeepAlive(input.id);
    case "watchStart":
      throw new Error("Watches are opened by the watchers");
  }
}

/**
 * The data-model clients of a run.
 *
 * @example
 * ```ts ignore
 * const clients = new DataModelClients(deps, 3);
 * clients.issue(cluster.alive(), nowMs);
 * ```
 */
export class DataModelClients {
  readonly #deps: DmClientDeps;
  readonly #clients: Client[] = [];
  readonly #leases: number[] = [];
  readonly #revocable: number[] = [];
  readonly #values = new Map<string, string>();
  #listings = 0;

  /** @param deps the run's generator, calls and hooks @param count how many clients */
  constructor(deps: DmClientDeps, count: number) {
    this.#deps = deps;
    for (let i = 0; i < count; i++) {
      this.#clients.push({ name: `d${i}`, busy: false, known: new Map(), listing: null });
    }
  }

  /** Each idle client starts its next operation with even odds. */
  issue(alive: Machine[], nowMs: number): void {
    const rng = this.#deps.rng;
    for (const client of this.#clients) {
      if (client.busy || rng.int(2) === 0) continue;
      const input = this.#next(client);
      const reads = input.kind === "get" || input.kind === "scan";
      const machine = pickNode(rng, alive, !reads || rng.int(2) === 0);
      client.busy = true;
      this.#deps.calls.send(
        client.name,
        input,
        { machine, nowMs },
        (node) => run(node, input),
        (output) => this.#learn(client, input, output),
      );
    }
  }

  #next(client: Client): DmInput {
    const listing = client.listing;
    if (listing !== null) {
      return { kind: "scan", request: listing.request, level: listing.level, listing: listing.id };
    }
    const view: ClientView = {
      known: client.known,
      leases: this.#leases,
      revocable: this.#revocable,
      ttlMsMin: this.#deps.ttlMsMin,
      newValue: (key) => {
        const value = this.#deps.newValue(key);
        this.#values.set(key, value);
        return value;
      },
      someValue: (key) => this.#values.get(key),
      newListing: () => ++this.#listings,
    };
    return nextInput(this.#deps.rng, view);
  }

  /** What the answer teaches the client; it is idle again. */
  #learn(client: Client, input: DmInput, output: DmOutput): void {
    client.busy = false;
    if (input.kind === "scan") this.#page(client, input, output);
    if (output.status === "precondition" && "key" in input) {
      client.known.set(input.key, output.current?.modIndex ?? 0);
    }
    if (output.status !== "ok") return;
    const result = output.result;
    switch (input.kind) {
      case "get":
        return see(client, input.key, (result as { record: KvRecord | null }).record);
      case "put": {
        const put = result as PutResult;
        client.known.set(input.key, put.index);
        if (put.lease !== undefined) this.#granted(put.lease, input.options.ttlMs ?? 0);
        return;
      }
      case "delete":
        client.known.set(input.key, 0);
        return;
      case "txn":
        for (const outcome of (result as TxnResult).results) {
          if ("get" in outcome) see(client, outcome.get.key, outcome.get.record);
        }
        return;
      case "leaseGrant":
        return this.#granted((result as { id: number }).id, input.ttlMs);
    }
  }

  #granted(id: number, ttlMs: number): void {
    this.#leases.push(id);
    if (this.#deps.rng.int(4) === 0) this.#revocable.push(id);
    this.#deps.granted(id, ttlMs);
  }

  /** A listing reads its next page after this one, while there are more and pages are left. */
  #page(client: Client, input: Extract<DmInput, { kind: "scan" }>, output: DmOutput): void {
    const page = output.status === "ok" ? output.result as ScanResult : null;
    for (const item of page?.items ?? []) see(client, item.key, item);
    const pages = (client.listing?.pages ?? 0) + 1;
    client.listing = page !== null && page.more && pages < LISTING_PAGES_MAX
      ? {
        id: input.listing,
        request: { ...input.request, after: page.next },
        level: input.level,
        pages,
      }
      : null;
  }
}

function see(client: Client, key: string, record: { modIndex: number } | null): void {
  client.known.set(key, record?.modIndex ?? 0);
}
