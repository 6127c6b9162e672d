/**
 * rafter's TypeScript client: `import { RafterClient } from "rafter/client"`.
 *
 * ```ts
 * import { RafterClient } from "./mod.ts";
 * import { FakeCluster } from "../../tests/client/fake_cluster.ts";
 * // An in-memory stand-in for a cluster; pass your nodes' addresses instead.
 * const fake = new FakeCluster();
 * using client = new RafterClient({ endpoints: ["http://127.0.0.1:8001"], fetch: fake.fetch });
 * await client.put("raft", "paxos");
 * if ((await client.get("raft")).value !== "paxos") throw new Error();
 * ```
 *
 * @module
 */

export { RafterClient, type StatusOptions } from "./client.ts";
export { elect, Election, type ElectionOptions } from "./election.ts";
export {
  BadRequestError,
  CompactedError,
  ForbiddenError,
  IndeterminateError,
  NotFoundError,
  PreconditionFailedError,
  RafterError,
  UnauthorizedError,
  UnavailableError,
} from "./errors.ts";
export { Lease, type LeaseCalls, LeaseLostError } from "./lease.ts";
export { Lock, lock, LOCK_TTL_MS_DEFAULT, type LockOptions } from "./lock.ts";
export { CLIENT_DEFAULTS, type ClientOptions, endpointOrigin } from "./options.ts";
export { op, Txn } from "./txn.ts";
export type * from "./types.ts";
