/**
 * Request input shared by every route and dialect: bounded body reading,
 * JSON parsing whatever the content type says, and field validation. Every
 * failure is an `HTTPException` (400 or 413) for the app's one `onError`.
 *
 * @module
 */

import { HTTPException } from "hono/http-exception";
import { READ_LEVELS, type ReadLevel } from "../api.ts";
import { decodeUtf8 } from "../bytes/utf8.ts";
import { withinDeadline } from "./read_deadlines.ts";

/** Bounds on client input. */
export interface Limits {
  /** Longest key, in UTF-8 bytes. */
  keyBytesMax: number;
  /** Longest value, in UTF-8 bytes. */
  valueBytesMax: number;
  /** Longest request body, in bytes. */
  bodyBytesMax: number;
  /** Longest time a request body may take to arrive, in milliseconds (then 408). */
  bodyReadTimeoutMs: number;
}

/** The documented limits: 4 KiB keys, 1 MiB values, 1.5 MiB bodies arriving within 10 s. */
export const DEFAULT_LIMITS: Readonly<Limits> = {
  keyBytesMax: 4 * 1024,
  valueBytesMax: 1024 * 1024,
  bodyBytesMax: 1.5 * 1024 * 1024,
  bodyReadTimeoutMs: 10_000,
};

/** Fields of a request: a parsed JSON object or query parameters. */
export type Fields = Record<string, unknown>;

const EMPTY = new Uint8Array(0);
const idBytesMax = 128;
const ADDRESS = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):([0-9]{1,5})$/;
const NODE_ID = /^[\x21-\x7e]+$/;

/** A 400 with `message`. */
export function badRequest(message: string): HTTPException {
  return new HTTPException(400, { message });
}

function tooLarge(bytes: number | string, bytesMax: number): HTTPException {
  return new HTTPException(413, {
    message: `Request body of "${bytes}" bytes exceeds the limit of "${bytesMax}" bytes`,
  });
}

/** Runs `read`; past `timeoutMs` calls `abandon` and throws a 408. */
function withinTime<T>(read: Promise<T>, timeoutMs: number, abandon: () => void): Promise<T> {
  return withinDeadline(
    read,
    timeoutMs,
    abandon,
    () => new HTTPException(408, { message: `Request body not received within ${timeoutMs} ms` }),
  );
}

/** Bodies already read, by request: the guard reads one before its handler does. */
const bodiesRead = new WeakMap<Request, Uint8Array<ArrayBuffer>>();

/**
 * Reads the whole body, refusing with 413 past `bodyBytesMax`: at once when
 * Content-Length announces more, and while reading whatever the header said;
 * and with 408 when it has not all arrived within `timeoutMs`, so a client
 * that sends slowly cannot hold a request open. A body is read once: later
 * calls for the same request answer the same bytes.
 */
export async function readBody(
  request: Request,
  bodyBytesMax: number,
  timeoutMs: number = DEFAULT_LIMITS.bodyReadTimeoutMs,
): Promise<Uint8Array<ArrayBuffer>> {
  const known = bodiesRead.get(request);
  if (known !== undefined) return known;
  const bytes = await readBodyOnce(request, bodyBytesMax, timeoutMs);
  bodiesRead.set(request, bytes);
  return bytes;
}

function readBodyOnce(
  request: Request,
  bodyBytesMax: number,
  timeoutMs: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const announced = request.headers.get("content-length");
  if (announced !== null && Number(announced) > bodyBytesMax) {
    return Promise.reject(tooLarge(announced, bodyBytesMax));
  }
  if (announced !== null) {
    // A server stops the body at the announced length (HTTP framing), so this
    // read is bounded; reading whole also skips building a stream. The
    // length is checked again in case the request did not come off the wire.
    const read = request.bytes().then((bytes) => {
      if (bytes.length > bodyBytesMax) throw tooLarge(bytes.length, bodyBytesMax);
      return bytes;
    });
    return withinTime(read, timeoutMs, () => {});
  }
  if (request.body === null) return Promise.resolve(EMPTY);
  const reader = request.body.getReader();
  return withinTime(readChunks(reader, bodyBytesMax), timeoutMs, () => {
    reader.cancel().catch(() => {});
  });
}

