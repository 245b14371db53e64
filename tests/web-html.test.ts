/** The pure parts of the dashboard: escaping, links, ordering, strips, formats, routes. */
import { describe, expect, test } from "bun:test";
import type { JobConfig } from "../src/config/jobs.ts";
import type { HistoryRun } from "../src/store/run-history.ts";
import { pauseLength } from "../src/web/api/pause.ts";
import { escapeHtml, html } from "../src/web/html.ts";
import { jobPageUrl, jobRunsUrl, withQuery } from "../src/web/links.ts";
import { headline } from "../src/web/pages/overview.ts";
import { matchRoute, routeTable } from "../src/web/routes.ts";
import { hostAllowed, readCookie } from "../src/web/security.ts";
import { percent, relativeTime } from "../src/web/views/format.ts";
import { formatCursor, parseCursor } from "../src/web/views/run-log.ts";
import { bySeverity } from "../src/web/views/state.ts";
import { stripItems } from "../src/web/views/strip.ts";

describe("html", () => {
  test("every interpolation is escaped, in text and attributes", () => {
    const name = `<img src=x onerror="alert('1')">&\``;
    expect(html`<a title="${name}">${name}</a>`.text).toBe(
      "<a title=\"&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;&#96;\">&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;&#96;</a>",
    );
  });

  test("fragments built by html are not escaped twice; arrays join; null, undefined and booleans vanish", () => {
    const inner = html`<b>${"<i>"}</b>`;
    expect(html`<p>${inner}${[html`<br>`, "&"]}${null}${undefined}${false}${true}${0}</p>`.text).toBe("<p><b>&lt;i&gt;</b><br>&amp;0</p>");
  });

  test("a string that looks like a fragment is still text", () => {
    expect(html`${{ text: "<b>" } as unknown as string}`.text).toBe("[object Object]");
    expect(escapeHtml("<b>")).toBe("&lt;b&gt;");
  });
});

describe("links and routes", () => {
  const routes = routeTable(() => new Response());
  const find = (method: string, path: string) => matchRoute(routes, method, new URL(path, "http://127.0.0.1:1"));

  test.each(["a/b", "..", ".", "../x", "%", "%2F", "a b", '"q"', "<x>", "é/ü", "?#&="])("job %p: page and API URLs lead back to it", (name) => {
    for (const url of [jobPageUrl(name), jobRunsUrl(name)]) {
      const match = find("GET", url);
      expect(match.kind).toBe("found");
      if (match.kind === "found") expect(match.name).toBe(name);
    }
  });

  test("wrong method, unknown path, broken encoding", () => {
    expect(find("GET", "/api/jobs/x/pause")).toEqual({ kind: "wrong-method", allowed: "POST" });
    expect(find("DELETE", "/")).toEqual({ kind: "wrong-method", allowed: "GET" });
    expect(find("GET", "/jobs/")).toEqual({ kind: "not-found" });
    expect(find("GET", "/jobs/a/b")).toEqual({ kind: "not-found" });
    expect(find("GET", "/jobs/%E0%A4%A")).toEqual({ kind: "bad-path" });
  });

  test("withQuery adds to an existing query and skips empty values", () => {
    expect(withQuery("/jobs/_?name=..", { before: "1.2", job: undefined, q: "" })).toBe("/jobs/_?name=..&before=1.2");
    expect(withQuery("/alerts", {})).toBe("/alerts");
  });

  test.each([
    ["127.0.0.1:8765", true],
    ["localhost:8765", true],
    ["[::1]:8765", true],
    ["dash:8765", true],
    ["dash:8766", false],
    ["127.0.0.1.evil.example:8765", false],
    [null, false],
  ])("Host %p allowed: %p", (host, allowed) => {
    expect(hostAllowed(host, 8765, ["dash"])).toBe(allowed);
  });

  test("readCookie picks the named cookie", () => {
    expect(readCookie("a=1; cron_collector_1=tok; b=2", "cron_collector_1")).toBe("tok");
    expect(readCookie(null, "x")).toBeNull();
  });
});

