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

/** What one request does. */
export type Operation = "write" | "read-consistent" | "read-stale";

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
  /** One request per key, indexed by key number. */
  specs: RequestSpec[];
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

function rafterSpec(op: Operation, key: string, value: string, prefix: string): RequestSpec {
  if (op === "write") {
    return { method: "POST", path: `${prefix}/key`, body: JSON.stringify({ key, value }) };
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

/**
 * Builds the requests of `op` for keys `k0` to `k<keys-1>`. `prefix` is the path in front of
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
  const specs: RequestSpec[] = [];
  for (let i = 0; i < options.keys; i++) {
    const key = keyName(i);
    specs.push(target === "etcd" ? etcdSpec(op, key, value64) : rafterSpec(op, key, value, prefix));
  }
  const expected = op === "write" ? "" : target === "etcd" ? value64 : value;
  return { specs, expected };
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
