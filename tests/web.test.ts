/** The dashboard server in-process: routes, pages, JSON API, pause/resume, live events. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Output } from "../src/cli/io.ts";
import { statsCommand } from "../src/commands/stats.ts";
import { escapeHtml } from "../src/web/html.ts";
import { jobPageUrl, jobRunsUrl, pauseUrl, resumeUrl } from "../src/web/links.ts";
import { waitFor } from "./helpers.ts";
import { NOW, run, startFixture, type WebFixture } from "./web-fixture.ts";

const HOSTILE_JOB = "<img src=x onerror=alert(1)>";
const HOSTILE_MSG = "<script>alert(1)</script>";
const ODD_NAMES = ["a/b", "..", ".", "../etc/passwd", "100%", "%2F", 'say "hi"', "it's", "<b>bold</b>", "spaced name", "ünï/cødé"];

let f: WebFixture;

function captured(): Output & { text: string } {
  const output = { text: "", color: false, out: (text: string) => void (output.text += text), err: () => {} };
  return output;
}

beforeAll(async () => {
  f = await startFixture("jobs:\n  backup: { every: 1h, grace: 5m }\n  nightly: { cron: \"0 3 * * *\" }\n", [
    run("backup", 200),
    run("backup", 130),
    run("backup", 70, 1, { output_tail: "disk full\n<b>tail</b>" }),
    run("api", 30, 0, { duration_ms: 1500 }),
    run("api", 20, 0, { duration_ms: 2500 }),
    run("api", 10, 0, { duration_ms: 2000 }),
    run(null, 5, 0),
    run(HOSTILE_JOB, 2, 1, { msg: HOSTILE_MSG }),
    ...ODD_NAMES.map((name, index) => run(name, 40 + index, 0)),
  ]);
  await f.deliver();
});

afterAll(async () => {
  await f.close();
});

describe("routes", () => {
  test.each([
    ["/", 200, "text/html"],
    ["/jobs/backup", 200, "text/html"],
    ["/alerts", 200, "text/html"],
    ["/api/stats", 200, "application/json"],
    ["/api/stats?job=api", 200, "application/json"],
    ["/api/jobs/backup/runs", 200, "application/json"],
    ["/api/alerts", 200, "application/json"],
    ["/api/rejects", 200, "application/json"],
    ["/healthz", 200, "application/json"],
    ["/static/app.js", 200, "text/javascript"],
    ["/static/style.css", 200, "text/css"],
    ["/static/nope.js", 404, "text/plain"],
    ["/jobs/never-ran", 404, "text/html"],
    ["/api/jobs/never-ran/runs", 404, "application/json"],
    ["/nowhere", 404, "text/plain"],
    ["/jobs/%E0%A4%A", 400, "text/plain"],
  ])("GET %s → %d", async (path, status, type) => {
    const response = await f.get(path);
    expect(response.status).toBe(status);
    expect(response.headers.get("content-type")).toContain(type);
  });

  test("state changes are POST only, reads are GET only", async () => {
    expect((await f.get("/api/jobs/backup/pause")).status).toBe(405);
    expect((await f.get("/api/stats", { method: "POST" })).status).toBe(405);
  });
});

describe("overview", () => {
  test("headline, severity order and run strips", async () => {
    const page = await (await f.get("/")).text();
    // The hostile job failed; backup failed too but is late now (late wins); the rest are up or new.
    expect(page).toContain("2 of 16 jobs need attention");
    expect(page).toContain("🔴");
    expect(page).toContain("favicon-alarm.svg");
    const order = [...page.matchAll(/<tr class="job s-(\w+)"/g)].map((match) => match[1]);
    expect(order.slice(0, 2)).toEqual(["failing", "late"]);
    expect(new Set(order.slice(2))).toEqual(new Set(["up", "new"]));
    expect(order.at(-1)).toBe("new"); // nightly: configured, never ran
    // backup's strip: 3 runs and the hour nobody ran in between, plus the overdue one now.
    const backupRow = page.slice(page.indexOf('data-name="backup"'));
    const strip = backupRow.slice(backupRow.indexOf("<svg"), backupRow.indexOf("</svg>"));
    expect([...strip.matchAll(/class="cell (\w+)"/g)].map((match) => match[1])).toEqual(["ok", "missed", "ok", "fail", "missed"]);
    // Late: its next expected run is the one it missed, shown as overdue, never "in 6 s".
    const backupCells = backupRow.slice(0, backupRow.indexOf("</tr>"));
    expect(backupCells).toContain('<span class="overdue">overdue since <time');
    expect(backupCells).not.toMatch(/>in \d/);
    const jobPage = await (await f.get(jobPageUrl("backup"))).text();
    expect(jobPage).toMatch(/<dt>Next expected<\/dt><dd>overdue since [^<]* ago · /);
  });

  test("?state= and ?q= filter on the server, for pages without script", async () => {
    const failing = await (await f.get("/?state=failing")).text();
    expect([...failing.matchAll(/<tr class="job s-(\w+)"/g)].map((match) => match[1])).toEqual(["failing"]);
    const named = await (await f.get("/?q=BACK")).text();
    expect([...named.matchAll(/data-name="([^"]*)"/g)].map((match) => match[1])).toEqual(["backup"]);
  });
});

describe("escaping", () => {
  test("a hostile job name and message never reach a page as markup", async () => {
    for (const path of ["/", jobPageUrl(HOSTILE_JOB), "/alerts"]) {
      const page = await (await f.get(path)).text();
      expect(page).not.toContain("<img src=x");
      expect(page).not.toContain("<script>alert");
      expect(page).toContain("&lt;img src=x onerror=alert(1)&gt;");
    }
    const job = await (await f.get(jobPageUrl(HOSTILE_JOB))).text();
    expect(job).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    const tail = await (await f.get(jobPageUrl("backup"))).text();
    expect(tail).toContain("disk full\n&lt;b&gt;tail&lt;/b&gt;");
  });

  test.each(ODD_NAMES)("the job %p round-trips through its page and API URLs", async (name) => {
    const page = await f.get(jobPageUrl(name));
    expect(page.status).toBe(200);
    const text = await page.text();
    expect(text).toContain(`<span class="job-name">${escapeHtml(name)}</span>`);
    const runs = (await (await f.get(jobRunsUrl(name))).json()) as { job: string; runs: unknown[] };
    expect(runs.job).toBe(name);
    expect(runs.runs).toHaveLength(1);
  });
});

describe("JSON API", () => {
  test("/api/stats is the --stats --json document, also with ?job=", async () => {
    for (const job of [undefined, "backup", HOSTILE_JOB]) {
      const cli = captured();
      expect(statsCommand(f.config, NOW, cli, true, job)).toBe(0);
      const api = await (await f.get(job === undefined ? "/api/stats" : `/api/stats?job=${encodeURIComponent(job)}`)).json();
      expect(api).toEqual(JSON.parse(cli.text));
    }
  });

  test("/api/stats?job= with a name that is no job is a 404 with the CLI's did-you-mean; a configured job that never ran is state new", async () => {
    const cli = { ...captured(), errors: [] as string[] };
    cli.err = (text: string) => void cli.errors.push(text);
    expect(statsCommand(f.config, NOW, cli, true, "bakup")).toBe(2);
    const response = await f.get("/api/stats?job=bakup");
    expect(response.status).toBe(404);
    const { error } = (await response.json()) as { error: string };
    expect(error).toContain('did you mean "backup"?');
    expect([error]).toEqual(cli.errors);
    expect((await f.get("/api/stats?job=nope")).status).toBe(404);

    const fresh = captured();
    expect(statsCommand(f.config, NOW, fresh, true, "nightly")).toBe(0);
    const configured = await f.get("/api/stats?job=nightly");
    expect(configured.status).toBe(200);
    const document = (await configured.json()) as { jobs: Array<{ name: string; state: string }> };
    expect(document).toEqual(JSON.parse(fresh.text));
    expect(document.jobs).toMatchObject([{ name: "nightly", state: "new" }]);
  });

  test("pages and documents drawn from a stats document go gzipped to a client that accepts it, plain otherwise", async () => {
    for (const path of ["/api/stats", "/", "/jobs/backup"]) {
      const plain = await f.get(path, { headers: { "accept-encoding": "identity" } });
      expect(plain.headers.get("content-encoding")).toBeNull();
      const text = await plain.text();
      // Bun's fetch inflates on its own unless told not to (an option its types do not list).
      const raw: RequestInit = Object.assign({ headers: { "accept-encoding": "gzip, deflate" } }, { decompress: false });
      const zipped = await f.get(path, raw);
      expect(zipped.headers.get("content-encoding")).toBe("gzip");
      expect(zipped.headers.get("vary")).toBe("Accept-Encoding");
      const bytes = new Uint8Array(await zipped.arrayBuffer());
      expect(bytes.byteLength).toBeLessThan(text.length);
      expect(new TextDecoder().decode(Bun.gunzipSync(bytes))).toBe(text);
    }
  });

  test("runs page newest first with a cursor", async () => {
    const first = (await (await f.get("/api/jobs/api/runs?limit=2")).json()) as { runs: Array<{ msg: string; duration_ms: number }>; next_before: string };
    expect(first.runs.map((entry) => entry.msg)).toEqual(["api ok 10", "api ok 20"]);
    expect(first.runs[0]?.duration_ms).toBe(2000);
    const second = (await (await f.get(`/api/jobs/api/runs?limit=2&before=${first.next_before}`)).json()) as { runs: Array<{ msg: string }>; next_before: string | null };
    expect(second.runs.map((entry) => entry.msg)).toEqual(["api ok 30"]);
    expect(second.next_before).toBeNull();
    expect((await f.get("/api/jobs/api/runs?before=nonsense")).status).toBe(400);
  });

  test("the default job owns the runs without a job field", async () => {
    const runs = (await (await f.get("/api/jobs/ladder/runs")).json()) as { runs: Array<{ msg: string }> };
    expect(runs.runs.map((entry) => entry.msg)).toEqual(["default ok 5"]);
  });

  test("alerts newest first, with what each backend did", async () => {
    const body = (await (await f.get("/api/alerts")).json()) as { alerts: Array<{ id: number; job: string; status: string; deliveries: unknown[] }> };
    const ids = body.alerts.map((alert) => alert.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    const hostile = body.alerts.find((alert) => alert.job === HOSTILE_JOB);
    expect(hostile?.deliveries).toEqual([{ backend: "none", status: "logged", attempts: 1, error: null }]);
    const page = await (await f.get("/alerts")).text();
    expect(page).toContain('none: <span class="st-logged">logged</span>');
  });

  test("/healthz answers without a token", async () => {
    const response = await f.get("/healthz", { auth: false });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: "ok", pid: process.pid });
  });
});

async function csrfHeaders(): Promise<Record<string, string>> {
  const page = await (await f.get("/")).text();
  const csrf = /<meta name="csrf-token" content="([0-9a-f]+)">/.exec(page)?.[1] ?? "";
  return { "content-type": "application/json", origin: `http://127.0.0.1:${f.server.port}`, "x-csrf-token": csrf, cookie: `cron_collector_${f.server.port}=${f.token}` };
}

describe("pause and resume over HTTP", () => {
  test("pause for 2h, then resume: the same state as the CLI commands", async () => {
    const headers = await csrfHeaders();
    const paused = await f.get(pauseUrl("api"), { method: "POST", headers, body: JSON.stringify({ for: "2h" }), auth: false });
    expect(paused.status).toBe(200);
    expect(await paused.json()).toEqual({ job: "api", paused: true, paused_until: "2025-07-29T14:00:00.000Z" });
    const stats = (await (await f.get("/api/stats?job=api")).json()) as { jobs: Array<{ state: string; paused_until: string }> };
    expect(stats.jobs[0]).toMatchObject({ state: "paused", paused_until: "2025-07-29T14:00:00.000Z" });

    const open = await f.get(pauseUrl("api"), { method: "POST", headers, body: "{}", auth: false });
    expect(await open.json()).toEqual({ job: "api", paused: true, paused_until: null });

    const resumed = await f.get(resumeUrl("api"), { method: "POST", headers, body: "{}", auth: false });
    expect(await resumed.json()).toEqual({ job: "api", paused: false, paused_until: null });
    const after = (await (await f.get("/api/stats?job=api")).json()) as { jobs: Array<{ state: string }> };
    expect(after.jobs[0]?.state).toBe("up");
  });

  test.each([
    ["pause", pauseUrl],
    ["resume", resumeUrl],
  ] as const)("%s of a name that is no job is a 404 with the CLI's did-you-mean and creates no job", async (_verb, url) => {
    const headers = await csrfHeaders();
    const response = await f.get(url("bakup"), { method: "POST", headers, body: "{}", auth: false });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'No job named "bakup": config.yaml does not list it and no run of it was seen; did you mean "backup"?' });
    const stats = (await (await f.get("/api/stats")).json()) as { jobs: Array<{ name: string }> };
    expect(stats.jobs.map((job) => job.name)).not.toContain("bakup");
    expect((await f.get(jobPageUrl("bakup"))).status).toBe(404);
  });

  test("a configured job that never ran can be paused and resumed", async () => {
    const headers = await csrfHeaders();
    const paused = await f.get(pauseUrl("nightly"), { method: "POST", headers, body: "{}", auth: false });
    expect(await paused.json()).toEqual({ job: "nightly", paused: true, paused_until: null });
    const resumed = await f.get(resumeUrl("nightly"), { method: "POST", headers, body: "{}", auth: false });
    expect(resumed.status).toBe(200);
  });

  test.each([
    [{ for: "soon" }, '"for" must be a duration'],
    [{ for: -5 }, '"for" must be a duration'],
    [[1, 2], "JSON object"],
    ["not json", "JSON object"],
  ])("a bad body %p is a 400 with a reason", async (body, reason) => {
    const response = await f.get(pauseUrl("api"), { method: "POST", headers: await csrfHeaders(), body: typeof body === "string" ? body : JSON.stringify(body), auth: false });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toContain(reason);
  });
});

/** Reads an event stream in the background; resolves once its `hello` arrived. */
async function listen(response: Response): Promise<{ text(): string; stop(): Promise<void> }> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  let received = "";
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      received += new TextDecoder().decode(value);
    }
  })();
  await waitFor(() => received.includes("event: hello"), 2000, "hello");
  return {
    text: () => received,
    async stop() {
      await reader.cancel();
      await pump.catch(() => {});
    },
  };
}