describe("overview order and headline", () => {
  test("most severe first, then by name; unknown states last", () => {
    const jobs = ["up:b", "new:a", "paused:c", "running:d", "too_long:e", "late:f", "failing:g", "up:a", "weird:z", "unknown:y"].map((entry) => {
      const [state = "", name = ""] = entry.split(":");
      return { state, name };
    });
    expect(bySeverity(jobs).map((job) => `${job.state}:${job.name}`)).toEqual([
      "failing:g", "late:f", "too_long:e", "running:d", "up:a", "up:b", "paused:c", "new:a", "unknown:y", "weird:z",
    ]);
  });

  test.each([
    [[], "No jobs yet"],
    [["up"], "All 1 job OK"],
    [["up", "paused", "new"], "All 3 jobs OK"],
    [["failing", "up"], "1 of 2 jobs need attention"],
    [["failing", "late", "too_long", "up"], "3 of 4 jobs need attention"],
  ])("%p → %s", (states, text) => {
    expect(headline(states.map((state) => ({ state })))).toBe(text);
  });
});

describe("run strip", () => {
  const hour = 3_600_000;
  const at = (hours: number, exit = 0): HistoryRun => ({ id: hours, ts: new Date(hours * hour).toISOString(), epochMs: hours * hour, exit, msg: "", durationMs: null, extra: null });
  const hourly: JobConfig = { name: "j", schedule: { kind: "every", periodMs: hour }, graceMs: 5 * 60_000, maxDurationMs: null, alertAfter: 1, remindEveryMs: null };

  test("a missed period between runs and an overdue one now are gaps; on time is not", () => {
    const items = stripItems([at(5), at(3, 1), at(2), at(1)], hourly, 7 * hour);
    expect(items.map((item) => (item.kind === "run" ? `run${item.run.exit}` : "missed"))).toEqual(["run0", "run0", "run1", "missed", "run0", "missed"]);
  });

  test("without a schedule there are no gaps, and at most 50 cells", () => {
    const many = Array.from({ length: 80 }, (_, index) => at(80 - index));
    const items = stripItems(many, { ...hourly, schedule: null }, 1000 * hour);
    expect(items).toHaveLength(50);
    expect(items.every((item) => item.kind === "run")).toBe(true);
  });
});

describe("small formats", () => {
  test.each([
    [{}, { ok: true, forMs: null }],
    [{ for: null }, { ok: true, forMs: null }],
    [{ for: "2h" }, { ok: true, forMs: 7_200_000 }],
    [{ for: 90 }, { ok: true, forMs: 90_000 }],
  ])("pause body %p", (body, expected) => {
    expect(pauseLength(body)).toEqual(expected as ReturnType<typeof pauseLength>);
  });

  test.each([[{ for: "0s" }], [{ for: "400d" }], [null], ["2h"]])("pause body %p is refused", (body) => {
    expect(pauseLength(body).ok).toBe(false);
  });

  test("cursors round-trip; junk is invalid", () => {
    expect(parseCursor(formatCursor({ epochMs: 1753790400000, id: 42 }))).toEqual({ epochMs: 1753790400000, id: 42 });
    expect(parseCursor(null)).toBeNull();
    expect(parseCursor("1;DROP")).toBe("invalid");
  });

  test("relative times and percentages", () => {
    const now = Date.parse("2025-07-29T12:00:00Z");
    expect(relativeTime("2025-07-29T11:57:00Z", now)).toBe("3 min ago");
    expect(relativeTime("2025-07-29T12:05:00Z", now)).toBe("in 5 min");
    expect(relativeTime("2025-07-27T12:00:00Z", now)).toBe("2 d ago");
    expect(relativeTime(null, now)).toBe("never");
    expect(relativeTime("2025-07-29T12:00:00Z", now)).toBe("now");
    expect([percent(null), percent(100), percent(0), percent(66.666)]).toEqual(["–", "100%", "0%", "66.7%"]);
  });
});
