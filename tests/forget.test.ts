/** `forget JOB [--runs]`, in process on a real database file. */
import { describe, expect, test } from "bun:test";
import { forgetCommand } from "../src/commands/forget.ts";
import { collected, withRuns } from "./job-fixture.ts";

describe("forgetCommand", () => {
  test("removes the job's state and start markers; its runs stay unless --runs", () => {
    const { config, count } = withRuns();
    const io = collected();
    expect(forgetCommand(config, "old", { runs: false }, new Date("2025-07-29T06:00:00Z"), io.output)).toBe(0);
    expect(io.out).toEqual(['Forgot job "old" as of 2025-07-29T06:00:00.000Z; its runs stay (add --runs to delete them too).']);
    expect(count("SELECT COUNT(*) AS n FROM jobs WHERE name = 'old'")).toBe(0);
    expect(count("SELECT COUNT(*) AS n FROM run_starts")).toBe(0);
    expect(count("SELECT COUNT(*) AS n FROM cron_entries")).toBe(2);
    expect(forgetCommand(config, "backup", { runs: true }, new Date("2025-07-29T06:00:00Z"), io.output)).toBe(0);
    expect(io.out.at(-1)).toBe('Forgot job "backup" as of 2025-07-29T06:00:00.000Z; 1 run(s) deleted.');
    expect(io.err).toEqual(['Note: config.yaml still lists "backup": the collector watches it again as a new job.']);
    expect(count("SELECT COUNT(*) AS n FROM cron_entries")).toBe(1);
  });

  test("an unknown job is said so with a did-you-mean and exit 2; a known job with nothing stored, with exit 1", () => {
    const { config } = withRuns();
    const io = collected();
    expect(forgetCommand(config, "bakup", { runs: false }, new Date(), io.output)).toBe(2);
    expect(io.err).toEqual(['No job named "bakup": config.yaml does not list it and no run of it was seen; did you mean "backup"?; nothing to forget.']);
    expect(forgetCommand(config, "old", { runs: false }, new Date(), io.output)).toBe(0);
    expect(forgetCommand(config, "old", { runs: false }, new Date(), io.output)).toBe(1);
    expect(io.err.at(-1)).toBe('No state of job "old" is stored, only its runs (add --runs to delete them); nothing to forget.');
  });
});
