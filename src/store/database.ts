/**
 * Opening the SQLite database: private directory, pragmas in the order that matters, migrations;
 * read-only for commands that only look; noticing the file deleted or replaced while open.
 */
import { constants as sqlite, Database } from "bun:sqlite";
import { accessSync, constants, existsSync, mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { CollectorError, describeError } from "../errors.ts";
import { latestVersion, migrate } from "./migrations.ts";

/** Device and inode of the file each open database was opened on. */
const openedFiles = new WeakMap<Database, { readonly path: string; readonly dev: bigint; readonly ino: bigint }>();

function remember(db: Database, path: string): void {
  const stat = statSync(path, { bigint: true });
  openedFiles.set(db, { path, dev: stat.dev, ino: stat.ino });
}

/**
 * Throws a CollectorError when the file the database was opened on is no longer at its path
 * (deleted: SQLite would keep writing into the unlinked file, and a restart would re-read the
 * input and alert a second time; or replaced by another file). The collector stops rather than
 * reopening: a database that vanished under it is a mistake someone should see, and a fresh one
 * would re-send every alert of the input. Cheap (one stat): called before every ingest commit.
 */
export function assertDatabaseFile(db: Database): void {
  const opened = openedFiles.get(db);
  if (!opened) return;
  let stat: import("node:fs").BigIntStats | undefined;
  try {
    stat = statSync(opened.path, { bigint: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") return; // unreadable dir: SQLite will say
  }
  if (stat === undefined) {
    throw new CollectorError(
      `The database "${opened.path}" was deleted while the collector was running; nothing more is written into the deleted file. Restart the collector to create a new one (it reads the input again)`,
      "runtime",
    );
  }
  if (stat.dev !== opened.dev || stat.ino !== opened.ino) {
    throw new CollectorError(
      `The database "${opened.path}" was replaced by another file while the collector was running; nothing more is written into the old one. Restart the collector to use the new file`,
      "runtime",
    );
  }
}

function reasonFor(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "EROFS") return "read-only file system";
  const text = describeError(error);
  if (/unable to open database file/i.test(text)) return "unable to open the file (check the directory exists and is writable)";
  return text;
}

/** An empty database of the current schema, in memory: what a read of a database not created yet sees. */
export function openEmptyDatabase(): Database {
  const db = new Database(":memory:");
  migrate(db);
  return db;
}

/**
 * Opens (creating if needed) and migrates the database. Throws CollectorError with a readable
 * reason. `busyTimeoutMs`: how long a write waits for another writer before SQLITE_BUSY.
 */
export function openDatabase(path: string, busyTimeoutMs = 5000): Database {
  try {
    // 0700: run history and messages are the user's business only.
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new CollectorError(`Cannot create the database directory "${dirname(path)}": ${reasonFor(error)}`, "runtime");
  }
  let db: Database;
  try {
    db = new Database(path, { create: true, readwrite: true });
  } catch (error) {
    throw new CollectorError(`Cannot open the database "${path}": ${reasonFor(error)}`, "runtime");
  }
  try {
    // busy_timeout first, so that the pragmas and migrations below wait for a concurrent writer
    // instead of failing with SQLITE_BUSY.
    db.run(`PRAGMA busy_timeout = ${Math.max(0, Math.round(busyTimeoutMs))}`);
    db.run("PRAGMA journal_mode = WAL");
    // NORMAL under WAL survives a crash of this process (kill -9); only power loss may lose the
    // last transactions, which the tail checkpoint then re-reads.
    db.run("PRAGMA synchronous = NORMAL");
    // Checkpoint the WAL every 10,000 pages (40 MB) rather than 1,000: a backfill commits a batch
    // per MiB read, and each checkpoint syncs the file (bench/ingest.ts, 1M lines: wall -0.6 s).
    db.run("PRAGMA wal_autocheckpoint = 10000");
    migrate(db);
    remember(db, path);
    return db;
  } catch (error) {
    db.close();
    throw new CollectorError(`Cannot use the database "${path}": ${reasonFor(error)}`, "runtime");
  }
}

/**
 * Opens the database for commands that only read (`--stats`, `--stats --json`, reports): needs
 * no write access to the file or its directory. A database with an older schema is migrated
 * first when the file is writable; otherwise the message says to run the collector once.
 * Throws CollectorError when the file does not exist (nothing is created) or cannot be read.
 */
export function openDatabaseReadOnly(path: string): Database {
  if (!existsSync(path)) {
    throw new CollectorError(`There is no database at "${path}" yet: run the collector once (bun collector.ts --parse-existing) to create it`, "runtime");
  }
  let db: Database;
  let version: number;
  try {
    db = openReadOnlyConnection(path);
    version = db.query<{ user_version: number }, []>("PRAGMA user_version").get()?.user_version ?? 0;
  } catch (error) {
    throw new CollectorError(`Cannot read the database "${path}": ${reasonFor(error)}`, "runtime");
  }
  if (version > latestVersion) {
    db.close();
    throw new CollectorError(`The database "${path}" has schema version ${version}, newer than this collector knows (${latestVersion}); upgrade the collector`, "runtime");
  }
  if (version === latestVersion) return db;
  db.close();
  if (!writable(path)) {
    throw new CollectorError(
      `The database "${path}" has schema version ${version}, older than this collector's (${latestVersion}), and is not writable here: run the collector once as its owner to upgrade it`,
      "runtime",
    );
  }
  openDatabase(path).close();
  return openDatabaseReadOnly(path);
}

/** `file:` URI of a path: `%`, `?` and `#` would otherwise be read as URI syntax. */
function fileUri(path: string): string {
  return `file:${path.replace(/[%?#]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
}

/**
 * A read-only connection. In WAL mode a reader needs the `-shm` file; when no collector is
 * connected it does not exist, and SQLite cannot create it beside a file in a directory it may not
 * write (SQLITE_READONLY_DIRECTORY). Then, and only when there is no `-wal` file (so no writer is
 * connected and the main file holds every commit), the file is opened `immutable`: read as it is,
 * without locks. A collector that starts meanwhile does not touch the main file until its first
 * checkpoint, long after a `--stats` has finished.
 */
function openReadOnlyConnection(path: string): Database {
  const writerConnected = existsSync(`${path}-wal`); // looked at first: a failed open may leave one
  let db: Database | null = null;
  try {
    db = new Database(path, { readonly: true });
    db.run("PRAGMA busy_timeout = 5000");
    db.query("SELECT 1 FROM sqlite_master LIMIT 1").get();
    return db;
  } catch (error) {
    db?.close();
    if (writerConnected) throw error;
    return new Database(fileUri(path) + "?immutable=1", sqlite.SQLITE_OPEN_READONLY | sqlite.SQLITE_OPEN_URI);
  }
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    accessSync(dirname(path), constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
