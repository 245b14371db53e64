/**
 * The configuration: its shape, its defaults, and how a parsed config.yaml becomes one.
 * Every key is documented in the repository's config.yaml.
 */
import { basename, extname, isAbsolute, join, resolve } from "node:path";
import { logLevels, type LogLevel } from "../logger.ts";
import { checkInterval, duration, flag, integer, oneOf, optionalText, soundName, text, textList } from "./fields.ts";
import { readJobs, type JobConfig } from "./jobs.ts";
import { readHeartbeat, readMetrics, type HeartbeatConfig, type MetricsConfig } from "./metrics.ts";
import type { Section } from "./section.ts";
import { readWeb, type WebConfig } from "./web.ts";
import { backendList, isWebhookUrl, notifyBackends, webhookFormats, type NotifyBackendName, type WebhookFormat } from "./notify.ts";
import { DAY_MS, SECOND_MS } from "../time.ts";
export { notifyBackends, type NotifyBackendName } from "./notify.ts";

/** Exit codes from `first` to `last` (inclusive) play `sound`. */
export interface SoundRule {
  readonly first: number;
  readonly last: number;
  readonly sound: string;
}

export interface NotifyConfig {
  /** The first of `backends` (the only one unless notify.backends lists several). */
  readonly backend: NotifyBackendName;
  /** Every alert goes to each of these, with a delivery status per backend. */
  readonly backends: readonly NotifyBackendName[];
  readonly webhookFormat: WebhookFormat;
  readonly terminalNotifier: string;
  readonly autoInstall: boolean;
  readonly maxAgeMs: number;
  readonly maxPerMinute: number;
  readonly onRecovery: boolean;
  readonly timeoutMs: number;
  readonly sound: string;
  readonly sounds: readonly SoundRule[];
  readonly command: readonly string[] | null;
  readonly webhookUrl: string | null;
  /** Alert from the Nth failure in a row on; jobs can override it. */
  readonly alertAfter: number;
  /** Repeat a late / too-long alert this often while it lasts; null: once (jobs can override it). */
  readonly remindEveryMs: number | null;
}

export interface Config {
  /** The config file that was read, or null when the built-in defaults apply. */
  readonly file: string | null;
  readonly input: string;
  readonly database: string;
  readonly logDir: string;
  readonly checkIntervalMs: number;
  readonly statsIntervalMs: number;
  readonly logLevel: LogLevel;
  readonly logMaxBytes: number;
  readonly logKeep: number;
  readonly maxLineBytes: number;
  /** How long a database write waits for another writer (a `--stats`, a backup) before it fails. */
  readonly busyTimeoutMs: number;
  /** A run dated further than this ahead of the clock is quarantined (max_future). */
  readonly maxFutureMs: number;
  /** The job that runs without a `job` field belong to. */
  readonly defaultJob: string;
  readonly notify: NotifyConfig;
  /** Jobs with schedules or settings of their own (config.yaml `jobs:`). */
  readonly jobs: readonly JobConfig[];
  /** Runs older than this many days are pruned; null keeps everything. */
  readonly retentionDays: number | null;
  /** Prometheus exposition: listener and textfile (issue 13). */
  readonly metrics: MetricsConfig;
  /** The dead man's switch pinged while the collector is healthy. */
  readonly heartbeat: HeartbeatConfig;
  /** The dashboard (config.yaml `web:`). */
  readonly web: WebConfig;
}

/** What paths are resolved against: `~` is home, relative paths are relative to the config file. */
export interface PathContext {
  readonly home: string;
  readonly baseDir: string;
}

export function expandPath(path: string, context: PathContext): string {
  if (path === "~") return context.home;
  if (path.startsWith("~/")) return join(context.home, path.slice(2));
  return isAbsolute(path) ? path : resolve(context.baseDir, path);
}

const SOUND_KEY = /^(\d{1,3})(?:\s*-\s*(\d{1,3}))?$/;

export const defaultSounds: readonly SoundRule[] = [
  { first: 124, last: 124, sound: "Submarine" }, // timeout(1)
  { first: 126, last: 127, sound: "Funk" }, // not executable / not found
  { first: 128, last: 255, sound: "Sosumi" }, // killed by a signal
];

