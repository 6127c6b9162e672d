/**
 * The guard every route runs behind when auth is on: refuses `GET` on
 * state-changing routes (405) and cross-origin browser requests to them
 * (403), reads and checks credentials (401 with `WWW-Authenticate`) or, on
 * `/join`, a proof of the cluster secret in their place, works
 * out what the request needs from the route's access rule and refuses what
 * the caller lacks (403). A refused request never reaches its handler, so
 * it changes nothing.
 *
 * @module
 */

import type { Context } from "hono";
import {
  authenticate,
  type AuthStore,
  CredentialsError,
  holdsAnything,
  isOpen,
  missingRight,
  type Need,
  NOBODY,
  type Principal,
  readCredentials,
} from "../auth/mod.ts";
import { checkJoinProof, JOIN_PROOF_HEADER } from "../secret/mod.ts";
import type { Access, AccessInput } from "./access.ts";
import type { HttpDeps } from "./deps.ts";
import { type Fields, parseJsonObject, readBody } from "./input.ts";
import { json } from "./respond.ts";

/** The challenge of every 401: either scheme works. */
export const AUTH_CHALLENGE = 'Bearer realm="rafter", Basic realm="rafter"';

/** A route's handler, and what the guard makes of it. */
type Handler = (c: Context) => Response | Promise<Response>;

interface Caller {
  principal: Principal;
  /** The request body, read before the handler (for the rule and for forwarding). */
  body: Uint8Array<ArrayBuffer> | null;
}

const callers = new WeakMap<Context, Caller>();

function unauthorized(message: string): Response {
  return json({ error: message }, 401, { "www-authenticate": AUTH_CHALLENGE });
}

/**
 * True when a browser sent `request` from another site's page: a form there
 * must not change state with credentials the browser cached for this node.
 */
function isCrossOrigin(request: Request): boolean {
  const origin = request.headers.get("origin");
  if (origin === null) return false;
  const url = new URL(request.url);
  return origin !== `${url.protocol}//${url.host}`;
}

/**
 * False when `principal` cannot hold what the route needs whatever the
 * request says: nothing at all, or no write right on a route that changes
 * state. Anonymous callers are then refused before the body is read or the
 * node asked.
 */
function couldPass(principal: Principal, access: Access): boolean {
  if (!holdsAnything(principal)) return false;
  return !access.changes || principal.permissions.some((p) => p.write);
}

function hasBody(request: Request): boolean {
  return request.method !== "GET" && request.method !== "HEAD" && request.body !== null;
}

function inputOf(c: Context, body: Uint8Array | null): AccessInput {
  let fields: Fields | null = null;
  return {
    request: c.req.raw,
    query: (name) => c.req.query(name),
    param: (name) => c.req.param(name),
    body: () => fields ??= parseJsonObject(body ?? new Uint8Array(0)),
  };
}

/** Who made a request: a user, or the anonymous principal. */
interface Identified {
  principal: Principal;
  anonymous: boolean;
}

/** The principal behind the request's credentials, or a 401 answer. */
function identify(request: Request, auth: AuthStore, queryToken: boolean): Identified | Response {
  const rules = auth.rules;
  const header = request.headers.get("authorization");
  const known = header === null ? undefined : auth.callers.known(header);
  if (known !== undefined) return { principal: known, anonymous: false };
  let credentials;
  try {
    credentials = readCredentials(request.headers, request.url, queryToken);
  } catch (error) {
    if (!(error instanceof CredentialsError)) throw error;
    return unauthorized(error.message);
  }
  if (credentials === null) return { principal: rules.anonymous, anonymous: true };
  const user = authenticate(rules, credentials);
  if (user === null) return unauthorized("Invalid credentials: unknown user or token");
  if (header !== null) auth.callers.remember(header, user);
  return { principal: user, anonymous: false };
}

/**
 * A request carrying a join proof to a route that takes one: the body is
 * read and the proof checked against the cluster secret in place of
 * credentials; 401 when it does not hold.
 */
