// A turn's proposals share one buffer for their commands, each still reading its own bytes.
import { assertEquals, assertTrue } from "../assert.ts";
import { PACKED_COMMAND_BYTES_MAX, packProposals } from "../../src/node/packing.ts";
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

Deno.test("node: a turn's small commands share one buffer and keep their bytes", () => {
  const { requests, sent } = queued([10, 136, 1, 0, 4096]);
  const taken = requests.takeProposals();
  assertEquals(taken.map((p) => Array.from(p.data)), sent.map((data) => Array.from(data)));
  const buffers = new Set(taken.map((p) => p.data.buffer));
  assertEquals(buffers.size, 1, "one buffer for the whole turn");
  assertTrue(taken.every((p, i) => p.data.buffer !== sent[i]!.buffer), "none keeps its own");
});

Deno.test("node: a large command keeps its own buffer, and a lone command is not copied", () => {
  const { requests, sent } = queued([20, PACKED_COMMAND_BYTES_MAX + 1, 30]);
  const taken = requests.takeProposals();
  assertEquals(taken.map((p) => Array.from(p.data)), sent.map((data) => Array.from(data)));
  assertTrue(taken[1]!.data === sent[1], "the large command is left as it was");
  assertTrue(taken[0]!.data.buffer === taken[2]!.data.buffer, "the small ones are packed");
  const lone = queued([50]);
  assertTrue(lone.requests.takeProposals()[0]!.data === lone.sent[0], "nothing to share with");
  assertEquals(packProposals([]), []);
});
