/**
 * rafter: a distributed key-value store on Raft. Entry point.
 *
 * @module
 */

if (import.meta.main) {
  console.error("rafter: not yet runnable");
  Deno.exit(1);
}
