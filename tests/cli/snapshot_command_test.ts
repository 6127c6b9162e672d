// `rafter snapshot save` in this process against a node's app on a real port whose /snapshot
// answer a test can spoil: a good backup is saved and verified; a damaged, cut or broken one
// fails with the right exit code, leaves no partial file and keeps an older backup as it was.
import { assertEquals, assertMatch, assertTrue } from "../assert.ts";
import { EXIT, runClientCommand } from "../../src/cli/mod.ts";
import { createApp } from "../../src/http/mod.ts";
import { KvStateMachine } from "../../src/kv/state_machine.ts";
import { encodePut } from "../../src/kv/command.ts";
import { backupOf } from "../../src/node/backup.ts";
import { readBackupFile } from "../../src/storage/backup_read.ts";
import { FakeNode } from "../http/fake_node.ts";
import { memoryIo } from "./run.ts";

/** Keys in the served machine: enough for several frames. */
const KEYS = 20_000;

function machine(): KvStateMachine {
  const m = new KvStateMachine();
  for (let i = 1; i <= KEYS; i++) {
    m.apply({ index: i, term: 1, type: "normal", data: encodePut(`k${i}`, `value ${i}`) });
  }
  return m;
}

type Spoil = (bytes: Uint8Array) => Uint8Array | "drop";

/** Serves the app of a node whose backups pass through `spoil` first. */
async function withNode(
  spoil: Spoil,
  body: (endpoint: string, whole: Uint8Array) => Promise<void>,
): Promise<void> {
  const state = machine();
  const whole = new Uint8Array(await new Response(backupOf(state.freeze(), 3).body).arrayBuffer());
  const node = new (class extends FakeNode {
    override backup() {
      return { ...backupOf(state.freeze(), 3), body: spoiled(whole, spoil) };
    }
  })();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    createApp(node).fetch,
  );
  try {
    await body(`127.0.0.1:${server.addr.port}`, whole);
  } finally {
    await server.shutdown();
  }
}

/** The bytes in pieces; "drop" breaks the connection after the first half. */
function spoiled(whole: Uint8Array, spoil: Spoil): ReadableStream<Uint8Array> {
  const bytes = spoil(whole);
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      const source = bytes === "drop" ? whole : bytes;
      if (bytes === "drop" && sent >= whole.length / 2) return controller.error(new Error("gone"));
      if (sent >= source.length) return controller.close();
      controller.enqueue(source.slice(sent, sent + 65_536));
      sent += 65_536;
    },
  });
}

async function save(endpoint: string, file: string, ...flags: string[]) {
  const io = memoryIo({ RAFTER_ENDPOINTS: endpoint });
  const args = ["snapshot", "save", file, "--timeout-ms", "3000", ...flags];
  const code = await runClientCommand(args, io);
  return { code, stdout: io.stdout.join(""), stderr: io.stderr.join("\n") };
}

async function withDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "rafter_snapshot_cli_" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("snapshot save: the backup is written, verified, and replaces an older one", async () => {
  await withDir(async (dir) => {
    await withNode((bytes) => bytes, async (endpoint, whole) => {
      await Deno.writeTextFile(`${dir}/b.backup`, "an older backup");
      const saved = await save(endpoint, `${dir}/b.backup`);
      assertEquals([saved.code, saved.stderr], [EXIT.ok, ""]);
      assertMatch(saved.stdout, /^Saved .*b\.backup: [\d.]+ KiB, index 20000, term 3, from http/);
      assertEquals(await Deno.readFile(`${dir}/b.backup`), whole);
      assertEquals((await readBackupFile(`${dir}/b.backup`)).index, KEYS);
      assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["b.backup"]);
      const json = await save(endpoint, `${dir}/c.backup`, "--json");
      const summary = JSON.parse(json.stdout);
      assertEquals([summary.index, summary.term, summary.backupBytes], [KEYS, 3, whole.length]);
    });
  });
});

Deno.test("snapshot save: a damaged or cut backup exits 1, a broken download 3; nothing is lost", async () => {
  await withDir(async (dir) => {
    const cases: [string, Spoil, number, RegExp][] = [
      [
        "damaged",
        (b) => b.map((byte, i) => i === 70_000 ? byte ^ 1 : byte),
        EXIT.failed,
        /corrupt at offset "\d+": the frame's checksum/,
      ],
      ["cut", (b) => b.subarray(0, b.length - 100), EXIT.failed, /truncated at offset "\d+"/],
      [
        "broken",
        () => "drop",
        EXIT.unavailable,
        /Cannot read the backup from "http:\/\/127\.0\.0\.1:\d+"/,
      ],
    ];
    for (const [name, spoil, code, message] of cases) {
      await withNode(spoil, async (endpoint) => {
        await Deno.writeTextFile(`${dir}/b.backup`, "an older backup");
        const saved = await save(endpoint, `${dir}/b.backup`);
        assertEquals(saved.code, code, `${name}: ${saved.stderr}`);
        assertMatch(saved.stderr, message);
        assertEquals(await Deno.readTextFile(`${dir}/b.backup`), "an older backup", name);
        assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["b.backup"], name);
      });
    }
  });
});

Deno.test("snapshot: usage errors exit 2; a missing backup file exits 1 and writes nothing", async () => {
  await withDir(async (dir) => {
    const io = memoryIo();
    assertEquals(await runClientCommand(["snapshot", "load", "x"], io), EXIT.usage);
    assertEquals(await runClientCommand(["snapshot", "save"], io), EXIT.usage);
    const restore = ["snapshot", "restore", `${dir}/none.backup`, "--data-dir", `${dir}/n1`];
    assertEquals(await runClientCommand([...restore, "--id", "n1"], io), EXIT.usage);
    assertEquals(
      await runClientCommand([...restore, "--id", "n 1", "--raft-addr", "127.0.0.1:7001"], io),
      EXIT.usage,
    );
    assertEquals(
      await runClientCommand([...restore, "--id", "n1", "--raft-addr", "127.0.0.1:7001"], io),
      EXIT.failed,
    );
    assertTrue(io.stderr.at(-1)!.includes(`Cannot read "${dir}/none.backup"`), io.stderr.at(-1));
    assertEquals([...Deno.readDirSync(dir)], []);
  });
});
