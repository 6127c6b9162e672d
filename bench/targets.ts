/**
 * The requests each benchmark target understands, built once per key before a run so the
 * request loop only picks one. Two targets: rafter's own HTTP API, and etcd's v3 JSON gateway
 * (for a comparison with the same load generator).
 *
 * @module
 */

/** Which server speaks on the other end. */
export type Target = "rafter" | "etcd";

/** The benchmark targets. */
export const TARGETS: readonly Target[] = ["rafter", "etcd"];

/**
 * What one request does: a write, a read at a level, a compare-and-swap (`cas`), a
 * transaction of four operations (`txn`) or one page of a prefix scan (`scan`); `mixed` is
 * a consistent read or, one time in ten, a write. `cas`, `txn` and `scan` are rafter's data
 * model and run against rafter only.
 */
export type Operation =
  | "write"
  | "read-consistent"
  | "read-stale"
  | "mixed"
  | "cas"
  | "txn"
  | "scan";

/** The operations only rafter serves. */
export const RAFTER_ONLY_OPERATIONS: readonly Operation[] = ["cas", "txn", "scan"];

/** Keys one `scan` request asks for. */
export const SCAN_PAGE_KEYS = 100;

/** One request, as `fetch` needs it. */
export interface RequestSpec {
  method: "GET" | "POST";
  /** Path and query, starting with `/`. */
  path: string;
  /** JSON body, or null for none. */
  body: string | null;
}

/** Everything a load run needs to send requests and check answers. */
export interface RequestSet {
  /** The request for key number `key`, built when asked: a set may cover millions of keys. */
  spec(key: number): RequestSpec;
  /** What a successful read's body must contain, as text; "" for writes. */
  expected: string;
}

/**
 * The value every key gets: printable, `bytes` long, the same for every key so a read can be
 * checked by finding it in the body. It matches the shared wrk scripts' value byte for byte.
 *
 * @example
 * ```ts
 * import { benchValue } from "./targets.ts";
 * if (benchValue(3) !== "hov") throw new Error();
 * ```
 */
export function benchValue(bytes: number): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  let value = "";
  for (let i = 1; i <= bytes; i++) value += alphabet[(i * 7) % alphabet.length];
  return value;
}

/** The name of key number `index`. */
export function keyName(index: number): string {
  return `k${index}`;
}

function base64(text: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(text)));
}

/**
 * A compare-and-swap of key `key` from `prevIndex` (its `modIndex` as last seen).
 *
 * @example
 * ```ts
 * import { casSpec } from "./targets.ts";
 * const spec = casSpec("k1", "v", 42, "");
 * if (spec.body !== '{"key":"k1","value":"v","prevIndex":42}') throw new Error(spec.body!);
 * ```
 */
export function casSpec(
  key: string,
  value: string,
  prevIndex: number,
  prefix: string,
): RequestSpec {
  return {
    method: "POST",
    path: `${prefix}/key`,
    body: JSON.stringify({ key, value, prevIndex }),
  };
}

/**
 * A transaction of four operations on keys `index` to `index + 3` (modulo `keys`): it
 * compares that the first exists, puts the first two and gets the other two.
 */
function txnSpec(index: number, keys: number, value: string, prefix: string): RequestSpec {
  const [a, b, c, d] = [0, 1, 2, 3].map((i) => keyName((index + i) % keys));
  const body = {
    compare: [{ key: a, exists: true }],
    success: [{ put: { key: a, value } }, { put: { key: b, value } }, { get: { key: c } }, {
      get: { key: d },
    }],
    failure: [],
  };
  return { method: "POST", path: `${prefix}/txn`, body: JSON.stringify(body) };
}

function rafterSpec(
  op: Operation,
  index: number,
  options: { keys: number; value: string; prefix: string },
): RequestSpec {
  const { value, prefix } = options;
  const key = keyName(index);
  if (op === "write") {
    return { method: "POST", path: `${prefix}/key`, body: JSON.stringify({ key, value }) };
  }
  if (op === "txn") return txnSpec(index, options.keys, value, prefix);
  if (op === "cas") return casSpec(key, value, 0, prefix);
  if (op === "scan") {
    const query = `prefix=k&after=${encodeURIComponent(key)}&limit=${SCAN_PAGE_KEYS}`;
    return { method: "GET", path: `${prefix}/keys?${query}`, body: null };
  }
  const level = op === "read-consistent" ? "consistent" : "stale";
  const query = `key=${encodeURIComponent(key)}&level=${level}`;
  return { method: "GET", path: `${prefix}/key?${query}`, body: null };
}

