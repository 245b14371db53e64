/** The one "is this a job" rule (src/known-job.ts), as `stats --job`, `pause` and the dashboard apply it. */
import { describe, expect, test } from "bun:test";
import { forgetCommand } from "../src/commands/forget.ts";
import { statsCommand } from "../src/commands/stats.ts";
import { isKnownJob } from "../src/known-job.ts";
import { openDatabase } from "../src/store/database.ts";
import { JobStateStore } from "../src/store/job-state.ts";
import { openWebData } from "../src/web/data.ts";
import { collected, withRuns } from "./job-fixture.ts";

const NOW = new Date("2025-07-29T06:00:00Z");

function fixture(): ReturnType<typeof withRuns>["config"] {
  const { config } = withRuns();
  // "fresh" is configured and never ran; "old" keeps its runs but loses its job row.
  const configured = { ...config, jobs: [...config.jobs, { ...config.jobs[0]!, name: "fresh" }] };
  expect(forgetCommand(configured, "old", { runs: false }, NOW, collected().output)).toBe(0);
  return configured;
}

describe("isKnownJob", () => {
  test("configured, seen in the log (with or without a job row) and the default job are jobs; a typo is not, in the CLI and the dashboard alike", () => {
    const config = fixture();
    const db = openDatabase(config.database);
    const web = openWebData(config);
    try {
      const jobStates = new JobStateStore(db);
      const verdicts = ["backup", "fresh", "old", config.defaultJob, "bakup", "nope"].map((name) => [name, isKnownJob(name, config, jobStates), web.unknownJob(name) === null]);
      jobStates.finalize();
      expect(verdicts).toEqual([
        ["backup", true, true],
        ["fresh", true, true],
        ["old", true, true],
        [config.defaultJob, true, true],
        ["bakup", false, false],
        ["nope", false, false],
      ]);
      expect(web.unknownJob("bakup")).toBe('No job named "bakup": config.yaml does not list it and no run of it was seen; did you mean "backup"?');
    } finally {
      web.close();
      db.close();
    }
  });
});

describe("stats --job", () => {
  test.each([false, true])("a name that is no job exits 2 with a did-you-mean and prints no report (json %p)", (json) => {
    const config = fixture();
    const io = collected();
    expect(statsCommand(config, NOW, io.output, json, "bakup")).toBe(2);
    expect(io.out).toEqual([]);
    expect(io.err).toEqual(['No job named "bakup": config.yaml does not list it and no run of it was seen; did you mean "backup"?']);
  });

  test("a configured job that never ran stays valid, in state new; a job known only by its runs shows them", () => {
    const config = fixture();
    const io = collected();
    expect(statsCommand(config, NOW, io.output, true, "fresh")).toBe(0);
    expect(statsCommand(config, NOW, io.output, true, "old")).toBe(0);
    expect(io.err).toEqual([]);
    const [fresh, old] = io.out.map((text) => JSON.parse(text) as { jobs: Array<{ name: string; state: string; last_run: string | null }> });
    expect(fresh?.jobs).toMatchObject([{ name: "fresh", state: "new", last_run: null }]);
    expect(old?.jobs).toMatchObject([{ name: "old", state: "failing", last_run: "2025-07-29T04:00:00.000Z" }]);
  });

  test("without a database yet, a configured job is still valid and a typo is still refused", () => {
    const config = { ...fixture(), database: "/nonexistent/cc-known-job/ladder.db" };
    const io = collected();
    expect(statsCommand(config, NOW, io.output, true, "fresh")).toBe(0);
    expect(statsCommand(config, NOW, io.output, true, "bakup")).toBe(2);
    expect(io.err.at(-1)).toBe('No job named "bakup": config.yaml does not list it and no run of it was seen; did you mean "backup"?');
  });
});
