/**
 * Mounting routes with their access rules: every route of the app is added
 * through {@link declareRoutes}, which puts the guard in front of it when
 * auth is on, and {@link requireDeclaredRoutes} refuses to build an app
 * holding a route mounted any other way, so a new route cannot skip the check.
 *
 * @module
 */

import type { Hono } from "hono";
import type { Access } from "./access.ts";
import type { HttpDeps } from "./deps.ts";
import { markRoute, type RouteHandler } from "./front_door.ts";
import { guarded } from "./guard.ts";

export type { RouteHandler } from "./front_door.ts";

/** Adds routes to an app, each with its access rule. */
export interface Routes {
  get(path: string, access: Access, handler: RouteHandler): void;
  post(path: string, access: Access, handler: RouteHandler): void;
  put(path: string, access: Access, handler: RouteHandler): void;
  delete(path: string, access: Access, handler: RouteHandler): void;
  on(methods: readonly string[], path: string, access: Access, handler: RouteHandler): void;
}

/** One declared route: method, path and rule. */
export interface DeclaredRoute {
  method: string;
  path: string;
  access: Access;
}

interface Registry {
  routes: DeclaredRoute[];
  /** Every function mounted through {@link Routes}: the guarded (or bare) handler, marked. */
  mounted: WeakSet<object>;
}

const registries = new WeakMap<Hono, Registry>();

function registryOf(app: Hono): Registry {
  let registry = registries.get(app);
  if (registry === undefined) {
    registry = { routes: [], mounted: new WeakSet() };
    registries.set(app, registry);
  }
  return registry;
}

/**
 * The {@link Routes} of `app`. With auth off a handler is mounted alone;
 * with auth on, behind a guard enforcing its rule.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { declareRoutes, requireDeclaredRoutes } from "./routes.ts";
 * import { OPEN } from "./access.ts";
 * import type { HttpDeps } from "./deps.ts";
 * const app = new Hono();
 * declareRoutes(app, { auth: null } as HttpDeps).get("/livez", OPEN, (c) => c.text("ok"));
 * requireDeclaredRoutes(app);
 * ```
 */
export function declareRoutes(app: Hono, deps: HttpDeps): Routes {
  const registry = registryOf(app);
  const allowed = (path: string) => () =>
    registry.routes.filter((r) => r.path === path && r.access.changes && r.method !== "GET")
      .map((r) => r.method).join(", ");
  const on = (methods: readonly string[], path: string, access: Access, handler: RouteHandler) => {
    const upper = methods.map((m) => m.toUpperCase());
    for (const method of upper) registry.routes.push({ method, path, access });
    const checked = deps.auth === null ? handler : guarded(access, deps, allowed(path), handler);
    const marked = markRoute(path, checked);
    // Only what is mounted here counts: the bare handler, mounted again by
    // hand, would skip the guard and the front door's route label.
    registry.mounted.add(marked);
    app.on(upper, path, marked);
  };
  return {
    get: (path, access, handler) => on(["GET"], path, access, handler),
    post: (path, access, handler) => on(["POST"], path, access, handler),
    put: (path, access, handler) => on(["PUT"], path, access, handler),
    delete: (path, access, handler) => on(["DELETE"], path, access, handler),
    on,
  };
}

/**
 * The routes declared on `app`, in mounting order: what the tests walk to
 * check every route's 401, 403 and success.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { declaredRoutes } from "./routes.ts";
 * if (declaredRoutes(new Hono()).length !== 0) throw new Error();
 * ```
 */
export function declaredRoutes(app: Hono): readonly DeclaredRoute[] {
  return registries.get(app)?.routes ?? [];
}

/**
 * Throws naming the first route of `app` mounted without an access rule.
 * Middleware on every path (`app.use(fn)`) is allowed: it serves no route.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { requireDeclaredRoutes } from "./routes.ts";
 * const app = new Hono();
 * app.get("/sneaky", (c) => c.text("no rule"));
 * let refused = false;
 * try {
 *   requireDeclaredRoutes(app);
 * } catch {
 *   refused = true;
 * }
 * if (!refused) throw new Error("an undeclared route must be refused");
 * ```
 */
export function requireDeclaredRoutes(app: Hono): void {
  const mounted = registries.get(app)?.mounted;
  for (const route of app.routes) {
    if (route.method === "ALL" && (route.path === "*" || route.path === "/*")) continue;
    if (mounted?.has(route.handler) !== true) {
      throw new Error(
        `Route "${route.method} ${route.path}" has no access rule: mount it with declareRoutes`,
      );
    }
  }
}
