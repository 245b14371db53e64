/**
 * Turning a parsed command and the process environment into the config and the clock a command
 * runs with. Environment and time are read once, in main(), and passed down from here.
 */
import { resolve } from "node:path";
import { formatProblems, loadConfig, locateConfig, readConfigFile } from "../config/load.ts";
import type { Config } from "../config/config.ts";
import type { CommonOptions } from "./args.ts";

export interface Environment {
  readonly env: Record<string, string | undefined>;
  /** The directory of collector.ts (config.yaml's default place). */
  readonly appDir: string;
  readonly home: string;
}

export function resolveConfig(options: CommonOptions, environment: Environment): Config {
  const location = locateConfig(options.config, environment.env, environment.appDir);
  return applyOverrides(loadConfig(location, environment.home), options);
}

/**
 * The config even when config.yaml has problems (each faulty key falls back to its default), for
 * the commands that must work anyway: `run`/`log` (a cron job must not be kept from running) and
 * `--paths` (manager.sh must find the pid file to stop a daemon). The problems are reported.
 */
export function resolveConfigLeniently(options: CommonOptions, environment: Environment, report: (problems: string) => void): Config {
  const location = locateConfig(options.config, environment.env, environment.appDir);
  const { config, problems } = readConfigFile(location, environment.home);
  if (problems.length > 0) report(formatProblems(location.path, problems));
  return applyOverrides(config, options);
}

/** --input, --db and --check-interval win over the file. */
export function applyOverrides(config: Config, options: CommonOptions): Config {
  return {
    ...config,
    ...(options.input !== undefined && { input: resolve(options.input) }),
    ...(options.db !== undefined && { database: resolve(options.db) }),
    ...(options.checkIntervalMs !== undefined && { checkIntervalMs: options.checkIntervalMs }),
  };
}

/** A fixed clock with --now, the real one otherwise. */
export function clockFor(options: CommonOptions): () => Date {
  const fixed = options.now;
  return fixed ? () => new Date(fixed.getTime()) : () => new Date();
}
