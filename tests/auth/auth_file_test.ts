import { assertEquals, assertThrows } from "../assert.ts";
import { missingRight, parseAuthFile } from "../../src/auth/mod.ts";

const HASH = "ab".repeat(32);

function refused(file: unknown, pattern: RegExp): void {
  assertThrows(
    () => parseAuthFile(typeof file === "string" ? file : JSON.stringify(file)),
    pattern,
  );
}

Deno.test("the issue's example auth file parses, with defaults filled in", () => {
  const rules = parseAuthFile(JSON.stringify({
    users: [
      {
        name: "app",
        tokenSha256: HASH,
        permissions: [{ prefix: "app/", read: true, write: true }],
      },
      { name: "ops", tokenSha256: "CD".repeat(32), admin: true },
    ],
    anonymous: { permissions: [] },
  }));
  assertEquals(rules.users.map((u) => [u.name, u.admin, u.metrics, u.permissions]), [
    ["app", false, false, [{ prefix: "app/", read: true, write: true }]],
    ["ops", true, false, []],
  ]);
  assertEquals(rules.users[1]!.digest[0], 0xcd);
  assertEquals(rules.anonymous, { name: "", admin: false, metrics: false, permissions: [] });
});

Deno.test("a broken auth file is refused naming the field at fault", () => {
  refused("{", /Not valid JSON/);
  refused([], /Field "\(top level\)" must be an object/);
  refused({}, /Field "users" must be an array, got "undefined"/);
  refused({ users: [], extra: 1 }, /has an unknown field "extra"/);
  refused(
    { users: [{ name: "a", tokenSha256: "abc" }] },
    /"users\[0\]\.tokenSha256" must be 64 hex/,
  );
  refused({ users: [{ tokenSha256: HASH }] }, /"users\[0\]\.name" must be 1-64/);
  refused({ users: [{ name: "a:b", tokenSha256: HASH }] }, /"users\[0\]\.name" must be 1-64/);
  refused({ users: [{ name: "a", tokenSha256: HASH, admn: true }] }, /unknown field "admn"/);
  refused({ users: [{ name: "a", tokenSha256: HASH, admin: "yes" }] }, /admin" must be true/);
  refused(
    { users: [{ name: "a", tokenSha256: HASH, permissions: [{ read: true }] }] },
    /"users\[0\]\.permissions\[0\]\.prefix" must be a string/,
  );
  refused(
    { users: [{ name: "a", tokenSha256: HASH, permissions: {} }] },
    /"users\[0\]\.permissions" must be an array/,
  );
  refused(
    { users: [{ name: "a", tokenSha256: HASH }, { name: "a", tokenSha256: "cd".repeat(32) }] },
    /User name "a" appears twice$/,
  );
  refused(
    { users: [{ name: "a", tokenSha256: HASH }, { name: "b", tokenSha256: HASH.toUpperCase() }] },
    /Users "a" and "b" have the same token/,
  );
  refused({ users: [], anonymous: { admin: true } }, /"anonymous" has an unknown field "admin"/);
});

Deno.test("permissions: prefixes cover keys and narrower prefixes; admin holds everything", () => {
  const app = parseAuthFile(JSON.stringify({
    users: [{
      name: "app",
      tokenSha256: HASH,
      permissions: [{ prefix: "app/", read: true }, { prefix: "app/w/", write: true }],
    }],
  })).users[0]!;
  assertEquals(missingRight(app, { readKeys: ["app/x"], readPrefixes: ["app/", "app/x"] }), null);
  assertEquals(missingRight(app, { writeKeys: ["app/w/1"], writePrefixes: ["app/w/"] }), null);
  assertEquals(missingRight(app, { readPrefixes: ["ap"] }), 'read permission on prefix "ap"');
  assertEquals(missingRight(app, { readPrefixes: [""] }), 'read permission on prefix ""');
  assertEquals(missingRight(app, { writeKeys: ["app/x"] }), 'write permission on key "app/x"');
  assertEquals(
    missingRight(app, { writeKeys: ["app/w/1", "app/v"] }),
    'write permission on key "app/v"',
  );
  assertEquals(missingRight(app, { admin: true }), "the admin permission");
  assertEquals(missingRight(app, { metrics: true }), "the metrics permission");
  assertEquals(missingRight(app, {}), null);
  const admin = { ...app, admin: true };
  assertEquals(missingRight(admin, { admin: true, metrics: true, writePrefixes: [""] }), null);
});
