import { assertEquals, assertThrows } from "../assert.ts";
import { authenticate, hashToken, parseAuthFile, readCredentials } from "../../src/auth/mod.ts";
import { tokenFromInput } from "../../src/auth/hash_token_command.ts";
import { runRafter } from "../cli/run.ts";

Deno.test("hashToken is the hex SHA-256 of the token's UTF-8 bytes", () => {
  assertEquals(
    hashToken(""),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
  assertEquals(
    hashToken("abc"),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});

Deno.test("a Bearer token names its user; Basic needs the name and token of one user", () => {
  const rules = parseAuthFile(JSON.stringify({
    users: [
      { name: "a", tokenSha256: hashToken("token-of-a-0123456789") },
      { name: "b", tokenSha256: hashToken("token-of-b-0123456789") },
    ],
  }));
  const who = (header: string) => {
    const credentials = readCredentials(new Headers({ authorization: header }), "", false);
    return authenticate(rules, credentials!)?.name ?? null;
  };
  assertEquals(who("Bearer token-of-b-0123456789"), "b");
  assertEquals(who("bearer   token-of-a-0123456789"), "a");
  assertEquals(who(`Basic ${btoa("a:token-of-a-0123456789")}`), "a");
  assertEquals(who(`Basic ${btoa("b:token-of-a-0123456789")}`), null);
  assertEquals(who(`Basic ${btoa("a:token-of-a-0123456789:x")}`), null);
  assertEquals(who("Bearer token-of-c-0123456789"), null);
});

Deno.test("credentials: none, the header first, a query token only where allowed", () => {
  assertEquals(readCredentials(new Headers(), "http://h/watch?access_token=t", false), null);
  assertEquals(readCredentials(new Headers(), "http://h/watch?access_token=", true), null);
  const both = readCredentials(
    new Headers({ authorization: "Bearer from-header" }),
    "http://h/watch?access_token=from-query",
    true,
  );
  assertEquals(both, { scheme: "bearer", token: "from-header" });
});

Deno.test("hash-token takes 16 to 1024 printable characters, one trailing newline dropped", () => {
  assertEquals(tokenFromInput("0123456789abcdef\r\n"), "0123456789abcdef");
  assertThrows(() => tokenFromInput("short\n"), /Token must be at least 16 characters, got 5/);
  assertThrows(() => tokenFromInput("0123456789 abcdef"), /printable ASCII without spaces/);
  assertThrows(() => tokenFromInput("0123456789abcdef\n\n"), /printable ASCII/);
  assertThrows(() => tokenFromInput("x".repeat(1025)), /at most 1024 characters/);
});

Deno.test("rafter hash-token prints the hash of the token on stdin", async () => {
  const good = await runRafter(["hash-token"], { stdin: "my-token-0123456789abcdef\n" });
  assertEquals(good, {
    code: 0,
    stdout: `${hashToken("my-token-0123456789abcdef")}\n`,
    stderr: "",
  });
  const bad = await runRafter(["hash-token"], { stdin: "short" });
  assertEquals(bad, {
    code: 1,
    stdout: "",
    stderr:
      'rafter: Token must be at least 16 characters, got 5: make one with "openssl rand -hex 32"\n',
  });
});
