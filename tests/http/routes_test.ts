import { assertEquals, assertThrows } from "../assert.ts";
import { type Context, Hono } from "hono";
import { bodyKey, OPEN, writesKey } from "../../src/http/access.ts";
import type { HttpDeps } from "../../src/http/deps.ts";
import { declaredRoutes, declareRoutes, requireDeclaredRoutes } from "../../src/http/routes.ts";
import { fakeApp } from "./fake_node.ts";
import { testAuth } from "./auth_users.ts";

Deno.test("an app holding a route without an access rule is refused, naming the route", () => {
  const app = new Hono();
  const routes = declareRoutes(app, { auth: null } as HttpDeps);
  routes.get("/livez", OPEN, (c) => c.text("ok"));
  app.use((_c, next) => next());
  requireDeclaredRoutes(app);
  app.post("/sneaky/:key", (c) => c.text("no rule"));
  assertThrows(
    () => requireDeclaredRoutes(app),
    /Route "POST \/sneaky\/:key" has no access rule: mount it with declareRoutes/,
  );
});

Deno.test("a handler added beside a declared one on the same path is refused too", () => {
  const app = new Hono();
  const routes = declareRoutes(app, { auth: testAuth() } as HttpDeps);
  routes.post("/key", writesKey(bodyKey("key")), (c) => c.text("guarded"));
  app.post("/key", (c) => c.text("unguarded"));
  assertThrows(() => requireDeclaredRoutes(app), /Route "POST \/key" has no access rule/);
});

Deno.test("a declared handler mounted again by hand, around its guard, is refused", () => {
  const app = new Hono();
  const routes = declareRoutes(app, { auth: testAuth() } as HttpDeps);
  const handler = (c: Context) => c.text("written");
  routes.post("/key", writesKey(bodyKey("key")), handler);
  app.put("/key", handler);
  assertThrows(() => requireDeclaredRoutes(app), /Route "PUT \/key" has no access rule/);
});

Deno.test("every route the app serves is declared", () => {
  const { app } = fakeApp();
  const names = declaredRoutes(app).map((r) => `${r.method} ${r.path}`);
  assertEquals(names.includes("GET /key") && names.includes("POST /raft/join"), true);
  const served = app.routes.filter((r) => r.method !== "ALL").map((r) => `${r.method} ${r.path}`);
  assertEquals([...new Set(served)].sort(), [...new Set(names)].sort());
});
