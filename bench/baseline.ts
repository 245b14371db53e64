/**
 * The minimal baseline the collector is measured against: read the file in 1 MiB chunks, split
 * lines, JSON.parse, one prepared INSERT per line, all in one transaction, no validation. It
 * writes into a database with the collector's own schema (same table, same indexes), so the
 * difference is the cost of what the collector adds: validation, timestamps, rejects, checkpoints.
 *
 * Usage: bun bench/baseline.ts INPUT DB
 */
import { closeSync, openSync, readSync } from "node:fs";
import { openDatabase } from "../src/store/database.ts";

const [input, dbPath] = process.argv.slice(2);
if (!input || !dbPath) throw new Error("usage: bun bench/baseline.ts INPUT DB");

const db = openDatabase(dbPath);
const insert = db.prepare(
  "INSERT OR IGNORE INTO cron_entries (timestamp, exit_code, message, parsed_at, ts_ms) VALUES (?, ?, ?, ?, ?)",
);
const decoder = new TextDecoder();
const buffer = new Uint8Array(1 << 20);
const fd = openSync(input, "r");
const parsedAt = new Date().toISOString();
let position = 0;
let lines = 0;
db.transaction(() => {
  for (;;) {
    const n = readSync(fd, buffer, 0, buffer.length, position);
    if (n === 0) break;
    const end = buffer.subarray(0, n).lastIndexOf(10);
    if (end < 0) break;
    for (const line of decoder.decode(buffer.subarray(0, end)).split("\n")) {
      const record = JSON.parse(line) as { ts: string; exit: number; msg: string };
      insert.run(record.ts, record.exit, record.msg, parsedAt, 0);
      lines++;
    }
    position += end + 1;
  }
})();
closeSync(fd);
db.close();
console.log(`baseline: ${lines} lines`);
