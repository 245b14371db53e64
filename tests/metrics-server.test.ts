import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseConfig } from "../src/config/load.ts";
import { CONTENT_TYPE } from "../src/metrics/exposition.ts";
import { startExporters } from "../src/metrics/exporters.ts";
import { startMetricsPublisher } from "../src/metrics/publisher.ts";
import { startMetricsServer, tokenMatches, type MetricsServer } from "../src/metrics/server.ts";
import { createLogger } from "../src/logger.ts";
import { filledFixture } from "./fixtures/metrics-fixture.ts";
import { tempDir, waitFor } from "./helpers.ts";

const stops: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

function serve(token: string | null, text: string | null = "up 1\n"): MetricsServer {
  const server = startMetricsServer({ hostname: "127.0.0.1", port: 0, token, text: () => text });
  stops.push(() => server.stop());
  return server;
}

const silent = createLogger("error", []);

describe("the listener", () => {
  test("GET /metrics answers the text with exactly the exposition Content-Type", async () => {
    const server = serve(null, "x 1\n");
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe(CONTENT_TYPE);
    expect(await response.text()).toBe("x 1\n");
  });

  test("a scraper that accepts gzip (Prometheus does) gets the same text compressed", async () => {
    const text = "cron_job_up{cronjob=\"a\"} 1\n".repeat(1000);
    const server = serve(null, text);
    const response = await fetch(`${server.url}/metrics`, { headers: { "Accept-Encoding": "gzip" }, decompress: false });
    expect(response.headers.get("content-encoding")).toBe("gzip");
    expect(response.headers.get("content-type")).toBe(CONTENT_TYPE);
    const bytes = new Uint8Array(await response.arrayBuffer());
    expect(bytes.length).toBeLessThan(text.length / 10);
    expect(new TextDecoder().decode(Bun.gunzipSync(bytes))).toBe(text);
  });

  test.each([
    ["/", "GET", 404],
    ["/metrics/", "GET", 404],
    ["/api/stats", "GET", 404],
    ["/metrics", "POST", 405],
    ["/metrics", "DELETE", 405],
  ])("%s with %s is %d", async (path, method, status) => {
    const server = serve(null);
    const response = await fetch(`${server.url}${path}`, { method });
    expect(response.status).toBe(status);
    if (status === 405) expect(response.headers.get("allow")).toBe("GET");
  });

  test("with a token, a scrape without it or with another one is refused; with it, served", async () => {
    const server = serve("s3cret-token");
    const url = `${server.url}/metrics`;
    const without = await fetch(url);
    expect(without.status).toBe(401);
    expect(without.headers.get("www-authenticate")).toContain("Bearer");
    expect((await fetch(url, { headers: { Authorization: "Bearer wrong" } })).status).toBe(401);
    expect((await fetch(url, { headers: { Authorization: "Basic s3cret-token" } })).status).toBe(401);
    expect((await fetch(url, { headers: { Authorization: "Bearer s3cret-token-and-more" } })).status).toBe(401);
    const ok = await fetch(url, { headers: { Authorization: "Bearer s3cret-token" } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe("up 1\n");
  });

  test.each([
    ["Bearer abc", true],
    ["bearer abc", true],
    ["Bearer abc ", true],
    ["Bearer ab", false],
    ["Bearer  ", false],
    ["abc", false],
  ])("token header %j matches %p", (header, matches) => {
    expect(tokenMatches(header, "abc")).toBe(matches);
  });

  test("on a loopback address, a foreign Host header (DNS rebinding) is refused", async () => {
    const server = serve(null);
    const evil = await fetch(`${server.url}/metrics`, { headers: { Host: "evil.example:9464" } });
    expect(evil.status).toBe(403);
    const local = await fetch(`${server.url}/metrics`, { headers: { Host: `localhost:${server.port}` } });
    expect(local.status).toBe(200);
  });

  test("before the first rendering it answers 503, not an empty exposition", async () => {
    const server = serve(null, null);
    expect((await fetch(`${server.url}/metrics`)).status).toBe(503);
  });

  test("an address in use is a clear error naming the setting", () => {
    const server = serve(null);
    expect(() => startMetricsServer({ hostname: "127.0.0.1", port: server.port, token: null, text: () => "" })).toThrow(/metrics\.listen/);
  });
});

describe("the publisher", () => {
  test("serves and writes to the textfile what it rendered, and renders again on refresh", async () => {
    const dir = tempDir("cc-metrics-pub-");
    const textfile = join(dir, "cron.prom");
    const tokenFile = join(dir, "token");
    writeFileSync(tokenFile, "tok\n");
    let renders = 0;
    const publisher = startMetricsPublisher({
      config: { listen: { hostname: "127.0.0.1", port: 0 }, tokenFile, textfile },
      intervalMs: 60_000,
      render: () => `renders ${++renders}\n`,
      log: silent,
    });
    stops.push(() => publisher.stop());
    const scrape = async (): Promise<string> => (await fetch(`${publisher.url}/metrics`, { headers: { Authorization: "Bearer tok" } })).text();
    await waitFor(() => existsSync(textfile), 2000, "the first rendering");
    expect(await scrape()).toBe("renders 1\n");
    expect(await scrape()).toBe("renders 1\n"); // a scrape does not render
    expect(readFileSync(textfile, "utf8")).toBe("renders 1\n");
    expect(statSync(textfile).mode & 0o777).toBe(0o644);
    publisher.refresh();
    expect(await scrape()).toBe("renders 2\n");
    expect(readFileSync(textfile, "utf8")).toBe("renders 2\n");
  });

  test("a failed rendering keeps the last good text and is logged once", () => {
    const lines: string[] = [];
    let fail = false;
    const publisher = startMetricsPublisher({
      config: { listen: null, tokenFile: null, textfile: join(tempDir("cc-metrics-pub-"), "m.prom") },
      intervalMs: 60_000,
      render: () => {
        if (fail) throw new Error("database is locked");
        return "good 1\n";
      },
      log: createLogger("info", [(line) => lines.push(line)]),
    });
    stops.push(() => publisher.stop());
    publisher.refresh();
    fail = true;
    publisher.refresh();
    publisher.refresh();
    expect(lines.filter((line) => line.includes("database is locked"))).toHaveLength(1);
    fail = false;
    publisher.refresh();
    expect(lines.filter((line) => line.includes("works again"))).toHaveLength(1);
  });

  test("a missing token file stops the start with a config error", () => {
    expect(() =>
      startMetricsPublisher({
        config: { listen: { hostname: "127.0.0.1", port: 0 }, tokenFile: "/nonexistent/token", textfile: null },
        intervalMs: 60_000,
        render: () => "",
        log: silent,
      }),
    ).toThrow(/metrics\.token_file/);
  });
});

test("the daemon's exporters serve the fixture database's metrics", async () => {
  const fixture = filledFixture(tempDir("cc-metrics-exp-"));
  stops.push(() => fixture.close());
  const config = { ...fixture.config, metrics: { listen: { hostname: "127.0.0.1", port: 0 }, tokenFile: null, textfile: null } };
  const exporters = startExporters(fixture.session, config, silent, () => new Date("2025-07-29T06:00:00Z"), () => null);
  stops.push(() => exporters.stop());
  let response = await fetch(`${exporters.metrics?.url}/metrics`);
  for (const deadline = Date.now() + 2000; response.status === 503 && Date.now() < deadline; await Bun.sleep(10)) {
    response = await fetch(`${exporters.metrics?.url}/metrics`);
  }
  const text = await response.text();
  expect(text).toContain('cron_job_state{cronjob="backup",state="failing"} 1\n');
  expect(text).toContain(`cron_collector_build_info{version="`);
  expect(exporters.heartbeat).toBeNull();
});

describe("config", () => {
  const read = (text: string) => parseConfig(text, "config.yaml", { home: "/home/u", baseDir: "/etc/cc" });

  test("metrics and the heartbeat are off by default", () => {
    const { config, problems } = read("");
    expect(problems).toEqual([]);
    expect(config.metrics).toEqual({ listen: null, tokenFile: null, textfile: null });
    expect(config.heartbeat).toEqual({ url: null, intervalMs: 300_000 });
  });

  test("every key is read, paths expanded", () => {
    const { config, problems } = read(`
metrics: { listen: "0.0.0.0:9464", token_file: ~/.cron_dash/metrics.token, textfile: prom/cron.prom }
heartbeat: { url: "https://hc-ping.com/abc", interval: 1m }
`);
    expect(problems).toEqual([]);
    expect(config.metrics).toEqual({ listen: { hostname: "0.0.0.0", port: 9464 }, tokenFile: "/home/u/.cron_dash/metrics.token", textfile: "/etc/cc/prom/cron.prom" });
    expect(config.heartbeat).toEqual({ url: "https://hc-ping.com/abc", intervalMs: 60_000 });
    expect(read('metrics: { listen: "[::1]:9464" }').config.metrics.listen).toEqual({ hostname: "::1", port: 9464 });
  });

  test.each([
    ["metrics: { listen: 9464 }", /"metrics.listen" must be HOST:PORT/],
    ['metrics: { listen: "localhost" }', /"metrics.listen" must be HOST:PORT/],
    ['metrics: { listen: "127.0.0.1:99999" }', /"metrics.listen" must be HOST:PORT/],
    ["metrics: { textfile: /tmp/cron.txt }", /must end in \.prom/],
    ["metrics: { token_file: /tmp/t }", /no listener to protect/],
    ["metrics: { listn: x }", /unknown key "metrics.listn"; did you mean "listen"/],
    ['heartbeat: { url: "ftp://x" }', /"heartbeat.url" must be an http\(s\) URL/],
    ['heartbeat: { url: "https://x", interval: 1s }', /"heartbeat.interval" must be/],
  ])("%s is refused", (text, message) => {
    expect(read(text).problems.map((problem) => problem.message).join("\n")).toMatch(message);
  });
});
