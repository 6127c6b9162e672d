/**
 * `rafter snapshot save FILE` (a consistent backup of one node's state,
 * taken while writes go on) and `rafter snapshot restore FILE --data-dir DIR
 * --id ID --raft-addr HOST:PORT [--http-addr HOST:PORT]` (the data directory
 * of the first node of a new cluster, from a backup).
 *
 * @module
 */

import { advertised, defaultNodeConfig, validateNodeConfig } from "../config.ts";
import { restoreBackup, type RestoreResult } from "../node/restore.ts";
import { BackupFormatError } from "../storage/backup_file.ts";
import { type ParsedArgs, positionals, stringFlag } from "./args.ts";
import { type CliIo, CliUsageError, EXIT } from "./io.ts";
import { type ClientCommand, printJson } from "./output.ts";
import { formatBytes, Progress } from "./progress.ts";
import { saveBackup, type SavedBackup } from "./snapshot_save.ts";

const HEX_RADIX = 16;
const CRC_HEX_DIGITS = 8;

function savedLine(saved: SavedBackup): string {
  const crc = saved.checksum.toString(HEX_RADIX).padStart(CRC_HEX_DIGITS, "0");
  return `Saved ${saved.file}: ${formatBytes(saved.backupBytes)}, index ${saved.index}, ` +
    `term ${saved.term}, from ${saved.from} at ${
      formatBytes(Math.round(saved.bytesPerSecond))
    }/s; ` +
    `checksum crc32c ${crc} verified\n`;
}

function requiredFlag(parsed: ParsedArgs, name: string): string {
  const value = stringFlag(parsed, name);
  if (value === undefined || value === "") throw new CliUsageError(`Missing --${name}`);
  return value;
}

/** The node a restore prepares, from the flags, checked as `rafter serve` checks them. */
function restoredNode(parsed: ParsedArgs) {
  const defaults = defaultNodeConfig();
  const config = validateNodeConfig({
    ...defaults,
    id: requiredFlag(parsed, "id"),
    dataDir: requiredFlag(parsed, "data-dir"),
    raftAddr: requiredFlag(parsed, "raft-addr"),
    httpAddr: stringFlag(parsed, "http-addr") ?? defaults.httpAddr,
    advertiseHttpAddr: stringFlag(parsed, "advertise-http") ?? "",
  });
  const member = {
    id: config.id,
    voter: true,
    raftAddr: advertised(config.raftAddr, "Raft address"),
    httpAddr: config.advertiseHttpAddr,
  };
  return { config, member };
}

async function restore(io: CliIo, parsed: ParsedArgs, json: boolean): Promise<number> {
  const [, file] = positionals(parsed, ["ACTION", "FILE"]);
  const { config, member } = restoredNode(parsed);
  let totalBytes = 0;
  try {
    totalBytes = (await Deno.stat(file!)).size;
  } catch (error) {
    throw new Error(`Cannot read "${file}": ${(error as Error).message}`);
  }
  const progress = new Progress(io, `snapshot restore ${file}`, { totalBytes });
  let restored: RestoreResult;
  try {
    restored = await restoreBackup(file!, {
      dataDir: config.dataDir,
      member,
      onBytes: (bytes) => progress.add(bytes),
    });
  } catch (error) {
    if (!(error instanceof BackupFormatError)) throw error;
    throw new Error(`Cannot restore "${file}": ${error.message}`, { cause: error });
  }
  if (json) {
    await printJson(io, { ...restored, dataDir: config.dataDir, member });
    return EXIT.ok;
  }
  const http = ` --http-addr ${config.httpAddr}`;
  await io.out(
    `Restored index ${restored.index} (term ${restored.term}, ${restored.keys} keys) into ` +
      `${config.dataDir} as node ${member.id}, the only member of new cluster ${restored.clusterId}\n` +
      `Start it with: rafter serve --id ${member.id} --data-dir ${config.dataDir} ` +
      `--raft-addr ${config.raftAddr}${http}\n` +
      `Then start the other nodes with empty data directories and --join ${member.httpAddr}\n`,
  );
  return EXIT.ok;
}

/**
 * `rafter snapshot save|restore`.
 *
 * @example
 * ```ts
 * import { runClientCommand } from "./mod.ts";
 * import { memoryIo } from "../../tests/cli/run.ts";
 * const io = memoryIo();
 * if (await runClientCommand(["snapshot", "restore", "b.backup", "--id", "n1"], io) !== 2) {
 *   throw new Error("--data-dir and --raft-addr are missing");
 * }
 * if (!io.stderr[0]!.includes("Missing --data-dir")) throw new Error(io.stderr[0]);
 * ```
 */
export const snapshotCommand: ClientCommand = {
  name: "snapshot",
  summary: "save a backup of a node, or restore one into a new cluster",
  help: `Usage:
  rafter snapshot save FILE
  rafter snapshot restore FILE --data-dir DIR --id ID --raft-addr HOST:PORT [--http-addr HOST:PORT]

save: streams a consistent backup of one node's state (GET /snapshot on one of the endpoints;
give one to choose the node; a leader is not needed and writes go on) into FILE, showing bytes
and rate on a terminal; every frame's checksum is checked as it arrives and the whole file's once
it is on disk, before it replaces FILE.

restore: prepares the data directory DIR, which must be missing or empty, for the first node
of a new cluster: the backup's keys, values and indexes, a new cluster id, and node ID alone as
its member, reached at the given addresses (--http-addr defaults to ${defaultNodeConfig().httpAddr};
--advertise-http as for serve). A damaged or truncated backup is refused with the offset where
it breaks, and nothing is written. Start the node with the same --id, --data-dir, --raft-addr
and --http-addr, then join the other nodes to it with --join.

Exits 1 when the backup or the directory is refused, 3 when no node served the backup.`,
  flags: {
    "data-dir": { type: "string" },
    id: { type: "string" },
    "raft-addr": { type: "string" },
    "http-addr": { type: "string" },
    "advertise-http": { type: "string" },
  },
  async run({ io, parsed, json, client }) {
    const action = parsed.positionals[0];
    if (action === "restore") return await restore(io, parsed, json);
    if (action !== "save") {
      throw new CliUsageError(`Expected save or restore, got "${action ?? ""}"`);
    }
    const [, file] = positionals(parsed, ["ACTION", "FILE"]);
    const saved = await saveBackup(io, await client(), file!);
    await (json ? printJson(io, saved) : io.out(savedLine(saved)));
    return EXIT.ok;
  },
};
