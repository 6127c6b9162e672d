import { assertEquals, assertRejects, assertTrue } from "../assert.ts";
import { AuthStore, hashToken } from "../../src/auth/mod.ts";
import { createLogger } from "../../src/log.ts";

function file(users: unknown[]): string {
  return JSON.stringify({ users });
}

Deno.test("reload swaps in a good file and keeps the old rules when the new file is broken", async () => {
  const path = await Deno.makeTempFile({ suffix: ".json" });
  const lines: string[] = [];
  const logger = createLogger("info", { sink: (line) => lines.push(line) });
  try {
    const hash = hashToken("first-token-0123456789");
    await Deno.writeTextFile(path, file([{ name: "a", tokenSha256: hash }]));
    const store = await AuthStore.load(path, logger);
    assertEquals(store.rules.users.map((u) => u.name), ["a"]);
    await Deno.writeTextFile(path, file([{ name: "b", tokenSha256: hash }]));
    assertEquals(await store.reload(), true);
    assertEquals(store.rules.users.map((u) => u.name), ["b"]);
    assertTrue(lines.at(-1)!.includes("auth file reloaded"), lines.at(-1));
    await Deno.writeTextFile(path, '{"users": [');
    assertEquals(await store.reload(), false);
    assertEquals(store.rules.users.map((u) => u.name), ["b"]);
    assertTrue(lines.at(-1)!.includes("auth file reload failed; the previous rules stay"));
    assertTrue(lines.at(-1)!.includes(`Cannot use auth file \\"${path}\\"`), lines.at(-1));
    await Deno.remove(path);
    assertEquals(await store.reload(), false);
    assertEquals(store.rules.users.map((u) => u.name), ["b"]);
  } finally {
    await Deno.remove(path).catch(() => {});
  }
});

Deno.test("a missing or broken auth file fails the load with the path and the reason", async () => {
  await assertRejects(
    AuthStore.load("/nonexistent/auth.json"),
    /^AuthFileError: Cannot read auth file "\/nonexistent\/auth.json"/,
  );
  const path = await Deno.makeTempFile();
  try {
    await Deno.writeTextFile(path, '{"users":[{"name":"a"}]}');
    await assertRejects(
      AuthStore.load(path),
      /Cannot use auth file ".*": Field "users\[0\]\.tokenSha256" must be 64 hex digits/,
    );
  } finally {
    await Deno.remove(path);
  }
});
