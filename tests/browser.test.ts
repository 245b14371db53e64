/**
 * The dashboard in a real browser: Debian's chromium, driven by playwright-core (no browser
 * download). Loads the overview, checks headline, order and strips, appends a failing line and
 * watches the job turn red without a reload, pauses a job with its button, and saves screenshots
 * of the overview (light and dark) and a job page under bench/out/.
 *
 * Never skipped: without chromium it fails and says what to install (`.ci/run` installs it).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { REPO } from "./helpers.ts";
import { DEMO_CONFIG, demoLines } from "./browser-data.ts";
import { NOW, startFixture, type WebFixture } from "./web-fixture.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const OUT = join(REPO, "bench", "out");
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

let f: WebFixture;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`No browser at ${CHROMIUM}: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`);
  }
  mkdirSync(OUT, { recursive: true });
  f = await startFixture(DEMO_CONFIG, demoLines());
  // playwright gives every launch a fresh temporary user-data-dir.
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 15_000 });
  page = await browser.newPage({ viewport: { width: 1360, height: 640 }, colorScheme: "light" });
});

afterAll(async () => {
  await browser?.close();
  await f?.close();
});

test("overview, live update, pause, screenshots", async () => {
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });

  await page.goto(`${f.server.url}?token=${f.token}`);
  expect(page.url()).toBe(f.server.url); // the token left the address bar
  await expect(page.locator("#headline").textContent()).resolves.toBe("2 of 7 jobs need attention");
  expect(await page.title()).toStartWith("🔴");
  const states = await page.locator("#jobs tbody tr").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-state")));
  expect(states).toEqual(["failing", "late", "up", "up", "up", "up", "new"]);
  const names = await page.locator("#jobs tbody tr").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-name")));
  expect(names.slice(0, 2)).toEqual(["orders", "mail-digest"]);
  expect(await page.locator('tr[data-name="orders"] .strip rect').count()).toBe(50);
  expect(await page.locator('tr[data-name="orders"] .strip rect.fail').count()).toBe(2);
  await page.locator("#live[data-state=on]").waitFor({ timeout: 3000 });
  await page.screenshot({ path: join(OUT, "overview-light.png") });
  // The README's picture (docs/dashboard.png is a copy of it).
  await page.screenshot({ path: join(OUT, "dashboard.png"), clip: { x: 30, y: 50, width: 1300, height: 560 } });

  // A failing run of "invoices" arrives: the row turns red without a reload.
  await page.evaluate(() => {
    (globalThis as unknown as { marker: number }).marker = 42;
  });
  const ts = new Date(NOW.getTime() - 30_000).toISOString();
  f.ingest([{ ts, exit: 3, msg: "Invoice export failed: disk full", job: "invoices", duration_ms: 1200 }]);
  await page.locator('tr[data-name="invoices"][data-state="failing"]').waitFor({ timeout: 2000 });
  expect(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(42);
  await expect(page.locator("#headline").textContent()).resolves.toBe("3 of 7 jobs need attention");

  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: join(OUT, "overview-dark.png") });
  await page.emulateMedia({ colorScheme: "light" });

  // The job page, and pausing from it.
  await page.click('tr[data-name="invoices"] td.name a');
  await page.locator("#job-head .badge.s-failing").waitFor();
  await page.click("button[data-for='1h']");
  await page.locator("#job-head .badge.s-paused").waitFor({ timeout: 2000 });
  await expect(page.locator("#action-result").textContent()).resolves.toStartWith("Paused until");
  await page.setViewportSize({ width: 1100, height: 900 });
  await page.screenshot({ path: join(OUT, "job.png") });
  expect(errors).toEqual([]);
}, 20_000);
