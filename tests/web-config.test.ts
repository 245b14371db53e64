/** config.yaml `web:` and the `open` command that reads it. */
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Output } from "../src/cli/io.ts";
import { dashboardUrl, desktopOpener, openCommand } from "../src/commands/open.ts";
import { parseConfig } from "../src/config/load.ts";
import { listenAddress, webTokenPath } from "../src/config/web.ts";
import { tempDir } from "./helpers.ts";
import { startFixture } from "./web-fixture.ts";

const parse = (yaml: string) => parseConfig(yaml, null, { home: "/home/u", baseDir: "/etc/cc" });

describe("web.listen", () => {
  test.each([
    ["127.0.0.1:8765", { host: "127.0.0.1", port: 8765 }],
    ["localhost:9000", { host: "localhost", port: 9000 }],
    ["[::1]:8765", { host: "::1", port: 8765 }],
    ["0.0.0.0:80", { host: "0.0.0.0", port: 80 }],
    [8080, { host: "127.0.0.1", port: 8080 }],
    ["off", null],
    [false, null],
  ])("%p", (value, expected) => {
    expect(listenAddress(value)).toEqual({ ok: true, value: expected });
  });

  test.each([["127.0.0.1"], ["host:99999"], ["on"], [true], [-1], ["[::1]"]])("%p is refused", (value) => {
    expect(listenAddress(value).ok).toBe(false);
  });
});

describe("web section", () => {
  test("defaults: 127.0.0.1:8765, a token beside the database", () => {
    const { config, problems } = parse("database: /data/ladder.db\n");
    expect(problems).toEqual([]);
    expect(config.web).toEqual({ listen: { host: "127.0.0.1", port: 8765 }, tokenFile: null, auth: "token", allowedHosts: [] });
    expect(webTokenPath(config.web, config.database)).toBe("/data/web-token");
  });

  test("token_file is a path like the others (~ and relative to the config)", () => {
    expect(parse("web: { token_file: ~/t }\n").config.web.tokenFile).toBe("/home/u/t");
    expect(parse("web: { token_file: t }\n").config.web.tokenFile).toBe("/etc/cc/t");
  });

  test("auth none with a non-loopback listen is refused at config time", () => {
    const { problems } = parse("web:\n  listen: 0.0.0.0:8765\n  auth: none\n");
    expect(problems.map((problem) => problem.message)).toEqual([
      '"web.auth" is none, so "web.listen" must be a loopback address (127.0.0.1, [::1] or localhost), got "0.0.0.0"',
    ]);
    expect(parse("web: { listen: '[::1]:8765', auth: none }\n").problems).toEqual([]);
    expect(parse("web: { listen: 0.0.0.0:8765 }\n").problems).toEqual([]);
  });

  test.each([
    ["web: { listen: nowhere }", '"web.listen" must be an address such as 127.0.0.1:8765'],
    ["web: { auth: maybe }", '"web.auth" must be one of token, none'],
    ["web: { allowed_hosts: dash }", '"web.allowed_hosts" must be a list of host names'],
    ["web: { lissten: 1 }", 'unknown key "web.lissten"; did you mean "listen"?'],
  ])("%s", (yaml, message) => {
    expect(parse(`${yaml}\n`).problems[0]?.message).toContain(message);
  });
});

function captured(): Output & { out_: string[]; err_: string[] } {
  const out_: string[] = [];
  const err_: string[] = [];
  return { out_, err_, color: false, out: (text) => void out_.push(text), err: (text) => void err_.push(text) };
}

const linux = { platform: "linux", env: {}, which: () => "/usr/bin/xdg-open", collectorPath: "/x/collector.ts" };

describe("open", () => {
  test("the URL carries the token; 0.0.0.0 and IPv6 are written as a browser needs them", () => {
    const config = parse("web: { listen: '[::1]:9000' }\n").config;
    expect(dashboardUrl(config, "abc")).toBe("http://[::1]:9000/?token=abc");
    expect(dashboardUrl(parse("web: { listen: 0.0.0.0:1 }\n").config, null)).toBe("http://127.0.0.1:1/");
  });

  test("a desktop is a macOS session or a DISPLAY with xdg-open", () => {
    expect(desktopOpener({ ...linux, env: {} })).toBeNull();
    expect(desktopOpener({ ...linux, env: { DISPLAY: ":0" } })).toBe("/usr/bin/xdg-open");
    expect(desktopOpener({ ...linux, env: { WAYLAND_DISPLAY: "w" }, which: () => null })).toBeNull();
    expect(desktopOpener({ ...linux, platform: "darwin", which: (name) => `/usr/bin/${name}` })).toBe("/usr/bin/open");
  });

  test("--print prints the URL with the token, once this collector's dashboard answers with it", async () => {
    const f = await startFixture();
    try {
      const config = parseConfig(`database: ${join(f.dir, "db", "ladder.db")}\nweb: { listen: 127.0.0.1:${f.server.port} }\n`, null, { home: f.dir, baseDir: f.dir }).config;
      const output = captured();
      expect(await openCommand(config, { print: true }, linux, output)).toBe(0);
      expect(output.out_).toEqual([`http://127.0.0.1:${f.server.port}/?token=${f.token}`]);
    } finally {
      await f.close();
    }
  });

  test("another server on the port (it refuses this token): no link, exit 1, say the port is taken", async () => {
    const f = await startFixture();
    try {
      const dir = tempDir("cc-open-");
      writeFileSync(join(dir, "web-token"), "0123456789abcdef0123456789abcdef\n", { mode: 0o600 });
      const config = parseConfig(`database: ${join(dir, "ladder.db")}\nweb: { listen: 127.0.0.1:${f.server.port} }\n`, null, { home: dir, baseDir: dir }).config;
      const output = captured();
      expect(await openCommand(config, { print: true }, linux, output)).toBe(1);
      expect(output.out_).toEqual([]);
      expect(output.err_.join("")).toContain("refuses this collector's token: the port was taken");
    } finally {
      await f.close();
    }
  });

  test("no token file yet: say to start the collector", async () => {
    const dir = tempDir("cc-open-");
    const config = parseConfig(`database: ${join(dir, "ladder.db")}\n`, null, { home: dir, baseDir: dir }).config;
    await expect(openCommand(config, { print: true }, linux, captured())).rejects.toThrow("start the collector first");
  });

  test("listen off: a config error", async () => {
    const config = parseConfig("web: { listen: off, auth: none }\n", null, { home: "/h", baseDir: "/h" }).config;
    await expect(openCommand(config, { print: true }, linux, captured())).rejects.toThrow("web.listen: off");
  });

  test("nothing listening: exit 1 with a hint, no browser started", async () => {
    const dir = tempDir("cc-open-");
    // Port 9 (discard) is never a dashboard; the check fails fast.
    const config = parseConfig(`database: ${join(dir, "ladder.db")}\nweb: { listen: 127.0.0.1:9, auth: none }\n`, null, { home: dir, baseDir: dir }).config;
    const output = captured();
    let spawned = false;
    const system = { ...linux, env: { DISPLAY: ":0" }, which: () => ((spawned = true), null) };
    expect(await openCommand(config, { print: false }, system, output)).toBe(1);
    expect(output.err_.join("")).toContain("start the collector first");
    expect(spawned).toBe(false);
  });
});
