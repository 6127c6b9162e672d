import { assertEquals } from "./assert.ts";
import { NO_NODE } from "../src/raft/types.ts";

Deno.test("the empty node id is the empty string", () => {
  assertEquals(NO_NODE, "");
});