async function withJoinProof(
  c: Context,
  deps: HttpDeps,
  handler: Handler,
): Promise<Response> {
  const request = c.req.raw;
  const secret = deps.clusterSecret;
  if (secret === null) {
    return unauthorized("Cannot check a join proof: this node has no cluster secret");
  }
  const { bodyBytesMax, bodyReadTimeoutMs } = deps.limits;
  const body = await readBody(request, bodyBytesMax, bodyReadTimeoutMs);
  const header = request.headers.get(JOIN_PROOF_HEADER) ?? "";
  const refusal = await checkJoinProof(secret, header, body, Date.now());
  if (refusal !== null) return unauthorized(refusal);
  // Kept for forwarding to the leader, which checks the proof again.
  callers.set(c, { principal: NOBODY, body });
  return await handler(c);
}

/**
 * `handler` behind the check of `access`: a refused request answers at once
 * and never reaches it. `allowed` lists the route's methods for the `Allow`
 * header of a 405. The check answers without a turn of the event loop when
 * nothing in it waits (no body to read, a rule that needs no lookup): most
 * reads are then as cheap as with auth off but for the check itself.
 */
export function guarded(
  access: Access,
  deps: HttpDeps,
  allowed: () => string,
  handler: Handler,
): Handler {
  const auth = deps.auth;
  if (auth === null) throw new Error("A guard needs auth rules");
  const open = typeof access.need !== "function" && isOpen(access.need);

  /** The rest of the check once the body (if any) is in hand. */
  const decide = (c: Context, who: Identified, body: Uint8Array<ArrayBuffer> | null) => {
    const needed = typeof access.need === "function" ? access.need(inputOf(c, body)) : access.need;
    if (needed instanceof Promise) {
      return needed.then((need) => admit(c, who, body, need, open, handler));
    }
    return admit(c, who, body, needed, open, handler);
  };

  return (c) => {
    const request = c.req.raw;
    if (access.changes && (request.method === "GET" || request.method === "HEAD")) {
      return json(
        { error: `Method "${request.method}" is not allowed on "${c.req.path}": it changes state` },
        405,
        { allow: allowed() },
      );
    }
    if (access.changes && isCrossOrigin(request)) {
      const origin = request.headers.get("origin");
      return json({ error: `Cross-origin request from "${origin}" cannot change state` }, 403);
    }
    if (access.joinProof === true && request.headers.has(JOIN_PROOF_HEADER)) {
      return withJoinProof(c, deps, handler);
    }
    const who = identify(request, auth, access.queryToken);
    if (who instanceof Response) return who;
    if (who.anonymous && !open && !couldPass(who.principal, access)) {
      return unauthorized("Credentials required: send a Bearer token or Basic auth");
    }
    if (!hasBody(request)) return decide(c, who, null);
    const { bodyBytesMax, bodyReadTimeoutMs } = deps.limits;
    return readBody(request, bodyBytesMax, bodyReadTimeoutMs).then((body) => decide(c, who, body));
  };
}

/** `handler`'s answer when `who` holds `need`, a 401 or 403 otherwise. */
function admit(
  c: Context,
  who: Identified,
  body: Uint8Array<ArrayBuffer> | null,
  need: Need,
  open: boolean,
  handler: Handler,
): Response | Promise<Response> {
  const missing = missingRight(who.principal, need);
  if (missing !== null) {
    if (who.anonymous) {
      return unauthorized(`Credentials required: anonymous callers lack ${missing}`);
    }
    return json({ error: `User "${who.principal.name}" lacks ${missing}` }, 403);
  }
  // Kept for what reads it: open routes shaping their answer, and forwarding.
  if (open || body !== null) callers.set(c, { principal: who.principal, body });
  return handler(c);
}

/**
 * True when the caller of an open route holds `need`; always true with auth
 * off. Open routes use it to shape their answer (the full `/status` for the
 * admin); on other routes the guard has already checked everything.
 */
export function callerMay(c: Context, deps: HttpDeps, need: Need): boolean {
  if (deps.auth === null) return true;
  const caller = callers.get(c);
  return caller !== undefined && missingRight(caller.principal, need) === null;
}

/** The body the guard read for `c`, or null (auth off, or a request without one). */
export function guardedBody(c: Context): Uint8Array<ArrayBuffer> | null {
  return callers.get(c)?.body ?? null;
}
