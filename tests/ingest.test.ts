/** Ingest in process on a real database: start markers closed in any order, unreadable lines said out loud. */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { parseConfig } from "../src/config/load.ts";
import { Ingest } from "../src/ingest.ts";
import { jobStatus } from "../src/job-status.ts";
import { createLogger } from "../src/logger.ts";
import type { Checkpoint, Reject, Run, RunStart } from "../src/records.ts";
import { AlertStore } from "../src/store/alerts.ts";
import { openDatabase } from "../src/store/database.ts";
import { JobHistoryQueries } from "../src/store/job-history.ts";
import { JobStateStore } from "../src/store/job-state.ts";
import { RunWriter } from "../src/store/runs.ts";
import { tempDir } from "./helpers.ts";

const T = (iso: string): number => Date.parse(iso);

function fixture(nowIso: string) {
  const dir = tempDir("cc-ingest-");
  const config = { ...parseConfig("jobs:\n  quick: { max_duration: 3s }\n", "config.yaml", { home: dir, baseDir: dir }).config, database: join(dir, "ladder.db") };
  const db = openDatabase(config.database);
  const lines: string[] = [];
  const clock = (): Date => new Date(nowIso);
  const alerts = new AlertStore(db);
  const jobStates = new JobStateStore(db);
  const writer = new RunWriter(db, config.defaultJob);
  const history = new JobHistoryQueries(db);
  const ingest = new Ingest({ writer, alerts, jobStates }, config, createLogger("info", [(line) => lines.push(line)], clock), clock);
  let from: Checkpoint | null = null;
  let offset = 0;
  const commit = (runs: Run[], starts: RunStart[], rejects: Reject[] = []) => {
    offset += 1;
    const to: Checkpoint = { source: "/logs/ladder.jsonl", dev: "1", ino: "1", offset, headHash: "", tailHash: "" };
    const result = ingest.commit({ runs, starts, rejects, from, to }, clock().toISOString());
    from = to;
    return result;
  };
  const state = (atIso: string): string => {
    const settings = config.jobs[0];
    if (!settings) throw new Error("no job");
    return jobStatus(history.historyAt({ name: "quick", isDefault: false, key: "quick" }, T(atIso)), settings, null, T(atIso)).state;
  };
  const alertTitles = (): string[] => db.query<{ title: string; message: string }, []>("SELECT title, message FROM alerts ORDER BY id").all().map((row) => `${row.title}: ${row.message}`);
  return { commit, state, alertTitles, lines };
}

const start: RunStart = { ts: "2025-07-29T04:00:00Z", epochMs: T("2025-07-29T04:00:00Z"), runId: "r-1", job: "quick", host: null };
const finish: Run = { ts: "2025-07-29T04:00:00Z", epochMs: T("2025-07-29T04:00:00Z"), exit: 0, msg: "ok", job: "quick", durationMs: 2, host: null, extra: '{"run_id":"r-1"}' };

describe("Ingest", () => {
  test.each([
    ["in the same batch", [[[finish], [start]]]],
    ["finish in a later batch", [[[], [start]], [[finish], []]]],
    ["finish read before its start", [[[finish], []], [[], [start]]]],
  ] as Array<[string, Array<[Run[], RunStart[]]>]>)("a finish closes its start marker %s", (_name, batches) => {
    const f = fixture("2025-07-29T04:00:10Z");
    for (const [runs, starts] of batches) f.commit(runs, starts);
    expect(f.state("2025-07-29T04:00:10Z")).toBe("up");
    // As of a moment inside the run, it was going.
    expect(f.state("2025-07-29T04:00:00.001Z")).toBe("running");
  });

  test("unreadable lines: one WARN each with the byte offset (at most 5 a minute), one alert per burst", () => {
    const f = fixture("2025-07-29T04:00:00Z");
    const rejects: Reject[] = Array.from({ length: 7 }, (_, i) => ({ offset: i * 10, raw: `bad ${i}`, reason: "not valid JSON", hash: `h${i}` }));
    expect(f.commit([], [], rejects).rejected).toBe(7);
    f.commit([], [], [{ offset: 70, raw: "bad 7", reason: "not a JSON object", hash: "h7" }]);
    expect(f.lines.filter((line) => line.includes("WARN"))).toEqual(
      [0, 10, 20, 30, 40].map((offset) => `2025-07-29T04:00:00.000Z WARN  Unreadable line at byte ${offset} of "/logs/ladder.jsonl": not valid JSON; quarantined`),
    );
    expect(f.alertTitles()).toEqual(["⚠️ Cron log line unreadable: 7 lines in ladder.jsonl could not be read: not valid JSON (byte 0); see --stats"]);
  });

  test("a job name one edit away from a configured one is warned about once, in any batch", () => {
    const f = fixture("2025-07-29T05:00:00Z");
    const at = (i: number, job: string | null): Run => ({ ts: `2025-07-29T04:00:0${i}Z`, epochMs: T("2025-07-29T04:00:00Z") + i * 1000, exit: 0, msg: `r${i}`, job, durationMs: null, host: null, extra: null });
    f.commit([at(1, "quik"), at(2, "quick"), at(3, "quik"), at(4, null), at(5, "unrelated")], []);
    f.commit([at(6, "quik"), at(7, "quack")], []);
    f.commit([at(6, "quick2")].map((run) => ({ ...run, msg: "dup of nothing" })), []);
    const warnings = f.lines.filter((line) => line.includes("did you mean"));
    expect(warnings).toEqual([
      expect.stringContaining('A line names job "quik", which config.yaml does not list; did you mean "quick"?'),
      expect.stringContaining('A line names job "quack", which config.yaml does not list; did you mean "quick"?'),
      expect.stringContaining('A line names job "quick2", which config.yaml does not list; did you mean "quick"?'),
    ]);
  });
});