function readSounds(section: Section): SoundRule[] {
  const rules: SoundRule[] = [];
  for (const { key, value, node } of section.entries()) {
    const match = SOUND_KEY.exec(key);
    const first = Number(match?.[1]);
    const last = match?.[2] === undefined ? first : Number(match[2]);
    if (!match || first > last || last > 255) {
      section.problemAt(node, `"notify.sounds" keys must be an exit code or a range such as 128-255, got "${key}"`);
      continue;
    }
    const sound = soundName(value);
    if (!sound.ok) {
      section.problemAt(node, `"notify.sounds.${key}" must be ${sound.expected}`);
      continue;
    }
    rules.push({ first, last, sound: sound.value });
  }
  return rules.length > 0 ? rules : [...defaultSounds];
}

function readNotify(section: Section): NotifyConfig {
  const backend = section.get("backend", oneOf(notifyBackends), "auto");
  const backends = section.get<readonly NotifyBackendName[]>("backends", backendList, [backend]);
  const notify: NotifyConfig = {
    backend: backends[0] ?? backend,
    backends,
    webhookFormat: section.get("webhook_format", oneOf(webhookFormats), "json"),
    terminalNotifier: section.get("terminal_notifier", text, "terminal-notifier"),
    autoInstall: section.get("auto_install", flag, true),
    maxAgeMs: section.get("max_age", duration(0, 365 * DAY_MS), 3600 * SECOND_MS),
    maxPerMinute: section.get("max_per_minute", integer(1, 1000), 5),
    onRecovery: section.get("on_recovery", flag, true),
    timeoutMs: section.get("timeout", duration(SECOND_MS, 300 * SECOND_MS), 10 * SECOND_MS),
    sound: section.get("sound", soundName, "Basso"),
    sounds: readSounds(section.section("sounds")),
    command: section.get<readonly string[] | null>("command", textList, null),
    webhookUrl: section.get("webhook_url", optionalText, null),
    alertAfter: section.get("alert_after", integer(1, 1000), 1),
    remindEveryMs: section.get<number | null>("remind_every", duration(0, 365 * DAY_MS), null),
  };
  section.rejectUnknownKeys();
  if (notify.backends.includes("command") && notify.command === null) {
    section.problemAt(null, `"notify.backend" is command, so "notify.command" must name the program to run`, "conflict");
  }
  if (notify.backends.includes("webhook") && !isWebhookUrl(notify.webhookUrl)) {
    section.problemAt(null, `"notify.backend" is webhook, so "notify.webhook_url" must be an http(s) URL with a host, e.g. https://ntfy.sh/my-topic`, "conflict");
  }
  return notify;
}

/** Builds the config from the top-level mapping; problems are collected in the section. */
export function readConfig(root: Section, file: string | null, context: PathContext): Config {
  const path = (key: string, fallback: string): string => expandPath(root.get(key, text, fallback), context);
  const input = path("input", "~/logs/ladder.jsonl");
  const config: Config = {
    file,
    input,
    database: path("database", "~/.cron_dash/ladder.db"),
    logDir: path("log_dir", "~/.cron_dash"),
    checkIntervalMs: root.get("check_interval", checkInterval, 30 * SECOND_MS),
    statsIntervalMs: root.get("stats_interval", duration(SECOND_MS, DAY_MS, "a number of seconds or a duration such as 5m"), 300 * SECOND_MS),
    logLevel: root.get("log_level", oneOf(logLevels), "info"),
    logMaxBytes: root.get("log_max_bytes", integer(10_000, 1 << 30), 10 << 20),
    logKeep: root.get("log_keep", integer(0, 100), 5),
    maxLineBytes: root.get("max_line_bytes", integer(1024, 64 << 20), 1 << 20),
    busyTimeoutMs: root.get("busy_timeout", duration(0, 300 * SECOND_MS), 5 * SECOND_MS),
    maxFutureMs: root.get("max_future", duration(0, 365 * DAY_MS), 3600 * SECOND_MS),
    defaultJob: root.get("default_job", text, basename(input, extname(input))),
    notify: readNotify(root.section("notify")),
    jobs: [],
    retentionDays: root.get<number | null>("retention_days", integer(1, 100_000), null),
    metrics: readMetrics(root.section("metrics"), (value) => expandPath(value, context)),
    heartbeat: readHeartbeat(root.section("heartbeat")),
    web: readWeb(root.section("web"), context),
  };
  const withJobs = { ...config, jobs: readJobs(root.section("jobs"), config.notify.alertAfter) };
  root.rejectUnknownKeys();
  return withJobs;
}
