// Proposals' commands are copied as they are queued, small ones into shared
// slabs, each still reading its own bytes whatever the caller does with its buffer.
import { assertEquals, assertTrue } from "../assert.ts";
import { SLAB_BYTES, SLAB_COPY_BYTES_MAX, Slabs } from "../../src/bytes/slabs.ts";
import { Requests } from "../../src/node/requests.ts";

function queued(sizes: number[]) {
  const requests = new Requests({
    proposalsInflightMax: 64,
    requestTimeoutMs: 1000,
    nowMs: () => 0,
  });
  const sent = sizes.map((size, i) =>
    Uint8Array.from({ length: size }, (_, j) => (i * 7 + j) % 251)
  );
  for (const data of sent) requests.propose(data, null).catch(() => {});
  return { requests, sent };
}

Deno.test("node: a turn's small commands share one slab and keep their bytes", () => {
  const { requests, sent } = queued([10, 136, 1, 0, 4096]);
  const taken = requests.takeProposals();
  assertEquals(taken.map((p) => Array.from(p.data)), sent.map((data) => Array.from(data)));
  const buffers = new Set(taken.map((p) => p.data.buffer));
  assertEquals(buffers.size, 1, "one slab for the whole turn");
  assertTrue(taken.every((p, i) => p.data.buffer !== sent[i]!.buffer), "none keeps its own");
});

Deno.test("node: a large command gets a buffer of its own; later turns fill the same slab", () => {
  const { requests, sent } = queued([20, SLAB_COPY_BYTES_MAX + 1, 30]);
  const taken = requests.takeProposals();
  assertEquals(taken.map((p) => Array.from(p.data)), sent.map((data) => Array.from(data)));
  assertTrue(taken[1]!.data.buffer !== sent[1]!.buffer, "the large command is copied too");
  assertTrue(taken[1]!.data.buffer !== taken[0]!.data.buffer, "into a buffer of its own");
  assertTrue(taken[0]!.data.buffer === taken[2]!.data.buffer, "the small ones are packed");
  requests.propose(new Uint8Array([9]), null).catch(() => {});
  const next = requests.takeProposals()[0]!;
  assertTrue(next.data.buffer === taken[0]!.data.buffer, "a lone command of a later turn too");
  assertEquals(Array.from(taken[0]!.data), Array.from(sent[0]!), "earlier copies stay intact");
});

Deno.test("node: a caller may reuse its buffer as soon as the proposal is queued", () => {
  const { requests, sent } = queued([12, SLAB_COPY_BYTES_MAX + 1]);
  const expected = sent.map((data) => Array.from(data));
  for (const data of sent) data.fill(0xee);
  assertEquals(requests.takeProposals().map((p) => Array.from(p.data)), expected);
});

Deno.test("bytes: a full slab gives way to a new one, and what was copied stays", () => {
  const slabs = new Slabs();
  const piece = 10_000;
  const copies = Array.from(
    { length: Math.ceil(SLAB_BYTES / piece) + 1 },
    (_, i) => slabs.copy(new Uint8Array(piece).fill(i % 251)),
  );
  const buffers = new Set(copies.map((c) => c.buffer));
  assertEquals(buffers.size, 2, "two slabs");
  for (const buffer of buffers) assertEquals(buffer.byteLength, SLAB_BYTES);
  copies.forEach((c, i) => assertTrue(c.length === piece && c.every((b) => b === i % 251)));
});
