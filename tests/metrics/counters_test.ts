import { assertEquals, assertThrows } from "../assert.ts";
import { Counter, Gauge } from "../../src/metrics/counter.ts";
import { Family, OVERFLOW_LABEL } from "../../src/metrics/family.ts";
import { exponentialBuckets, Histogram } from "../../src/metrics/histogram.ts";

Deno.test("a counter moves by exactly what it is given and refuses to go down", () => {
  const counter = new Counter();
  for (let i = 0; i < 1000; i++) counter.inc();
  counter.inc(24);
  assertEquals(counter.value, 1024);
  assertThrows(() => counter.inc(-1), /Counter increment must be a non-negative number, got "-1"/);
  assertThrows(() => counter.inc(NaN), /got "NaN"/);
  assertEquals(counter.value, 1024);
});

Deno.test("a gauge is set, raised and lowered", () => {
  const gauge = new Gauge();
  gauge.inc(5);
  gauge.dec(7);
  assertEquals(gauge.value, -2);
  gauge.set(3.5);
  assertEquals(gauge.value, 3.5);
});

Deno.test("a histogram counts every observation in the first bucket whose bound holds it", () => {
  const histogram = new Histogram([0.001, 0.01, 0.1, 1]);
  const values = [0, 0.001, 0.0010001, 0.01, 0.05, 0.1, 0.5, 1, 1.0001, 60];
  for (const value of values) histogram.observe(value);
  assertEquals(histogram.count, values.length);
  assertEquals([...histogram.counts], [2, 2, 2, 2, 2]);
  assertEquals(histogram.cumulative(), [2, 4, 6, 8, 10]);
  assertEquals(histogram.sum, values.reduce((a, b) => a + b, 0));
});

Deno.test("a histogram counts N observations after N observes, whatever the values", () => {
  const histogram = new Histogram(exponentialBuckets(0.001, 2, 14));
  let seed = 7;
  for (let i = 0; i < 5000; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    histogram.observe((seed / 2 ** 31) * 20);
  }
  assertEquals(histogram.count, 5000);
  assertEquals(histogram.cumulative().at(-1), 5000);
});

Deno.test("a histogram refuses NaN and bad bounds with clear errors", () => {
  const histogram = new Histogram([1]);
  assertThrows(() => histogram.observe(NaN), /Histogram observation must be a number, got "NaN"/);
  assertEquals(histogram.count, 0);
  assertThrows(() => new Histogram([]), /A histogram needs 1 to 64 buckets, got "0"/);
  assertThrows(() => new Histogram([1, 1]), /Bucket bounds must increase, got "1, 1"/);
  assertThrows(() => new Histogram([1, Infinity]), /Bucket bound must be finite, got "Infinity"/);
  assertThrows(() => exponentialBuckets(0, 2, 3), /Exponential buckets need start > 0/);
});

Deno.test("a family keeps one child per label set and folds the excess into _other", () => {
  const family = new Family(["to"], () => new Counter(), 3);
  for (const peer of ["n1", "n2", "n3", "n4", "n5"]) family.labels(peer).inc();
  family.labels("n1").inc(10);
  assertEquals(family.size, 3);
  assertEquals(
    [...family.entries()].map(([values, child]) => [values, child.value]),
    [[["n1"], 11], [["n2"], 1], [["n3"], 1], [[OVERFLOW_LABEL], 2]],
  );
  family.remove("n2");
  assertEquals(family.size, 2);
});

Deno.test("a family refuses a wrong number of label values and bad label names", () => {
  const family = new Family(["method", "route"], () => new Counter());
  assertThrows(() => family.labels("GET"), /Expected 2 label values \(method, route\), got "1"/);
  assertThrows(() => new Family(["bad-name"], () => 0), /Invalid label name "bad-name"/);
  assertThrows(() => new Family(["__reserved"], () => 0), /Invalid label name "__reserved"/);
  assertThrows(() => new Family([], () => 0), /at least one label/);
});
