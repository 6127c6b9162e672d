import { assertEquals } from "../assert.ts";
import { LeaseDeadlines } from "../../src/kv/lease_deadlines.ts";
import { Feeder } from "./helpers.ts";

Deno.test("a keep-alive restarts the full TTL; without one the lease expires at its deadline", () => {
  const deadlines = new LeaseDeadlines();
  deadlines.becomeLeader([], 0);
  deadlines.granted(7, 3000, 1000);
  assertEquals(deadlines.remaining(7, 2000), 2000);
  assertEquals(deadlines.keepAlive(7, 3500), 3000);
  assertEquals(deadlines.expired(6499, 10), []);
  assertEquals(deadlines.expired(6500, 10), [7]);
});

Deno.test("the time left is whole milliseconds on a clock with fractions", () => {
  const deadlines = new LeaseDeadlines();
  deadlines.becomeLeader([], 0);
  deadlines.granted(7, 3000, 0.25);
  assertEquals(deadlines.remaining(7, 1000.5), 2000);
  assertEquals(deadlines.remaining(7, 3000.2), 1);
  assertEquals(deadlines.remaining(7, 3000.25), 0);
});

Deno.test("an expiring lease is proposed once, again only after the retry interval", () => {
  const deadlines = new LeaseDeadlines({ revokeRetryMs: 500 });
  deadlines.becomeLeader([{ id: 1, ttlMs: 100 }, { id: 2, ttlMs: 100 }, { id: 3, ttlMs: 100 }], 0);
  assertEquals(deadlines.expired(100, 2), [1, 2]);
  assertEquals(deadlines.expired(101, 10), [3]);
  assertEquals(deadlines.expired(400, 10), []);
  // No keep-alive is acknowledged for a lease on its way out.
  assertEquals(deadlines.keepAlive(1, 400), null);
  assertEquals(deadlines.remaining(1, 400), 0);
  deadlines.revoked(2);
  assertEquals(deadlines.expired(650, 10), [1, 3]);
  assertEquals(deadlines.size, 2);
});

Deno.test("a new leader gives every lease its full TTL again, whatever the old leader had left", () => {
  const old = new LeaseDeadlines();
  old.becomeLeader([{ id: 4, ttlMs: 5000 }], 0);
  assertEquals(old.remaining(4, 4900), 100);
  const next = new LeaseDeadlines();
  next.becomeLeader([{ id: 4, ttlMs: 5000 }], 4900);
  assertEquals(next.remaining(4, 4900), 5000);
  assertEquals(next.expired(9899, 10), []);
  assertEquals(next.expired(9900, 10), [4]);
});

Deno.test("a follower tracks nothing; stepping down forgets every deadline", () => {
  const deadlines = new LeaseDeadlines();
  deadlines.granted(1, 100, 0);
  assertEquals(deadlines.size, 0);
  deadlines.becomeLeader([{ id: 1, ttlMs: 100 }], 0);
  deadlines.stepDown();
  assertEquals([deadlines.leading, deadlines.size, deadlines.keepAlive(1, 0)], [false, 0, null]);
});

Deno.test("observe follows grants, TTL puts and revocations as they apply", () => {
  const feeder = new Feeder();
  const deadlines = new LeaseDeadlines();
  deadlines.becomeLeader(feeder.machine.leases(), 0);
  deadlines.observe(feeder.apply({ kind: "leaseGrant", ttlMs: 1000 }), () => 10);
  deadlines.observe(feeder.put("session", "me", { ttlMs: 2000 }), () => 20);
  assertEquals(deadlines.remaining(1, 10), 1000);
  assertEquals(deadlines.remaining(2, 20), 2000);
  deadlines.observe(feeder.apply({ kind: "leaseRevoke", id: 1 }), () => 30);
  assertEquals(deadlines.remaining(1, 30), null);
  assertEquals(deadlines.size, 1);
});
