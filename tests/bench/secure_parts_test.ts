import { assertEquals } from "../assert.ts";
import { main } from "../../bench/secure_parts.ts";

Deno.test("bench:secure-parts refuses unknown scenarios and bad counts before starting anything", async () => {
  const errors: string[] = [];
  const error = console.error;
  console.error = (...args: unknown[]) => errors.push(args.join(" "));
  try {
    assertEquals(await main(["--scenarios", "scan-c16"]), 2);
    assertEquals(await main(["--rounds", "0"]), 2);
    assertEquals(await main(["--duration", "1.5"]), 2);
    assertEquals(await main(["--bogus"]), 2);
  } finally {
    console.error = error;
  }
  assertEquals(errors.length, 4);
  assertEquals(errors[1]!.split("\n")[0], 'Option --rounds must be an integer in 1..20, got "0"');
  assertEquals(
    errors[2]!.split("\n")[0],
    'Option --duration must be an integer in 1..600, got "1.5"',
  );
  assertEquals(
    errors[0]!.split("\n")[0],
    'Unknown scenario "scan-c16": use read-stale-cN or write-cN',
  );
});