function etcdSpec(op: Operation, key: string, value64: string): RequestSpec {
  const key64 = base64(key);
  if (op === "write") {
    return { method: "POST", path: "/v3/kv/put", body: `{"key":"${key64}","value":"${value64}"}` };
  }
  const body = op === "read-consistent"
    ? `{"key":"${key64}"}`
    : `{"key":"${key64}","serializable":true}`;
  return { method: "POST", path: "/v3/kv/range", body };
}

/** What a successful answer's body must contain, as text; "" to check nothing. */
function expectedOf(target: Target, op: Operation, value: string, value64: string): string {
  if (op === "txn") return '"succeeded":true';
  if (op === "scan") return '"items":[';
  if (op === "write" || op === "cas") return "";
  return target === "etcd" ? value64 : value;
}

/**
 * The requests of `op` for keys `k0` to `k<keys-1>`. `prefix` is the path in front of
 * rafter's API paths (from the base URL), ignored for etcd.
 */
export function buildRequestSet(
  target: Target,
  op: Operation,
  options: { keys: number; valueBytes: number; prefix?: string },
): RequestSet {
  const value = benchValue(options.valueBytes);
  const value64 = base64(value);
  const prefix = (options.prefix ?? "").replace(/\/+$/, "");
  if (target === "etcd" && RAFTER_ONLY_OPERATIONS.includes(op)) {
    throw new Error(`Operation "${op}" runs against rafter only`);
  }
  if (op === "mixed") throw new Error(`Operation "mixed" is built as its reads and its writes`);
  const keys = options.keys;
  return {
    spec: target === "etcd"
      ? (key) => etcdSpec(op, keyName(key), value64)
      : (key) => rafterSpec(op, key, { keys, value, prefix }),
    expected: expectedOf(target, op, value, value64),
  };
}

/**
 * Writes of keys `k0` to `k<keys-1>` in batches of `batch`: request number `b` is one
 * transaction that puts keys `b * batch` up to `(b + 1) * batch - 1` (rafter only), so a
 * large key space is preloaded in a fraction of the requests.
 *
 * @example
 * ```ts
 * import { batchedWrites } from "./targets.ts";
 * const set = batchedWrites({ keys: 5, valueBytes: 1, batch: 2 });
 * const body = JSON.parse(set.spec(2).body!);
 * if (body.success.length !== 1 || body.success[0].put.key !== "k4") throw new Error();
 * ```
 */
export function batchedWrites(
  options: { keys: number; valueBytes: number; batch: number; prefix?: string },
): RequestSet {
  const value = benchValue(options.valueBytes);
  const prefix = (options.prefix ?? "").replace(/\/+$/, "");
  return {
    spec(request) {
      const success = [];
      const end = Math.min(options.keys, (request + 1) * options.batch);
      for (let key = request * options.batch; key < end; key++) {
        success.push({ put: { key: keyName(key), value } });
      }
      const body = JSON.stringify({ compare: [], success, failure: [] });
      return { method: "POST", path: `${prefix}/txn`, body };
    },
    expected: "",
  };
}

/**
 * Encodes a request as HTTP/1.1 bytes for `host` (the `Host` header, `host:port`), with
 * `headers` (an `Authorization`, say) besides the ones it writes itself.
 *
 * @example
 * ```ts
 * import { encodeRequest } from "./targets.ts";
 * const bytes = encodeRequest({ method: "GET", path: "/status", body: null }, "127.0.0.1:8001");
 * if (!new TextDecoder().decode(bytes).startsWith("GET /status HTTP/1.1\r\n")) throw new Error();
 * ```
 */
export function encodeRequest(
  spec: RequestSpec,
  host: string,
  headers: Record<string, string> = {},
): Uint8Array {
  const encoder = new TextEncoder();
  const body = spec.body === null ? null : encoder.encode(spec.body);
  let head = `${spec.method} ${spec.path} HTTP/1.1\r\nHost: ${host}\r\n`;
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  if (body !== null) {
    head += `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n`;
  }
  head += "\r\n";
  const headBytes = encoder.encode(head);
  if (body === null) return headBytes;
  const out = new Uint8Array(headBytes.length + body.length);
  out.set(headBytes, 0);
  out.set(body, headBytes.length);
  return out;
}
