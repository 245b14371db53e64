/** `pause JOB` and `resume JOB`, in process on a real database file. */
import { describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { pauseCommand } from "../src/commands/pause.ts";
import { collected, withRuns } from "./job-fixture.ts";

const NOW = new Date("2025-07-29T06:00:00Z");

function jobRows(database: string): string[] {
  const read = new Database(database, { readonly: true });
  try {
    return read.query<{ name: string }, []>("SELECT name FROM jobs ORDER BY name").all().map((row) => row.name);
  } finally {
    read.close();
  }
}

describe("pauseCommand", () => {
  test.each([
    ["pause", null],
    ["resume", undefined],
  ] as const)("%s of a job neither configured nor seen is refused with exit 2 and a did-you-mean, and leaves no job behind", (_verb, forMs) => {
    const { config } = withRuns();
    const before = jobRows(config.database);
    const io = collected();
    expect(pauseCommand(config, "bakup", forMs, NOW, io.output)).toBe(2);
    expect(io.err).toEqual(['No job named "bakup": config.yaml does not list it and no run of it was seen; did you mean "backup"?']);
    expect(io.out).toEqual([]);
    expect(pauseCommand(config, "nosuchjob", forMs, NOW, io.output)).toBe(2);
    expect(io.err.at(-1)).toBe('No job named "nosuchjob": config.yaml does not list it and no run of it was seen; the known jobs are backup, old');
    expect(jobRows(config.database)).toEqual(before);
  });

  test("a configured job that never ran, a job seen in the log, and the default job can be paused", () => {
    const { config } = withRuns();
    const io = collected();
    const configured = { ...config, jobs: [...config.jobs, { ...config.jobs[0]!, name: "fresh" }] };
    expect(pauseCommand(configured, "fresh", 3_600_000, NOW, io.output)).toBe(0);
    expect(pauseCommand(config, "old", null, NOW, io.output)).toBe(0);
    expect(pauseCommand(config, config.defaultJob, null, NOW, io.output)).toBe(0);
    expect(io.err).toEqual([]);
    expect(io.out[0]).toBe('Alerts for job "fresh" are paused until 2025-07-29T07:00:00.000Z (bun collector.ts resume fresh turns them on).');
  });
});