describe("live events", () => {
  test("a page refetching on a change sees the commit it announces (documents are reused for a moment across commits)", async () => {
    const response = await f.get("/api/events");
    const events = await listen(response);
    const stats = async (): Promise<{ total_entries: number; jobs: Array<{ name: string; state: string }> }> => (await f.get("/api/stats")).json() as never;
    const before = await stats(); // a document computed just before the commit
    const appended = Date.now();
    f.ingest([run("fresh-job", 1, 1)]);
    await waitFor(() => events.text().includes("event: change"), 1000, "change event");
    expect(Date.now() - appended).toBeLessThan(1000);
    const after = await stats();
    expect(after.total_entries).toBe(before.total_entries + 1);
    expect(after.jobs.find((job) => job.name === "fresh-job")?.state).toBe("failing");
    await events.stop();
  });

  test("an appended line reaches a listening page within a second", async () => {
    const response = await f.get("/api/events");
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const events = await listen(response);
    const appended = Date.now();
    f.ingest([run("api", 1, 1)]);
    await waitFor(() => events.text().includes("event: change"), 1000, "change event");
    expect(Date.now() - appended).toBeLessThan(1000);
    await events.stop();
    // The subscriber is gone once the client is: nothing keeps polling for nobody.
    let clients = -1;
    for (let i = 0; i < 100 && clients !== 0; i++) {
      clients = ((await (await f.get("/healthz")).json()) as { live_clients: number }).live_clients;
      if (clients !== 0) await Bun.sleep(10);
    }
    expect(clients).toBe(0);
  });
});
