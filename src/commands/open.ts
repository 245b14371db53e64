/**
 * `open [--print]`: the dashboard's URL with its access token, opened in a browser when there is
 * a desktop, printed otherwise (or with --print).
 *
 * As Jupyter does, the browser is pointed at a private redirect file (0600, beside the token)
 * rather than given the URL on its command line, where any user of the machine could read the
 * token in the process list.
 */
import { constants, closeSync, openSync, rmSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Output } from "../cli/io.ts";
import type { Config } from "../config/config.ts";
import { webTokenPath } from "../config/web.ts";
import { CollectorError } from "../errors.ts";
import type { SystemContext } from "../session.ts";
import { readToken } from "../web/token.ts";
import { html } from "../web/html.ts";

const HEALTH_TIMEOUT_MS = 1500;
const OPENER_TIMEOUT_MS = 10_000;

/** The browser opener of this machine, or null when there is no desktop session. */
export function desktopOpener(system: Pick<SystemContext, "platform" | "env" | "which">): string | null {
  if (system.platform === "darwin") return system.which("open");
  if (!system.env.DISPLAY && !system.env.WAYLAND_DISPLAY) return null;
  return system.which("xdg-open");
}

export function dashboardUrl(config: Config, token: string | null): string {
  const listen = config.web.listen;
  if (listen === null) throw new CollectorError('The dashboard is off ("web.listen: off" in config.yaml); set it to an address such as 127.0.0.1:8765', "config");
  const host = listen.host === "0.0.0.0" || listen.host === "::" ? "127.0.0.1" : listen.host.includes(":") ? `[${listen.host}]` : listen.host;
  return `http://${host}:${listen.port}/${token === null ? "" : `?token=${token}`}`;
}

/**
 * Whether this collector's dashboard answers at `url`: "down" when nothing does, "other" when a
 * server answers but refuses this collector's token (another collector, or another program, took
 * the port first; this one then runs without a dashboard).
 */
async function dashboardState(url: string, token: string | null): Promise<"ours" | "down" | "other"> {
  const get = async (path: string, headers: Record<string, string> = {}): Promise<Response | null> => {
    try {
      return await fetch(new URL(path, url), { headers, signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
    } catch {
      return null;
    }
  };
  const health = await get("/healthz");
  if (health === null) return "down";
  if (!health.ok) return "other";
  if (token === null) return "ours"; // web.auth: none: nothing tells two collectors apart
  const own = await get("/api/alerts?limit=1", { Authorization: `Bearer ${token}` });
  return own?.ok ? "ours" : "other";
}

function writeRedirect(path: string, url: string): void {
  rmSync(path, { force: true });
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    const page = html`<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${url}"><title>cron-collector</title></head><body><a href="${url}">Open the cron-collector dashboard</a></body></html>`;
    writeSync(fd, page.text);
  } finally {
    closeSync(fd);
  }
}

export async function openCommand(config: Config, options: { readonly print: boolean }, system: SystemContext, output: Output): Promise<number> {
  const tokenPath = webTokenPath(config.web, config.database);
  const token = config.web.auth === "token" ? readToken(tokenPath) : null;
  if (config.web.auth === "token" && token === null) {
    throw new CollectorError(`The dashboard has no access token yet ("${tokenPath}"): start the collector first (bun collector.ts, or ./manager.sh start)`, "runtime");
  }
  const url = dashboardUrl(config, token);
  const bare = dashboardUrl(config, null);
  // Checked before printing too: a link to a dashboard that is not this collector's only fails later.
  const state = await dashboardState(url, token);
  if (state === "down") {
    output.err(`cron-collector: Nothing answers at ${bare}: start the collector first (bun collector.ts, or ./manager.sh start).`);
    return 1;
  }
  if (state === "other") {
    output.err(
      `cron-collector: Something else answers at ${bare} and refuses this collector's token: the port was taken when the collector started, so it runs without a dashboard. Set web.listen to a free port in config.yaml (the collector reloads it).`,
    );
    return 1;
  }
  if (options.print) {
    output.out(url);
    return 0;
  }
  const opener = desktopOpener(system);
  if (opener === null) {
    output.out(`No desktop session here; open this URL in a browser on this machine:\n${url}`);
    return 0;
  }
  const redirect = join(dirname(tokenPath), "web-open.html");
  writeRedirect(redirect, url);
  const child = Bun.spawn([opener, redirect], { stdin: "ignore", stdout: "ignore", stderr: "ignore", timeout: OPENER_TIMEOUT_MS });
  if ((await child.exited) !== 0) {
    output.out(`Could not start a browser (${opener}); open this URL instead:\n${url}`);
    return 0;
  }
  output.out(`Opened the dashboard (${dashboardUrl(config, null)}) in your browser.`);
  return 0;
}
