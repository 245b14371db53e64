import { describe, expect, test } from "bun:test";
import { describeCounts, failuresIn, summaryAlert } from "../src/alerts/summary.ts";
import type { FoldDigest } from "../src/records.ts";

const digest = (over: Partial<FoldDigest>): FoldDigest => ({ counts: [], lastProblem: null, upAgain: [], newestMs: 0, ...over });

describe("summaryAlert", () => {
  test("names what it folds, in a fixed order", () => {
    expect(describeCounts([{ kind: "recovery", count: 1 }, { kind: "late", count: 2 }, { kind: "failure", count: 3 }])).toBe("3 failures, 2 late jobs, 1 recovery");
    expect(describeCounts([{ kind: "long", count: 1 }])).toBe("1 overlong run");
  });

  test("a burst with a recovery names the last failure, not the success, and says who is up again", () => {
    const text = summaryAlert(
      digest({
        counts: [{ kind: "failure", count: 46 }, { kind: "recovery", count: 1 }],
        lastProblem: { kind: "failure", job: "a", exitCode: 2, eventMs: Date.UTC(2025, 0, 2), message: "Exit code 2: y" },
        upAgain: ["a"],
        newestMs: Date.UTC(2025, 0, 3),
      }),
      "burst",
      "webhook",
      "Basso",
    );
    expect(text.message).toBe("46 failures, 1 recovery in a burst; last failure: a at 2025-01-02T00:00:00.000Z, Exit code 2: y; up again: a");
    expect(text.title).toBe("🚨 Cron Job Failures");
  });

  test("only late jobs: no word of failures", () => {
    const text = summaryAlert(
      digest({ counts: [{ kind: "late", count: 3 }], lastProblem: { kind: "late", job: "b", exitCode: null, eventMs: 0, message: "Expected at …" } }),
      "burst",
      "auto",
      "Basso",
    );
    expect(text.message).toBe("3 late jobs in a burst; last late job: b at 1970-01-01T00:00:00.000Z, Expected at …");
    expect(text.title).not.toContain("Failure");
  });

  test.each([
    ["backlog", "older than notify.max_age when read"],
    ["expired", "not delivered within notify.max_age"],
    ["outage", "held back while webhook was failing"],
  ] as const)("a %s summary says why: %s", (reason, why) => {
    const text = summaryAlert(digest({ counts: [{ kind: "failure", count: 2 }] }), reason, "webhook", "Basso");
    expect(text.message).toBe(`2 failures ${why}`);
    expect(text.message).not.toContain("collector was not running");
  });

  test("recoveries only: no sound, a recovered title, and at most three names", () => {
    const text = summaryAlert(digest({ counts: [{ kind: "recovery", count: 4 }], upAgain: ["a", "b", "c", "d"] }), "burst", "auto", "Basso");
    expect(text.message).toBe("4 recoveries in a burst; up again: a, b, c, …");
    expect(text.sound).toBeNull();
    expect(text.title).toBe("✅ Cron Jobs Recovered");
    expect(failuresIn({ counts: [{ kind: "recovery", count: 4 }] })).toBe(0);
  });
});
