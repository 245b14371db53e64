/** The dashboard's defences: access token, Host check (DNS rebinding), CSRF, headers, busy port. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseConfig } from "../src/config/load.ts";
import { createLogger } from "../src/logger.ts";
import { openDatabase } from "../src/store/database.ts";
import { pauseUrl } from "../src/web/links.ts";
import { startWebServer } from "../src/web/server.ts";
import { tempDir } from "./helpers.ts";
import { run, startFixture, type WebFixture } from "./web-fixture.ts";

let f: WebFixture;
let origin: string;

beforeAll(async () => {
  f = await startFixture("web: { listen: 127.0.0.1:0, allowed_hosts: [dash.example.lan] }\n", [run("api", 10, 0)]);
  origin = `http://127.0.0.1:${f.server.port}`;
});

afterAll(async () => {
  await f.close();
});

const cookie = (): string => `cron_collector_${f.server.port}=${f.token}`;

describe("access token", () => {
  test("the token file is private and holds a long random token", () => {
    expect(f.token).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(join(f.dir, "db", "web-token")).mode & 0o777).toBe(0o600);
  });

  test("without a token: 401, and the page says how to get in", async () => {
    const page = await f.get("/", { auth: false });
    expect(page.status).toBe(401);
    const text = await page.text();
    expect(text).toContain("bun collector.ts open");
    expect(text).not.toContain(f.token ?? "-");
    const api = await f.get("/api/stats", { auth: false });
    expect(api.status).toBe(401);
    expect(((await api.json()) as { error: string }).error).toContain("Bearer");
  });

  test.each([
    ["a wrong bearer", { authorization: "Bearer 0123456789abcdef0123456789abcdef" }],
    ["a wrong cookie", { cookie: "cron_collector_1=nope" }],
    ["a bearer of another scheme", { authorization: "Basic Zm9vOmJhcg==" }],
  ])("%s: 401", async (_label, headers) => {
    expect((await f.get("/api/stats", { headers, auth: false })).status).toBe(401);
  });

  test("?token= sets an HttpOnly SameSite=Strict cookie and redirects to the bare URL", async () => {
    const response = await f.get(`/jobs/api?token=${f.token}&before=`, { auth: false });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/jobs/api?before=");
    const setCookie = response.headers.get("set-cookie") ?? "";
    expect(setCookie).toContain(cookie());
    expect(setCookie).toContain("HttpOnly");
    expect(setCookie).toContain("SameSite=Strict");
    expect((await f.get("/", { auth: false, headers: { cookie: cookie() } })).status).toBe(200);
  });

  test("a wrong ?token= is a 401 that says so", async () => {
    const response = await f.get("/?token=wrong", { auth: false });
    expect(response.status).toBe(401);
    expect(await response.text()).toContain("not this collector");
  });

  test("Authorization: Bearer works for scripts", async () => {
    expect((await f.get("/api/stats")).status).toBe(200);
  });
});

describe("Host check", () => {
  test.each([
    ["evil.example:PORT", 421],
    ["127.0.0.1:1", 421],
    ["127.0.0.1", 421],
    ["localhost:PORT", 200],
    ["LOCALHOST:PORT", 200],
    ["[::1]:PORT", 200],
    ["dash.example.lan:PORT", 200],
  ])("Host %s → %d", async (host, status) => {
    const response = await f.get("/api/stats", { headers: { host: host.replace("PORT", String(f.server.port)) } });
    expect(response.status).toBe(status);
  });
});

test("the address web.listen names is a Host the dashboard answers to; its neighbours are not", async () => {
  const dir = tempDir("cc-web-listen-");
  const config = parseConfig(`database: ${join(dir, "ladder.db")}\nweb: { listen: 127.0.0.2:0, auth: none }\n`, null, { home: dir, baseDir: dir }).config;
  openDatabase(config.database).close();
  const server = startWebServer({ config, log: createLogger("info", []), clock: () => new Date() });
  if (!server) throw new Error("no server");
  try {
    const status = async (host: string): Promise<number> => (await fetch(`${server.url}healthz`, { headers: { host: `${host}:${server.port}` } })).status;
    expect(server.url).toStartWith("http://127.0.0.2:");
    expect(await status("127.0.0.2")).toBe(200);
    expect(await status("127.0.0.3")).toBe(421);
  } finally {
    await server.stop();
  }
});

describe("CSRF", () => {
  async function csrf(): Promise<string> {
    const page = await (await f.get("/", { auth: false, headers: { cookie: cookie() } })).text();
    return /<meta name="csrf-token" content="([0-9a-f]+)">/.exec(page)?.[1] ?? "";
  }

  const pause = (headers: Record<string, string>): Promise<Response> =>
    f.get(pauseUrl("api"), { method: "POST", auth: false, body: JSON.stringify({ for: "1h" }), headers: { cookie: cookie(), "content-type": "application/json", ...headers } });

  test("a missing X-CSRF-Token is refused", async () => {
    const response = await pause({ origin });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: string }).error).toContain("X-CSRF-Token");
  });

  test("a wrong X-CSRF-Token is refused", async () => {
    expect((await pause({ origin, "x-csrf-token": "0".repeat(64) })).status).toBe(403);
  });

  test.each([["http://evil.example"], [`http://localhost:1`], ["null"]])("Origin %s is refused, even with the right token", async (badOrigin) => {
    expect((await pause({ origin: badOrigin, "x-csrf-token": await csrf() })).status).toBe(403);
  });

  test("no Origin at all is refused", async () => {
    expect((await pause({ "x-csrf-token": await csrf() })).status).toBe(403);
  });

  test("a cross-site Sec-Fetch-Site is refused", async () => {
    expect((await pause({ origin, "x-csrf-token": await csrf(), "sec-fetch-site": "cross-site" })).status).toBe(403);
  });

  test("a form post (not JSON) is refused", async () => {
    expect((await pause({ origin, "x-csrf-token": await csrf(), "content-type": "application/x-www-form-urlencoded" })).status).toBe(403);
  });

  test("same origin with the page's token goes through", async () => {
    const response = await pause({ origin, "x-csrf-token": await csrf(), "sec-fetch-site": "same-origin" });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { paused: boolean }).paused).toBe(true);
  });

  test("without the access token, even a right CSRF token is 401", async () => {
    const token = await csrf();
    const response = await f.get(pauseUrl("api"), { method: "POST", auth: false, body: "{}", headers: { origin, "x-csrf-token": token, "content-type": "application/json" } });
    expect(response.status).toBe(401);
  });
});

describe("headers", () => {
  test("strict CSP without inline script, no framing, nosniff, no referrer; API not cached", async () => {
    for (const path of ["/", "/api/stats", "/static/app.js"]) {
      const response = await f.get(path);
      const csp = response.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain("unsafe-inline");
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("referrer-policy")).toBe("no-referrer");
      expect(response.headers.get("access-control-allow-origin")).toBeNull();
    }
    expect((await f.get("/api/stats")).headers.get("cache-control")).toBe("no-store");
    expect((await f.get("/")).headers.get("cache-control")).toBe("no-store");
  });

  test("pages carry no inline script or event handler", async () => {
    const page = await (await f.get("/")).text();
    expect(page).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(page).not.toMatch(/\son[a-z]+=/i);
  });
});

describe("web.auth: none and a busy port", () => {
  test("auth none serves without a token on loopback", async () => {
    const open = await startFixture("web: { listen: 127.0.0.1:0, auth: none }\n");
    try {
      expect((await open.get("/api/stats", { auth: false })).status).toBe(200);
      expect((await open.get("/api/stats", { auth: false, headers: { host: "evil.example" } })).status).toBe(421);
    } finally {
      await open.close();
    }
  });

  test("a port already in use is one WARN, and no server", () => {
    const dir = tempDir("cc-web-busy-");
    const config = parseConfig(`database: ${join(dir, "ladder.db")}\nweb: { listen: 127.0.0.1:${f.server.port} }\n`, null, { home: dir, baseDir: dir }).config;
    openDatabase(config.database).close();
    const lines: string[] = [];
    const server = startWebServer({ config, log: createLogger("info", [(line) => lines.push(line)]), clock: () => new Date() });
    expect(server).toBeNull();
    expect(lines.filter((line) => line.includes("WARN"))).toHaveLength(1);
    expect(lines.join("\n")).toContain("the port is already in use");
  });

  test.each([
    ["holds no token", (path: string) => void writeFileSync(path, "not a token at all!\n"), "is not a token"],
    ["is a symlink (not followed)", (path: string) => void symlinkSync(`${path}-target`, path), "Cannot read the dashboard token"],
  ])("a token file that %s: one WARN, no server, the collector goes on", (_label, prepare, message) => {
    const dir = tempDir("cc-web-token-");
    prepare(join(dir, "web-token"));
    const config = parseConfig(`database: ${join(dir, "ladder.db")}\nweb: { listen: 127.0.0.1:0 }\n`, null, { home: dir, baseDir: dir }).config;
    const lines: string[] = [];
    expect(startWebServer({ config, log: createLogger("info", [(line) => lines.push(line)]), clock: () => new Date() })).toBeNull();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("WARN");
    expect(lines[0]).toContain(message);
    expect(existsSync(join(dir, "web-token-target"))).toBe(false); // nothing written through the link
  });

  test("a database deleted before the dashboard opened it is not created again", () => {
    const dir = tempDir("cc-web-nodb-");
    const config = parseConfig(`database: ${join(dir, "ladder.db")}\nweb: { listen: 127.0.0.1:0 }\n`, null, { home: dir, baseDir: dir }).config;
    const lines: string[] = [];
    expect(startWebServer({ config, log: createLogger("info", [(line) => lines.push(line)]), clock: () => new Date() })).toBeNull();
    expect(lines.join("\n")).toContain("there is no database");
    expect(existsSync(config.database)).toBe(false);
  });

  test("web.listen: off starts nothing", () => {
    const config = parseConfig("web: { listen: off }\n", null, { home: "/h", baseDir: "/h" }).config;
    expect(startWebServer({ config, log: createLogger("info", []), clock: () => new Date() })).toBeNull();
  });
});