async function readChunks(
  reader: ReadableStreamDefaultReader<Uint8Array<ArrayBuffer>>,
  bodyBytesMax: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > bodyBytesMax) {
      await reader.cancel();
      throw tooLarge(`more than ${bodyBytesMax}`, bodyBytesMax);
    }
    chunks.push(value);
  }
  return chunks.length === 1 ? chunks[0]! : concat(chunks, total);
}

function concat(chunks: Uint8Array<ArrayBuffer>[], total: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}

/** Parses `bytes` as a JSON object; an empty body is `{}` when `emptyAllowed`. */
export function parseJsonObject(bytes: Uint8Array, emptyAllowed = false): Fields {
  if (bytes.length === 0) {
    if (emptyAllowed) return {};
    throw badRequest("Request body is empty: expected a JSON object");
  }
  const text = decodeUtf8(bytes);
  if (text === null) throw badRequest("Request body is not valid UTF-8");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw badRequest(`Request body is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw badRequest("Request body must be a JSON object");
  }
  return parsed as Fields;
}

/** Reads and parses a JSON object body. */
export async function readJsonObject(request: Request, limits: Limits): Promise<Fields> {
  return parseJsonObject(await readBody(request, limits.bodyBytesMax, limits.bodyReadTimeoutMs));
}

/** Field `name` as a string; undefined when absent (null counts as absent). */
export function optionalString(fields: Fields, name: string): string | undefined {
  const value = fields[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw badRequest(`Field "${name}" must be a string`);
  return value;
}

/** Field `name` as a string; 400 when absent. */
export function requiredString(fields: Fields, name: string): string {
  const value = optionalString(fields, name);
  if (value === undefined) throw badRequest(`Missing field "${name}"`);
  return value;
}

/** UTF-8 length of `text`, stopping early once past `limit`. */
function utf8Bytes(text: string, limit: number): number {
  let bytes = 0;
  for (let i = 0; i < text.length && bytes <= limit; i++) {
    const unit = text.charCodeAt(i);
    // A surrogate pair is two units and four bytes: two per unit.
    bytes += unit < 0x80 ? 1 : unit < 0x800 || (unit >= 0xd800 && unit < 0xe000) ? 2 : 3;
  }
  return bytes;
}

/** Checks that `text` (field `name`) is well-formed and at most `bytesMax` UTF-8 bytes. */
function checkText(text: string, name: string, bytesMax: number): string {
  // A string's UTF-8 form takes between 1 and 3 bytes per UTF-16 unit.
  if (text.length * 3 > bytesMax && utf8Bytes(text, bytesMax) > bytesMax) {
    throw badRequest(`Field "${name}" exceeds the limit of "${bytesMax}" UTF-8 bytes`);
  }
  if (!text.isWellFormed()) throw badRequest(`Field "${name}" holds an unpaired surrogate`);
  return text;
}

/** Validates a key: a non-empty string of at most `limits.keyBytesMax` UTF-8 bytes. */
export function checkKey(key: string | undefined, limits: Limits, name = "key"): string {
  if (key === undefined) throw badRequest(`Missing field "${name}"`);
  if (key.length === 0) throw badRequest(`Field "${name}" must not be empty`);
  return checkText(key, name, limits.keyBytesMax);
}

/** Validates a value: a string of at most `limits.valueBytesMax` UTF-8 bytes. */
export function checkValue(value: string | undefined, limits: Limits, name = "value"): string {
  if (value === undefined) throw badRequest(`Missing field "${name}"`);
  return checkText(value, name, limits.valueBytesMax);
}

/** Validates a prefix: a string (empty allowed) of at most `limits.keyBytesMax` UTF-8 bytes. */
export function checkPrefix(prefix: string | undefined, limits: Limits, name = "prefix"): string {
  if (prefix === undefined) throw badRequest(`Missing field "${name}"`);
  return checkText(prefix, name, limits.keyBytesMax);
}

/** An inclusive range of safe integers. */
export interface IntegerRange {
  min: number;
  max: number;
}

/** A Raft index or a mod index: 0 and up. */
export const INDEX_RANGE: Readonly<IntegerRange> = { min: 0, max: Number.MAX_SAFE_INTEGER };
/** A lease id, a TTL or a count: 1 and up. */
export const POSITIVE_RANGE: Readonly<IntegerRange> = { min: 1, max: Number.MAX_SAFE_INTEGER };

function outOfRange(name: string, shown: unknown, range: IntegerRange): HTTPException {
  const most = range.max === Number.MAX_SAFE_INTEGER ? "up" : `to ${range.max}`;
  return badRequest(
    `Invalid "${name}" ${JSON.stringify(shown)}: expected an integer from ${range.min} ${most}`,
  );
}

/**
 * JSON field `name` as an integer in `range`; undefined when absent (null counts as absent).
 *
 * @example
 * ```ts
 * import { INDEX_RANGE, optionalInteger } from "./input.ts";
 * if (optionalInteger({ prevIndex: 3 }, "prevIndex", INDEX_RANGE) !== 3) throw new Error();
 * try {
 *   optionalInteger({ prevIndex: 1.5 }, "prevIndex", INDEX_RANGE);
 *   throw new Error("accepted");
 * } catch (error) {
 *   if ((error as { status?: number }).status !== 400) throw error;
 * }
 * ```
 */
export function optionalInteger(
  fields: Fields,
  name: string,
  range: IntegerRange,
): number | undefined {
  const value = fields[name];
  if (value === undefined || value === null) return undefined;
  if (
    !Number.isSafeInteger(value) || (value as number) < range.min || (value as number) > range.max
  ) {
    throw outOfRange(name, value, range);
  }
  return value as number;
}

/**
 * Query parameter `name` (decimal digits) as an integer in `range`; undefined when absent.
 *
 * @example
 * ```ts
 * import { queryInteger } from "./input.ts";
 * if (queryInteger("250", "limit", { min: 1, max: 10000 }) !== 250) throw new Error();
 * if (queryInteger(undefined, "limit", { min: 1, max: 10000 }) !== undefined) throw new Error();
 * ```
 */
export function queryInteger(
  text: string | undefined,
  name: string,
  range: IntegerRange,
): number | undefined {
  if (text === undefined) return undefined;
  const value = /^[0-9]{1,16}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < range.min || value > range.max) {
    throw outOfRange(name, text, range);
  }
  return value;
}

/** Query parameter `name` as a boolean: `true` or `false`; absent is false. */
export function queryBoolean(text: string | undefined, name: string): boolean {
  if (text === undefined || text === "false") return false;
  if (text === "true") return true;
  throw badRequest(`Invalid "${name}" "${text}": expected true or false`);
}

/** Validates a read level; absent means `fallback`. */
export function checkLevel(level: string | undefined, fallback: ReadLevel): ReadLevel {
  if (level === undefined) return fallback;
  if ((READ_LEVELS as readonly string[]).includes(level)) return level as ReadLevel;
  throw badRequest(`Invalid read level "${level}": expected stale, default or consistent`);
}

/** Validates a `host:port` address (field `name`) with a port from 1 to 65535. */
export function checkAddress(address: string | undefined, name: string): string {
  if (address === undefined) throw badRequest(`Missing field "${name}"`);
  const match = ADDRESS.exec(address);
  if (match === null) {
    throw badRequest(`Invalid address "${address}" in "${name}": expected host:port`);
  }
  const port = Number(match[2]);
  if (port < 1 || port > 65535) {
    throw badRequest(`Invalid port "${match[2]}" in "${name}": expected 1 to 65535`);
  }
  return address;
}

/** Validates a node id (field `name`): 1 to 128 printable ASCII characters, no spaces. */
export function checkNodeId(id: string | undefined, name: string): string {
  if (id === undefined) throw badRequest(`Missing field "${name}"`);
  if (id.length === 0 || id.length > idBytesMax || !NODE_ID.test(id)) {
    throw badRequest(
      `Invalid node id "${id}" in "${name}": expected 1 to ${idBytesMax} printable ASCII characters`,
    );
  }
  return id;
}

/**
 * The fields of a request that may come as query parameters or as a JSON
 * body (membership routes): the body's fields win over the query's. Also
 * returns the body bytes, for forwarding.
 */
export async function readFields(
  request: Request,
  limits: Limits,
): Promise<{ fields: Fields; body: Uint8Array<ArrayBuffer> }> {
  const fields: Fields = Object.fromEntries(new URL(request.url).searchParams);
  if (request.method === "GET" || request.method === "HEAD") return { fields, body: EMPTY };
  const body = await readBody(request, limits.bodyBytesMax, limits.bodyReadTimeoutMs);
  return { fields: { ...fields, ...parseJsonObject(body, true) }, body };
}
